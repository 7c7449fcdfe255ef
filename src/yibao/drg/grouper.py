"""The grouper as the rest of yibao calls it: ``group(case)`` with the shipped CHS-DRG 1.1 rules.

The rules are read and compiled once per process (:func:`yibao.drg.rules.load_rules`); each call
then runs only the pure steps of :mod:`yibao.drg.engine`. ``GROUPER`` names this grouper and its
rule version wherever a grouping is stored.
"""

from __future__ import annotations

from yibao.drg.engine import group_case
from yibao.drg.model import Case, Grouping
from yibao.drg.rules import load_rules

__all__ = ["GROUPER", "group"]

GROUPER = "yibao CHS-DRG 1.1"


def group(case: Case, *, qy: bool = True) -> Grouping:
    """Group one case (see :func:`yibao.drg.engine.group_case`); never raises for bad input."""
    return group_case(case, load_rules(), qy=qy)
