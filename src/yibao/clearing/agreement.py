"""Load the agreement's clearing terms (``agreement.toml``) into :class:`~yibao.clearing.model.Agreement`.

The shipped file is the default; a deployment passes its own path. Every problem names the key.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from yibao.audit.families import FAMILIES
from yibao.clearing.model import Agreement, TypeRule, ViolationType
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ratio, to_decimal

__all__ = ["SHIPPED", "load_agreement", "shipped_agreement"]

SHIPPED = Path(__file__).with_name("agreement.toml")


def load_agreement(path: Path) -> Agreement:
    """Read and check an agreement file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidValue("agreement", f"{path}: {exc}") from None
    try:
        return _agreement(data)
    except (KeyError, TypeError) as exc:
        raise InvalidValue("agreement", f"{path}: missing or malformed key {exc}") from None


@cache
def shipped_agreement() -> Agreement:
    """The agreement that ships with yibao."""
    return load_agreement(SHIPPED)


def _agreement(data: dict[str, Any]) -> Agreement:
    c = data["consequences"]
    types = tuple(_type(t) for t in data["types"])
    if {t.kind for t in types} != set(ViolationType):
        raise InvalidValue(
            "types", f"every violation type is needed once: {', '.join(ViolationType)}"
        )
    return Agreement(
        clause=str(data["clause"]), appeal_days=_days(data["appeal_days"], "appeal_days"),
        reconcile_days=_days(data["reconcile_days"], "reconcile_days"),
        deposit_rate=ratio(data["deposit_rate"], field="deposit_rate"), types=types,
        dept_refusal_cases=_days(c["dept_refusal_cases"], "dept_refusal_cases"),
        suspension_cases=_days(c["suspension_cases"], "suspension_cases"),
        suspension_months=_days(c["suspension_months"], "suspension_months"),
    )  # fmt: skip


def _type(t: dict[str, Any]) -> TypeRule:
    kind = ViolationType(t["kind"])
    unknown = sorted(set(t["families"]) - set(FAMILIES))
    if unknown:
        raise InvalidValue(f"types.{kind}.families", f"unknown audit families {', '.join(unknown)}")
    low, high, default = (to_decimal(v, field=f"types.{kind}.multiplier") for v in t["multiplier"])
    if not 0 < low <= default <= high:
        raise InvalidValue(
            f"types.{kind}.multiplier",
            f"needs 0 < min ≤ proposed ≤ max, got {low}, {default}, {high}",
        )
    return TypeRule(kind, str(t["label"]), frozenset(t["families"]), low, high, default)


def _days(value: object, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValue(key, f"expected a whole number ≥ 1, got {value!r}")
    return value
