"""Tables of the DRG weights: versions that never change once built.

* ``drg_weight_sets``: one row per version (``version_no`` 1, 2, …): the years of history read,
  the budget, the base rate, the method and its parameters (trimming and the payment rules the
  version fixes), how many cases were read and kept, the overall mean, who built it and when.
* ``drg_weights``: one row per (version, DRG): its cases, those kept after trimming, their mean
  cost and the relative weight (RW, four decimals; stored in ten-thousandths, so above 9.9999 too).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Table

from yibao.store.base import metadata
from yibao.store.types import Amount, ScaledDecimal

__all__ = ["drg_weight_sets", "drg_weights"]

drg_weight_sets = Table(
    "drg_weight_sets",
    metadata,
    Column("version_no", Integer, primary_key=True, autoincrement=False),
    #: the calendar years of the final settlements read, ascending, comma-separated
    Column("years", String(60), nullable=False),
    Column("budget", Amount(), nullable=False),
    Column("base_rate", Amount(), nullable=False),
    Column("method", String(30), nullable=False),
    #: {"trim": {...}, "pay": {...}} as text
    Column("params", JSON, nullable=False),
    Column("cases", Integer, nullable=False),
    Column("kept", Integer, nullable=False),
    Column("overall_mean", Amount(), nullable=False),
    Column("built_by", String(60), nullable=False),
    Column("built_at", DateTime, nullable=False),
)

drg_weights = Table(
    "drg_weights",
    metadata,
    Column("version_no", Integer, ForeignKey("drg_weight_sets.version_no"), primary_key=True),
    Column("drg", String(4), primary_key=True),
    Column("cases", Integer, nullable=False),
    Column("kept", Integer, nullable=False),
    Column("mean_cost", Amount(), nullable=False),
    Column("rw", ScaledDecimal(4), nullable=False),
)
