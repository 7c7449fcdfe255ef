"""From a settlement list (4101's nodes) to the case the grouper reads: pure, no I/O.

What the grouper needs is on the list, named by the interface:

* sex: ``setlinfo.gend``;
* age: ``setlinfo.age`` in years (required from one year on), else computed from ``brdy`` to
  ``adm_time``; under one year the age is 0 and the days are ``nwb_age``, else computed the same
  way;
* birth weight: ``nwb_bir_wt`` in grams (the interface keeps it to 10 g, two decimals);
* length of stay: ``act_ipt_days``, else the days from ``adm_time`` to ``dscg_time``;
* discharge way: ``dscg_way`` (离院方式);
* diagnoses: the western-medicine diagnoses of ``diseinfo`` (``diag_type`` 1), the main one
  (``maindiag_flag`` 1) first, then in the order sent; TCM diagnoses do not group;
* procedures: ``oprninfo``, the main one (``oprn_oprt_type`` 1) first, then in the order sent.

A value that cannot be read is left out (``None``) and the grouper says which field is missing;
nothing here refuses a list (the gateway's field rules and :mod:`yibao.casepay.lists` do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from yibao.drg.model import Case

__all__ = ["case_of", "main_diagnoses"]

_WESTERN = "1"
_MAIN = "1"


def case_of(case_id: str, nodes: Mapping[str, Any]) -> Case:
    """The grouper's case described by a settlement list's nodes."""
    info: Mapping[str, Any] = nodes.get("setlinfo") or {}
    admitted, discharged = _day(info.get("adm_time")), _day(info.get("dscg_time"))
    born = _day(info.get("brdy"))
    age = _whole(info.get("age"))
    if age is None and born is not None and admitted is not None:
        age = _years(born, admitted)
    age_days = _whole(info.get("nwb_age"))
    if age == 0 and age_days is None and born is not None and admitted is not None:
        age_days = (admitted - born).days
    los = _whole(info.get("act_ipt_days"))
    if los is None and admitted is not None and discharged is not None:
        los = (discharged - admitted).days
    return Case(
        id=case_id,
        gender=str(info.get("gend") or ""),
        age=age,
        age_days=age_days if age == 0 else None,
        weight=_whole(info.get("nwb_bir_wt")),
        los=los,
        leaving_type=str(info["dscg_way"]) if info.get("dscg_way") else None,
        diagnoses=_ordered(_entries(nodes, "diseinfo", kind=("diag_type", _WESTERN)), "maindiag_flag", "diag_code"),
        procedures=_ordered(_entries(nodes, "oprninfo"), "oprn_oprt_type", "oprn_oprt_code"),
    )  # fmt: skip


def main_diagnoses(nodes: Mapping[str, Any]) -> list[str]:
    """The codes of the western-medicine diagnoses marked main."""
    found = _entries(nodes, "diseinfo", kind=("diag_type", _WESTERN))
    return [
        str(d.get("diag_code") or "") for d in found if str(d.get("maindiag_flag") or "") == _MAIN
    ]


def _entries(
    nodes: Mapping[str, Any], name: str, *, kind: tuple[str, str] | None = None
) -> list[Mapping[str, Any]]:
    value = nodes.get(name) or []
    items: Sequence[Any] = [value] if isinstance(value, Mapping) else value
    out = [x for x in items if isinstance(x, Mapping)]
    if kind is not None:
        field, wanted = kind
        out = [x for x in out if str(x.get(field) or wanted) == wanted]
    return out


def _ordered(items: list[Mapping[str, Any]], flag: str, code: str) -> tuple[str, ...]:
    """The codes, those flagged main (``1``) first, each once, in the order sent."""
    main = [str(x[code]).strip() for x in items if x.get(code) and str(x.get(flag) or "") == _MAIN]
    rest = [str(x[code]).strip() for x in items if x.get(code) and str(x.get(flag) or "") != _MAIN]
    return tuple(dict.fromkeys([*main, *rest]))


def _whole(value: object) -> int | None:
    """A non-negative or negative whole number from a JSON number or text; ``None`` if unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return int(number) if number.is_finite() else None


def _day(value: object) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


def _years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
