"""The kinds of knowledge-table columns and the check of one cell of each kind.

A family declares its table's columns as ``(name, kind)``; the loader checks every cell with
:func:`check_cell`, which returns the reason a cell is wrong (or ``None``). Codes are checked for
their national shape so that a truncated or re-typed code (a spreadsheet that dropped the leading
zeros of ``001102000050000``) is refused rather than silently never matching a fee line.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from yibao.kernel.codes import Gend, HospLv
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import to_decimal
from yibao.kernel.tiers import HospitalTier

__all__ = ["LAB_CONDITION", "Kind", "check_cell", "split_list"]


class Kind(StrEnum):
    """What a column holds."""

    #: a national code: drug (20 or 23 characters), service item (15 digits), material (C + 26)
    CODE = "code"
    #: a drug class, characters 2–6 of a national drug code (``B01AX``)
    DRUG_CLASS = "drug_class"
    #: a code prefix (a material class, a code family): 2 to 27 letters and digits
    CODE_PREFIX = "code_prefix"
    #: non-empty text
    TEXT = "text"
    #: text, possibly empty
    NOTE = "note"
    #: a whole number ≥ 1
    COUNT = "count"
    #: a whole number ≥ 1, or empty
    OPTIONAL_COUNT = "optional_count"
    #: a quantity > 0 (N16,4)
    QUANTITY = "quantity"
    #: a price ≥ 0 (N16,6)
    PRICE = "price"
    #: gend: 1 (male) or 2 (female)
    GEND = "gend"
    #: a hospital tier (tier3, tier2, tier1, primary)
    TIER = "tier"
    #: a hosp_lv code
    HOSP_LV = "hosp_lv"
    #: a key of a parameter mapping (checked against the rule's params by the family)
    KEY = "key"
    #: keys of a parameter mapping, separated by ``|``
    KEYS = "keys"
    #: a time window of a pair: 1h, 6h, day, visit
    WINDOW = "window"
    #: the unit an item is billed in: day or hour
    UNIT = "unit"
    #: ICD-10 prefixes separated by ``|`` (``K74|C78.6``), possibly empty
    ICD_PREFIXES = "icd_prefixes"
    #: lab conditions separated by ``|`` (``ALB < 30 g/L``), possibly empty
    LAB_CONDITIONS = "lab_conditions"
    #: how a row's conditions combine: any or all
    COMBINE = "combine"


_CODE = re.compile(
    r"[XZ][A-Z][0-9]{2}[A-Z]{2}[0-9A-Z]{14}([0-9A-Z]{3})?"  # drug: 20 (中成药) or 23 (西药)
    r"|[0-9]{15}"  # medical service item
    r"|C[0-9A-Z]{26}",  # medical material
    re.ASCII,
)
_DRUG_CLASS = re.compile(r"[A-Z][0-9]{2}[A-Z]{2}", re.ASCII)
_CODE_PREFIX = re.compile(r"[0-9A-Z]{2,27}", re.ASCII)
_COUNT = re.compile(r"[1-9][0-9]{0,5}", re.ASCII)
_ICD = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,8})?", re.ASCII)
#: ``TEST op value [unit]``: a lab test code, a comparison, a number, an optional unit
LAB_CONDITION = re.compile(
    r"(?P<test>[A-Za-z][A-Za-z0-9_-]{0,19})\s*(?P<op><=|>=|<|>|=)\s*"
    r"(?P<value>[0-9]{1,9}(\.[0-9]{1,6})?)\s*(?P<unit>[^\s|]{1,20})?"
)
_ENUMS: dict[Kind, tuple[str, ...]] = {
    Kind.GEND: tuple(Gend),
    Kind.TIER: tuple(HospitalTier),
    Kind.HOSP_LV: tuple(HospLv),
    Kind.WINDOW: ("1h", "6h", "day", "visit"),
    Kind.UNIT: ("day", "hour"),
    Kind.COMBINE: ("any", "all"),
}
_SHAPES: dict[Kind, tuple[re.Pattern[str], str]] = {
    Kind.CODE: (_CODE, "a national code (drug 20/23 characters, item 15 digits, material C+26)"),
    Kind.DRUG_CLASS: (_DRUG_CLASS, "a drug class of 5 characters like B01AX"),
    Kind.CODE_PREFIX: (_CODE_PREFIX, "a code prefix of 2–27 capital letters and digits"),
    Kind.COUNT: (_COUNT, "a whole number ≥ 1"),
}
_MAX_TEXT = 500
_LISTS: dict[Kind, tuple[re.Pattern[str] | None, str]] = {
    Kind.KEYS: (None, "keys"),
    Kind.ICD_PREFIXES: (_ICD, "ICD-10 prefixes (like K74 or C78.6)"),
    Kind.LAB_CONDITIONS: (LAB_CONDITION, "lab conditions (like 'ALB < 30 g/L')"),
}


def split_list(text: str) -> list[str]:
    """The items of a ``|``-separated cell, stripped; an empty cell has none."""
    return [part.strip() for part in text.split("|")] if text.strip() else []


def check_cell(kind: Kind, text: str) -> str | None:
    """Why ``text`` is not a valid cell of ``kind``, or ``None`` when it is."""
    if kind in _SHAPES:
        pattern, what = _SHAPES[kind]
        return None if pattern.fullmatch(text) else f"{text!r} is not {what}"
    if kind in _ENUMS:
        allowed = _ENUMS[kind]
        return None if text in allowed else f"{text!r} is not one of {', '.join(allowed)}"
    return _check_other(kind, text)


def _check_other(kind: Kind, text: str) -> str | None:
    if kind in (Kind.TEXT, Kind.KEY, Kind.KEYS) and not text.strip():
        return "required: the cell is empty"
    if len(text) > _MAX_TEXT:
        return f"longer than {_MAX_TEXT} characters"
    if kind is Kind.OPTIONAL_COUNT and text and not _COUNT.fullmatch(text):
        return f"{text!r} is not a whole number ≥ 1"
    if kind in (Kind.QUANTITY, Kind.PRICE):
        return _check_number(kind, text)
    if kind in _LISTS:
        return _check_list(kind, text)
    return None


def _check_list(kind: Kind, text: str) -> str | None:
    parts = split_list(text)
    if any(not part for part in parts):
        return f"{text!r} has an empty item between '|'"
    pattern, what = _LISTS[kind]
    bad = [part for part in parts if pattern is not None and not pattern.fullmatch(part)]
    return f"not {what}: {', '.join(bad)}" if bad else None


def _check_number(kind: Kind, text: str) -> str | None:
    try:
        number = to_decimal(text, field="cell", kind="count" if kind is Kind.QUANTITY else "price")
    except InvalidValue as exc:
        return exc.reason
    if kind is Kind.QUANTITY and number <= Decimal(0):
        return f"{text} must be greater than 0"
    if number < Decimal(0):
        return f"{text} must not be negative"
    return None
