"""The CHS-DRG 1.1 grouping steps: one case and the compiled rules in, a :class:`Grouping` with its trace out.

Pure and fast: per case only set and dict lookups over the tables :mod:`yibao.drg.parse` built once.
The order of the steps and every rule the text files do not spell out are written down, each with
its source, in ``docs/drg-grouping.md``:

1. validate (:mod:`yibao.drg.validate`);
2. MDCs in OpenDRG's order: MDCA (pre-MDC, by an operating-room main procedure), MDCP (newborns,
   age 0), MDCY (HIV), MDCZ (multiple trauma: two body regions), MDCM (men), MDCN (women), then the
   rest by the main diagnosis in each 主诊表; an MDC whose ADRGs all refuse the case hands it on;
3. ADRGs of the MDC in document order; before the first medical ADRG, a case with an
   operating-room procedure is ambiguous (QY);
4. the DRG suffix from the MCC / CC of the other diagnoses, minus those the main diagnosis's
   exclusion table cancels, among the suffixes the ADRG has.
"""

from __future__ import annotations

from collections.abc import Callable

from yibao.drg.model import NO_ADRG, NO_DRG, QY, AdrgRule, Case, Grouping, Rules, Status
from yibao.drg.validate import NEWBORN_DAYS, validate

__all__ = ["MDC_ORDER", "group_case"]

MDC_ORDER = (
    "MDCA", "MDCP", "MDCY", "MDCZ", "MDCM", "MDCN", "MDCB", "MDCC", "MDCD", "MDCE", "MDCF", "MDCG",
    "MDCH", "MDCI", "MDCJ", "MDCK", "MDCL", "MDCO", "MDCQ", "MDCR", "MDCS", "MDCT", "MDCU", "MDCV",
    "MDCW", "MDCX",
)  # fmt: skip


def _newborn(case: Case) -> bool:
    return case.age == 0 and case.age_days is not None and case.age_days <= NEWBORN_DAYS


def _weighs(low: int, high: int) -> Callable[[Case], bool]:
    def check(case: Case) -> bool:
        return _newborn(case) and case.weight is not None and low <= case.weight <= high

    return check


def _infant(case: Case) -> bool:
    return case.age == 0 and case.age_days is not None and case.age_days > NEWBORN_DAYS


_EXTRA: dict[str, tuple[Callable[[Case], bool], str]] = {
    "PB1": (_newborn, "age ≤ 28 days"),
    "PC1": (_newborn, "age ≤ 28 days"),
    "PJ1": (_newborn, "age ≤ 28 days"),
    "PK1": (_newborn, "age ≤ 28 days"),
    "PS1": (_weighs(1, 1499), "birth weight < 1500 g, age ≤ 28 days"),
    "PS2": (_weighs(1500, 1999), "birth weight 1500-1999 g, age ≤ 28 days"),
    "PS3": (_weighs(2000, 2499), "birth weight 2000-2499 g, age ≤ 28 days"),
    "PS4": (_weighs(2500, 10_000), "birth weight ≥ 2500 g, age ≤ 28 days"),
    "PU1": (_newborn, "age ≤ 28 days"),
    "PV1": (_infant, "age 29 days to 1 year"),
}
"""Conditions the rule files leave to the ADRG's name (docs/drg-grouping.md §4)."""


def group_case(case: Case, rules: Rules, *, qy: bool = True) -> Grouping:
    """Group one case. Never raises for bad input: a bad case comes back ``invalid``.

    ``qy=False`` turns the ambiguous-group test off, as OpenDRG's DRG_Python does.
    """
    refused = validate(case, rules)
    if refused is not None:
        return refused
    trace: list[str] = []
    first: str | None = None
    for mdc in MDC_ORDER:
        why = _enters(mdc, case, rules)
        if why is None:
            continue
        mark = len(trace)
        trace.append(f"MDC: {mdc} {why}")
        found = _in_mdc(mdc, case, rules, trace, qy=qy)
        if found is not None:
            return found
        if mdc == "MDCA":  # most operations are not pre-MDC: keep the trace short
            del trace[mark:]
        else:
            first = first or mdc
    if first is None:
        trace.append(f"MDC: main diagnosis {case.diagnoses[0]} is in no MDC's 主诊表")
    return Grouping(Status.UNGROUPABLE, first, NO_ADRG, NO_DRG, tuple(trace))


def _enters(mdc: str, case: Case, rules: Rules) -> str | None:  # noqa: PLR0911 - one per special MDC
    main = case.diagnoses[0]
    if mdc == "MDCA":
        px = case.procedures[0] if case.procedures else None
        if px is None or px not in rules.or_procedures:
            return None
        return f"(pre-MDC) by main procedure {px}, an operating-room procedure (8_OR_PROCEDURES)"
    if main not in rules.mdc_main.get(mdc, ()):
        return None
    table = f"by main diagnosis {main} in the {mdc} 主诊表"
    if mdc == "MDCP":
        return f"{table}, age 0" if case.age == 0 else None
    if mdc == "MDCM":
        return f"{table}, male" if case.gender == "1" else None
    if mdc == "MDCN":
        return f"{table}, female" if case.gender == "2" else None
    if mdc == "MDCZ":
        regions = {rules.mdcz_region[d] for d in case.diagnoses if d in rules.mdcz_region}
        if len(regions) < 2:
            return None
        return f"{table}, trauma in {len(regions)} body regions ({'、'.join(sorted(regions))})"
    return table


def _in_mdc(mdc: str, case: Case, rules: Rules, trace: list[str], *, qy: bool) -> Grouping | None:
    checked_qy = mdc == "MDCA" or not qy
    for rule in rules.adrgs.get(mdc, ()):
        if not checked_qy and not rule.surgical:
            checked_qy = True
            ambiguous = _ambiguous(mdc, case, rules, trace)
            if ambiguous is not None:
                return ambiguous
        why = _matches(rule, case, rules)
        if why is None:
            continue
        extra = _EXTRA.get(rule.code)
        if extra is not None and not extra[0](case):
            continue
        trace.append(f"ADRG: {rule.code} {rule.name} by {why}" + (f"; {extra[1]}" if extra else ""))
        drg = _drg(rule.code, case, rules, trace)
        return Grouping(Status.OK, mdc, rule.code, drg, tuple(trace))
    trace.append(f"ADRG: none of the {mdc} ADRGs takes the case; the next MDCs are tried")
    return None


def _ambiguous(mdc: str, case: Case, rules: Rules, trace: list[str]) -> Grouping | None:
    for px in case.procedures:
        if px in rules.or_procedures:
            trace.append(
                f"ADRG: QY (歧义组): procedure {px} is an operating-room procedure "
                f"(8_OR_PROCEDURES) that no surgical ADRG of {mdc} takes"
            )
            return Grouping(Status.AMBIGUOUS, mdc, QY, mdc[3] + QY, tuple(trace))
    return None


def _matches(rule: AdrgRule, case: Case, rules: Rules) -> str | None:  # noqa: C901, PLR0911, PLR0912
    """Why the case enters ``rule``, or None; every condition the rule has must hold."""
    main = case.diagnoses[0]
    px = case.procedures[0] if case.procedures else None
    why: list[str] = []
    if rule.main_dx is not None:
        if main not in rule.main_dx:
            return None
        why.append(f"main diagnosis {main} in its 主要诊断表")
    if rule.main_px is not None:
        if px is None or px not in rule.main_px:
            return None
        why.append(f"main procedure {px} in its 主要手术表")
    if rule.any_dx is not None:
        hit = next((d for d in case.diagnoses if d in rule.any_dx), None)
        if hit is None:
            return None
        why.append(f"diagnosis {hit} in its 诊断表 (main or other)")
    for n, listed in enumerate(rule.all_px, 1):
        hit = next((p for p in case.procedures if p in listed), None)
        if hit is None:
            return None
        why.append(f"procedure {hit} in its 同时包含 list {n}")
    if rule.px_tables:
        combo = _combo(rule, case.procedures)
        if combo is None:
            return None
        why.append(combo)
    if rule.or_main:
        if px is None or px not in rules.or_procedures:
            return None
        why.append(f"main procedure {px}, an operating-room procedure (全部手术)")
    if rule.no_or:
        if px is not None and px in rules.or_procedures:
            return None
        why.append("no operating-room main procedure (无手术)")
    return "; ".join(why) or None


def _combo(rule: AdrgRule, procedures: tuple[str, ...]) -> str | None:
    for n, tables in enumerate(rule.px_tables, 1):
        hits = [next((p for p in procedures if p in t), None) for t in tables]
        if all(hits):
            return f"procedures {'+'.join(h or '' for h in hits)} covering 手术表 combination {n}"
    return None


def _drg(adrg: str, case: Case, rules: Rules, trace: list[str]) -> str:
    suffixes = rules.suffixes.get(adrg, frozenset())
    if "9" in suffixes:
        trace.append(f"DRG: {adrg}9, the ADRG is not split by complications (suffix 9)")
        return adrg + "9"
    mcc, cc = _complications(case, rules, trace)
    found = f"MCC {mcc} (5_MCC)" if mcc else f"CC {cc} (6_CC)"
    if mcc and "1" in suffixes:
        suffix, why = "1", found
    elif (mcc or cc) and "1" in suffixes and "3" not in suffixes:
        suffix, why = "1", f"{found}; {adrg} has no CC group (…3), so a CC takes …1"
    elif (mcc or cc) and "3" in suffixes:
        note = f"; {adrg} has no MCC group (…1)" if mcc else ""
        suffix, why = "3", found + note
    else:
        suffix, why = "5", "no MCC or CC among the other diagnoses"
    trace.append(f"DRG: {adrg}{suffix} by {why}")
    return adrg + suffix


def _complications(case: Case, rules: Rules, trace: list[str]) -> tuple[str | None, str | None]:
    """The first other diagnosis counting as MCC and the first counting as CC (None if none)."""
    mcc: str | None = None
    cc: str | None = None
    excluded = rules.cce.get(case.diagnoses[0], frozenset())
    for code in case.diagnoses[1:]:
        for kind, table in (("MCC", rules.mcc), ("CC", rules.cc)):
            if code not in table:
                continue
            exclusion = table[code]
            if exclusion is not None and exclusion in excluded:
                trace.append(
                    f"{kind}: {code} does not count: main diagnosis {case.diagnoses[0]} "
                    f"is in its exclusion table {exclusion} (7_CCE)"
                )
            elif kind == "MCC":
                mcc = mcc or code
            else:
                cc = cc or code
    return mcc, cc
