"""Inter-region clearing tables (issue E): monthly statements per pair of regions and their lines.

* ``clearing_periods``: one row per month built (who, when, how many times rebuilt); a month is
  built once, in order, and rebuilt only while nothing on it is reconciled.
* ``clearing_statements``: one row per month and unordered pair of regions (``region_a`` <
  ``region_b``) that had traffic or a dispute carried over.
* ``clearing_lines``: one row per receivable on a statement: creditor, debtor and amount as
  stated, its reconciliation (state, who agreed, who disputed and why, resolution), and where a
  dispute came from (``carried_from``) or went to (``carried_to``). Totals are sums over these.
* ``clearing_steps``: every agreement, dispute and resolution: which region, who, when, why;
  appended, never changed.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from yibao.store.base import metadata
from yibao.store.types import Amount

__all__ = ["clearing_lines", "clearing_periods", "clearing_statements", "clearing_steps"]

clearing_periods = Table(
    "clearing_periods",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("built_by", String(60), nullable=False),
    Column("built_at", DateTime, nullable=False),
    Column("rebuilds", Integer, nullable=False),
)

clearing_statements = Table(
    "clearing_statements",
    metadata,
    Column("period", String(7), ForeignKey("clearing_periods.period"), primary_key=True),
    Column("region_a", String(6), primary_key=True),
    Column("region_b", String(6), primary_key=True),
    Column("built_at", DateTime, nullable=False),
)

clearing_lines = Table(
    "clearing_lines",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("region_a", String(6), primary_key=True),
    Column("region_b", String(6), primary_key=True),
    Column("setl_id", String(40), ForeignKey("region_receivables.setl_id"), primary_key=True),
    #: 就医地, owed the amount; and 参保地, which owes it
    Column("creditor", String(6), nullable=False),
    Column("debtor", String(6), nullable=False),
    Column("amount", Amount(), nullable=False),
    #: the month of the receivable (earlier than ``period`` for a dispute carried over)
    Column("origin_period", String(7), nullable=False),
    Column("carried_from", String(7)),
    Column("carried_to", String(7)),
    Column("state", String(10), nullable=False),
    Column("creditor_agreed", Boolean, nullable=False),
    Column("debtor_agreed", Boolean, nullable=False),
    Column("disputed_by", String(6)),
    Column("reason", Text),
    Column("resolution", String(10)),
    Column("updated_at", DateTime, nullable=False),
    ForeignKeyConstraint(
        ["period", "region_a", "region_b"],
        [
            "clearing_statements.period",
            "clearing_statements.region_a",
            "clearing_statements.region_b",
        ],
    ),
    Index("ix_clearing_lines_setl_id", "setl_id"),
    Index("ix_clearing_lines_state_period", "state", "period"),
)

clearing_steps = Table(
    "clearing_steps",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("region_a", String(6), primary_key=True),
    Column("region_b", String(6), primary_key=True),
    Column("setl_id", String(40), primary_key=True),
    Column("step_no", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    #: the region acting, and its part on the line (creditor or debtor)
    Column("region", String(6), nullable=False),
    Column("role", String(8), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("state_after", String(10), nullable=False),
    Column("reason", Text),
    Column("resolution", String(10)),
    ForeignKeyConstraint(
        ["period", "region_a", "region_b", "setl_id"],
        [
            "clearing_lines.period",
            "clearing_lines.region_a",
            "clearing_lines.region_b",
            "clearing_lines.setl_id",
        ],
    ),
    Index("ix_clearing_steps_setl_id", "setl_id"),
)
