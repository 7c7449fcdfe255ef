"""Compile the CHS-DRG 1.1 rule files (their text, already read) into :class:`~yibao.drg.model.Rules`.

Pure: the caller reads the files (:mod:`yibao.drg.rules`) and passes their text. ``4_ADRG_DETAIL.txt``
is read as a sequence of sections in document order: a header line (``MDCB 主诊表``, ``BB1 脑创伤开颅术``)
opens a section, a text line (``包含以下主要诊断：``, ``同时包含以下手术：`` … ``和`` …, ``手术表 1：``)
opens a slot, and each code line goes into the open slot. A diagnosis code (a letter first) and a
procedure code (a digit first) are told apart by their shape, so a section whose diagnosis list is
followed by a procedure list with no heading of its own (WB1) still reads right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from yibao.drg.model import AdrgRule, Rules

__all__ = ["RULE_FILES", "compile_rules", "parse_detail", "parse_exclusions", "parse_with_tables"]

RULE_FILES = (
    "1_MDC.txt",
    "2_ADRG.txt",
    "3_DRG.txt",
    "4_ADRG_DETAIL.txt",
    "5_MCC.txt",
    "6_CC.txt",
    "7_CCE.txt",
    "8_OR_PROCEDURES.txt",
)

_HEADER = re.compile(r"^(MDC[A-Z]|[A-Z]{2}[0-9])\s+(.*)$")
_CODE = re.compile(r"^([0-9A-Z][0-9A-Za-z]{1,2}\.[0-9A-Za-z]+(?:\+[A-Z0-9.]+\*)?)(?:\s|$)")
_TABLE_REF = re.compile(r"(表 7-[0-9]+)\s*$")
_NO_TABLE = re.compile(r"(?:^|\s)无$")
_TABLE_NO = re.compile(r"手术(?:表)? ?([0-9]+)")
_MAIN_DX, _ANY_DX, _MAIN_PX, _ALL_PX, _TABLE = "main_dx", "any_dx", "main_px", "all_px", "table"


@dataclass
class _Draft:
    """An ADRG (or an MDC's 主诊表) while its section is being read."""

    code: str
    name: str
    main_dx: set[str] = field(default_factory=set)
    any_dx: set[str] = field(default_factory=set)
    main_px: set[str] = field(default_factory=set)
    all_px: list[set[str]] = field(default_factory=list)
    tables: dict[str, set[str]] = field(default_factory=dict)
    combos: list[tuple[str, ...]] = field(default_factory=list)
    or_main: bool = False
    no_or: bool = False
    slot: str = _MAIN_DX
    table: str = ""
    region: str = ""
    regions: dict[str, str] = field(default_factory=dict)

    def add(self, code: str) -> None:
        is_dx = code[0].isalpha()
        if self.slot == _ALL_PX and not is_dx:
            self.all_px[-1].add(code)
        elif self.slot == _TABLE and not is_dx:
            self.tables[self.table].add(code)
        elif is_dx:
            (self.any_dx if self.slot == _ANY_DX else self.main_dx).add(code)
            if self.region:
                self.regions[code] = self.region
        else:
            self.main_px.add(code)

    def open_slot(self, text: str) -> None:
        if "主要诊断+手术表" in text:
            self.combos.append(tuple(_TABLE_NO.findall(text.split("主要诊断", 1)[1])))
        elif text.startswith(("手术表", "手术 ")):
            self.table = _TABLE_NO.findall(text)[0]
            self.tables[self.table] = set()
            self.slot = _TABLE
        elif text == "同时包含以下手术：" or text == "和":
            self.all_px.append(set())
            self.slot = _ALL_PX
        elif text in ("主要诊断或其他诊断中包含以下诊断：", "包含以下诊断："):
            self.slot = _ANY_DX
        elif text in ("包含以下主要诊断：", "主要诊断："):
            self.slot = _MAIN_DX
        elif text == "包含以下主要手术或操作：":
            self.slot = _MAIN_PX
        elif text in ("全部手术", "包含全部手术"):
            self.or_main = True
        elif text.startswith("符合 MDCZ 主诊表，且无手术"):
            self.no_or = True
        elif text.endswith("创伤"):
            self.region = text
        else:
            raise ValueError(f"4_ADRG_DETAIL.txt: unknown heading {text!r} in {self.code}")

    def rule(self) -> AdrgRule:
        tables = tuple(tuple(frozenset(self.tables[n]) for n in combo) for combo in self.combos)
        no_procedure = not (self.main_px or self.all_px or tables)
        return AdrgRule(
            code=self.code,
            name=self.name,
            main_dx=frozenset(self.main_dx) or None,
            any_dx=frozenset(self.any_dx) or None,
            main_px=frozenset(self.main_px) or None,
            all_px=tuple(frozenset(s) for s in self.all_px),
            px_tables=tables,
            # a surgical ADRG that names no procedure list (WJ1, YC1 手术室手术) takes any
            # operating-room main procedure
            or_main=self.or_main or (no_procedure and not self.no_or and self.code[1] < "R"),
            no_or=self.no_or,
        )


@dataclass
class Detail:
    """``4_ADRG_DETAIL.txt`` compiled: each MDC's 主诊表, MDCZ's body regions, the ADRGs."""

    mdc_main: dict[str, frozenset[str]]
    mdcz_region: dict[str, str]
    adrgs: dict[str, tuple[AdrgRule, ...]]


def parse_detail(lines: Iterable[str]) -> Detail:
    """Read the entry rules section by section, in document order."""
    mains: dict[str, _Draft] = {}
    adrgs: dict[str, list[_Draft]] = {}
    mdc = ""
    draft: _Draft | None = None
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        code = _CODE.match(line)
        if code and draft is not None:
            draft.add(code.group(1))
            continue
        header = _HEADER.match(line)
        if header:
            key, name = header.groups()
            name = name.replace("~~", "")
            if key.startswith("MDC"):
                mdc = key
                adrgs.setdefault(mdc, [])
                draft = mains.setdefault(mdc, _Draft(mdc, name)) if name == "主诊表" else None
            else:
                draft = _Draft(key, name)
                adrgs[mdc].append(draft)
            continue
        if draft is None:
            raise ValueError(f"4_ADRG_DETAIL.txt: {line!r} outside any section")
        draft.open_slot(line)
    regions = mains["MDCZ"].regions if "MDCZ" in mains else {}
    return Detail(
        mdc_main={m: frozenset(d.main_dx) for m, d in mains.items()},
        mdcz_region=dict(regions),
        adrgs={m: tuple(d.rule() for d in ds) for m, ds in adrgs.items()},
    )


def parse_with_tables(lines: Iterable[str]) -> dict[str, str | None]:
    """``5_MCC.txt`` / ``6_CC.txt``: code → exclusion table (``表 7-n``), None for ``无``.

    Long names wrap onto the next lines, so the table (or 无) may stand on a later line than the
    code; page numbers and repeated column headings are skipped.
    """
    result: dict[str, str | None] = {}
    pending: str | None = None
    for raw in lines:
        line = raw.strip()
        code = _CODE.match(line)
        if code:
            pending = code.group(1)
            result[pending] = None
        if pending is None:
            continue
        ref = _TABLE_REF.search(line)
        if ref:
            result[pending] = ref.group(1)
            pending = None
        elif _NO_TABLE.search(line):
            pending = None
    return result


def parse_exclusions(lines: Iterable[str]) -> dict[str, frozenset[str]]:
    """``7_CCE.txt``: main diagnosis → the exclusion tables (``表 7-n``) that list it."""
    found: dict[str, set[str]] = {}
    table = ""
    for raw in lines:
        line = raw.strip()
        if line.startswith("表 7-"):
            table = line
            continue
        code = _CODE.match(line)
        if code and table:
            found.setdefault(code.group(1), set()).add(table)
    return {k: frozenset(v) for k, v in found.items()}


def _names(lines: Iterable[str], sep: str | None = None) -> dict[str, str]:
    result: dict[str, str] = {}
    for raw in lines:
        parts = raw.strip().split(sep, 1)
        if len(parts) == 2 and parts[0] != "code":
            result[parts[0]] = parts[1].replace("~~", "")
    return result


def _rule_codes_too(dictionary: dict[str, str], detail: Detail) -> dict[str, str]:
    """The dictionary plus the few diagnosis codes the rule files use but it lacks (K43.900 …)."""
    for codes in detail.mdc_main.values():
        for code in codes - dictionary.keys():
            dictionary[code] = "(named only in the CHS-DRG 1.1 rule files)"
    return dictionary


def compile_rules(texts: Mapping[str, str], *, diagnoses: str, procedures: str) -> Rules:
    """All rule files (name → text, see ``RULE_FILES``) and both dictionaries (TSV) → ``Rules``."""
    detail = parse_detail(texts["4_ADRG_DETAIL.txt"].splitlines())
    drgs = _names(texts["3_DRG.txt"].splitlines())
    suffixes: dict[str, set[str]] = {}
    for drg in drgs:
        suffixes.setdefault(drg[:3], set()).add(drg[3])
    return Rules(
        mdc_names=_names(texts["1_MDC.txt"].splitlines()),
        adrg_names=_names(texts["2_ADRG.txt"].splitlines()),
        drg_names=drgs,
        suffixes={k: frozenset(v) for k, v in suffixes.items()},
        mdc_main=detail.mdc_main,
        mdcz_region=detail.mdcz_region,
        adrgs=detail.adrgs,
        mcc=parse_with_tables(texts["5_MCC.txt"].splitlines()),
        cc=parse_with_tables(texts["6_CC.txt"].splitlines()),
        cce=parse_exclusions(texts["7_CCE.txt"].splitlines()),
        or_procedures=frozenset(_names(texts["8_OR_PROCEDURES.txt"].splitlines())),
        diagnoses=_rule_codes_too(_names(diagnoses.splitlines(), "\t"), detail),
        procedures=_names(procedures.splitlines(), "\t"),
    )
