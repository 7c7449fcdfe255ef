"""The CHS-DRG 1.1 grouper's records: a case in, a grouping out, and the compiled rule tables.

Pure: standard library only. ``Case`` is one inpatient case (settlement list 4101 / discharge 2402),
``Grouping`` the result with a trace whose every step names the list or table that decided it, and
``Rules`` the rule files of ``data/chs_drg_1.1`` compiled into frozensets and dicts by
:mod:`yibao.drg.parse`. How the rules are read is written down in ``docs/drg-grouping.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "NO_ADRG",
    "NO_DRG",
    "QY",
    "AdrgRule",
    "Case",
    "Grouping",
    "Rules",
    "Status",
]

NO_ADRG = "00"
NO_DRG = "0000"
QY = "QY"


class Status(StrEnum):
    """How a grouping ended (分组状态)."""

    OK = "ok"
    """入组成功: a DRG was found."""
    INVALID = "invalid"
    """校验失败: the case itself is wrong (a field is missing, impossible or an unknown code)."""
    UNGROUPABLE = "ungroupable"
    """无法入组: no MDC, or no ADRG of the MDCs that took it."""
    AMBIGUOUS = "ambiguous"
    """歧义组 (QY): an operating-room procedure that no surgical ADRG of the MDC takes."""


@dataclass(frozen=True, slots=True)
class Case:
    """One inpatient case as the grouper reads it.

    ``gender`` is the NHSA code ('1' male, '2' female); ``age`` is in years, ``age_days`` in days
    (needed when ``age`` is 0); ``weight`` is the birth weight in grams (newborns); ``los`` is the
    length of stay in days; ``leaving_type`` the 离院方式 code. ``diagnoses`` are 医保版 ICD-10
    codes, the main diagnosis first; ``procedures`` ICD-9-CM-3 codes, the main procedure first.
    """

    id: str
    gender: str
    age: int | None
    age_days: int | None
    weight: int | None
    los: int | None
    leaving_type: str | None
    diagnoses: tuple[str, ...]
    procedures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Grouping:
    """The result: MDC ('MDCG'), ADRG ('GZ1', 'QY' or '00'), DRG ('GZ13', 'GQY' or '0000')."""

    status: Status
    mdc: str | None
    adrg: str
    drg: str
    trace: tuple[str, ...]

    @classmethod
    def invalid(cls, field: str, reason: str) -> Grouping:
        """A case refused by validation: the trace names the field and the reason."""
        return cls(Status.INVALID, None, NO_ADRG, NO_DRG, (f"{field}: {reason}",))


@dataclass(frozen=True, slots=True)
class AdrgRule:
    """The entry conditions of one ADRG, as compiled from ``4_ADRG_DETAIL.txt``.

    Every condition present must hold (they are joined by AND):

    - ``main_dx``: the main diagnosis is in this set (包含以下主要诊断 / 主要诊断).
    - ``any_dx``: some diagnosis, main or other, is in this set (主要诊断或其他诊断中包含 / 包含以下诊断).
    - ``main_px``: the main procedure is in this set (包含以下主要手术或操作).
    - ``all_px``: each set holds at least one of the case's procedures (同时包含以下手术：… 和 …).
    - ``px_tables``: for at least one alternative, each of its 手术表 holds one of the case's
      procedures (包含以下主要诊断+手术表 1+手术表 2 / 或 …).
    - ``or_main``: the main procedure is an operating-room procedure (全部手术, or a surgical
      ADRG with no list such as WJ1).
    - ``no_or``: the main procedure is absent or not an operating-room procedure (ZZ1 无手术).
    """

    code: str
    name: str
    main_dx: frozenset[str] | None = None
    any_dx: frozenset[str] | None = None
    main_px: frozenset[str] | None = None
    all_px: tuple[frozenset[str], ...] = ()
    px_tables: tuple[tuple[frozenset[str], ...], ...] = ()
    or_main: bool = False
    no_or: bool = False

    @property
    def surgical(self) -> bool:
        """Surgical or procedural (A–Q as the second letter): checked before the QY test."""
        return self.code[1] < "R"


@dataclass(frozen=True, slots=True)
class Rules:
    """Every rule file compiled once into lookup structures (see :func:`yibao.drg.parse.compile_rules`)."""

    mdc_names: Mapping[str, str]
    adrg_names: Mapping[str, str]
    drg_names: Mapping[str, str]
    suffixes: Mapping[str, frozenset[str]]
    """ADRG → the DRG suffixes it has ('1', '3', '5', '9')."""
    mdc_main: Mapping[str, frozenset[str]]
    """MDC → its 主诊表 (MDCZ: every code of every body region)."""
    mdcz_region: Mapping[str, str]
    """MDCZ 主诊表 code → its body region (头颈部创伤, 胸部创伤 …)."""
    adrgs: Mapping[str, tuple[AdrgRule, ...]]
    """MDC → its ADRGs in document order."""
    mcc: Mapping[str, str | None]
    """MCC code → its exclusion table ('表 7-1'), None for 无."""
    cc: Mapping[str, str | None]
    cce: Mapping[str, frozenset[str]]
    """Main diagnosis → the exclusion tables that list it (7_CCE)."""
    or_procedures: frozenset[str]
    diagnoses: Mapping[str, str]
    """The diagnosis dictionary, code → name."""
    procedures: Mapping[str, str]
    """The procedure dictionary, code → name."""
