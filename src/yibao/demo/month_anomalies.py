"""Deliberate care and deliberate violations in a generated month.

*Care on purpose* (no rule broken): 糖化血红蛋白 tests with their lab report, nutrition drugs with
an NRS2002 screening, operations with their operation record, albumin with a low ALB result.

*Violations*, each on a small share of the eligible visits, one per rule family of the national
rule base and ``docs/audit-examples`` (seed 003's cases): a drug for the other sex, a children's
drug for an adult, a drug above the institution's tier, an inpatient-only drug in an outpatient
visit, a work-injury drug, a drug billed past its paid course, 住院诊查费 twice a day, 呼吸机 25
hours a day, two 糖化血红蛋白 within 15 days, a duplicate pair, 手功能评定 a week apart, two
operations of one group at full price, a guide wire billed beside an angiography, ERCP billed
twice, albumin and daptomycin without their indication, a nutrition drug without screening, two
drugs of one class the same day, an outpatient prescription of 10 days, 七氟烷 billed in bottles
for an order in ml, 住院诊查费 above its price ceiling, a readmission within 15 days, an idle stay,
an outpatient visit elsewhere during a stay, 14 days of discharge medication, and a test without
its report. Stock short of the billed quantity is made in ``month`` (it needs the whole month).

``before_lines`` changes visits (adds readmissions and visits elsewhere, marks idle stays and
dear consultations) before the ordinary lines are drawn; ``after_lines`` adds groups and records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from yibao.demo.month_codes import KIND_TCM, CodeBook
from yibao.demo.month_people import Institutions, People
from yibao.demo.month_visits import ICD, INPATIENT, OUT, WARD_VISIT, Chunk, derive

__all__ = ["Scenarios", "after_lines", "before_lines", "prepare_scenarios"]

HBA1C, VENTILATOR, HAND = "002503020030000", "003106030010000", "003402000050000"
ER_MONITOR, WORK_TRAINING = "001103000010000", "003402000320000"
#: the examples' codes (docs/audit-examples), marked 示例编码 where illustrative
EXAMPLE_CODES = {
    "XB05AAR001B002010100000": "人血白蛋白（示例编码）",
    "XJ01XXD050B001010100000": "注射用达托霉素（示例编码）",
    "XN01ABQ045L017010100000": "七氟烷吸入剂（示例编码）",
    "003206000010000": "经股动脉全脑动脉造影术（示例编码）",
    "C02010000000000000000000000": "造影导丝（示例编码）",
    "003107020120000": "经十二指肠胆道取石术（31类，示例编码）",
    "003310060150000": "经内镜奥狄氏括约肌切开取石术(ECT)",
}
STACKING_CLASSES = ("A12HA", "A12GA")
_ALBUMIN, _DAPTO, _SEVO, _ANGIO, _WIRE, _ERCP_A, _ERCP_B = EXAMPLE_CODES
RATE = 0.005


@dataclass(frozen=True, slots=True)
class Scenarios:
    """The code indices each scenario draws from."""

    sex: tuple[Any, Any]
    children: Any
    level: tuple[Any, Any]
    inpatient_only: Any
    work_injury: Any
    pay_course: Any
    pairs: Any
    operations: Any
    nutrition: Any
    stacking: Any
    named: dict[str, int]
    #: multiplies every violation's share (a small test month needs more of them to show each)
    scale: float = 1.0

    def pick(self, rng: np.random.Generator, mask: Any, rate: float = RATE) -> Any:
        """The visits of ``mask`` chosen for a violation, ``rate`` × ``scale`` of them."""
        return _pick(rng, mask, min(1.0, rate * self.scale))


def _rows(book: CodeBook, family: str, keep: Callable[[dict[str, str]], bool]) -> Any:
    found = sorted({book.index[r["code"]] for r in book.tables.get(family, []) if keep(r)})
    return np.array(found, dtype=np.int64)


def _operations(book: CodeBook) -> Any:
    groups: dict[str, list[int]] = {}
    for row in book.tables.get("main_secondary_operation", []):
        j = book.index[row["code"]]
        if book.plain[j]:
            groups.setdefault(row["group"], []).append(j)
    return [np.array(sorted(set(g)), dtype=np.int64) for g in groups.values() if len(set(g)) > 1]


def _stacking(book: CodeBook) -> Any:
    pairs = []
    listed = sorted({r["drug_class"] for r in book.tables.get("same_class_stacking", [])})
    for klass in listed or STACKING_CLASSES:
        by_drug: dict[str, int] = {}
        for j, code in enumerate(book.codes):
            if code[1:6] == klass and book.kind[j] <= KIND_TCM:
                by_drug.setdefault(code[:11], j)
        if len(by_drug) > 1:
            pairs.append(sorted(by_drug.values())[:2])
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def prepare_scenarios(book: CodeBook, *, scale: float = 1.0) -> Scenarios:
    """Add the examples' codes to ``book`` and index what every scenario draws from."""
    for code, name in EXAMPLE_CODES.items():
        book.add(code, name)
    pairs = [(book.index[r["main_code"]], book.index[r["sub_code"]])
             for r in book.tables.get("duplicate_pair", []) if r["window"] in ("day", "visit")]  # fmt: skip
    plain_in = book.plain & book.inpatient_ok
    return Scenarios(
        sex=(
            _rows(book, "sex", lambda r: r["gend"] == "2"),
            _rows(book, "sex", lambda r: r["gend"] == "1"),
        ),
        children=_rows(book, "age", lambda r: r["band"] == "儿童"),
        level=(
            _rows(book, "inst_level", lambda r: r["min_tier"] == "tier2"),
            _rows(book, "inst_level", lambda r: r["min_tier"] == "tier3"),
        ),
        inpatient_only=_rows(book, "med_type", lambda r: r["allowed"] == "inpatient"),
        work_injury=_rows(book, "insutype", lambda r: r["scheme"] == "work_injury"),
        pay_course=_rows(book, "pay_course", lambda r: int(r["max_days"]) <= 14),
        pairs=np.array(pairs, dtype=np.int64).reshape(-1, 2),
        operations=_operations(book),
        nutrition=np.flatnonzero(book.nutrition & plain_in),
        stacking=_stacking(book),
        named={
            c: book.index[c]
            for c in (HBA1C, VENTILATOR, HAND, ER_MONITOR, WORK_TRAINING, *EXAMPLE_CODES)
        },
        scale=scale,
    )


def _pick(rng: np.random.Generator, mask: Any, rate: float = RATE) -> Any:
    return np.flatnonzero(np.asarray(mask) & (rng.random(len(mask)) < rate))


def _one_of(rng: np.random.Generator, candidates: Any, n: int) -> Any:
    return np.asarray(candidates)[rng.integers(0, len(candidates), n)]


def before_lines(chunk: Chunk, s: Scenarios, *, people: People, places: Institutions,
                 book: CodeBook, rng: np.random.Generator) -> None:  # fmt: skip
    """Readmissions, visits elsewhere during a stay, idle stays, dear consultations."""
    v = chunk.visits
    stays = v["care"] == INPATIENT
    dear, idle = s.pick(rng, stays & (v["tier"] >= 2)), s.pick(rng, stays & (v["length"] >= 8))
    v["ward_price"][dear] = 2500
    v["idle"][idle] = True
    again, away = s.pick(rng, stays), s.pick(rng, stays & (v["length"] >= 4))
    other = (v["inst"][away] + 1 + rng.integers(0, len(places) - 1, len(away))) % len(places)
    away_begin = v["begin"][away] + 2
    begin = v["begin"][again] + v["length"][again] - 1 + rng.integers(2, 12, len(again))
    again, begin = again[begin <= chunk.last_day], begin[begin <= chunk.last_day]
    length = np.minimum(rng.integers(1, 6, len(again)), chunk.last_day - begin + 1)
    where: dict[str, Any] = {"people": people, "places": places, "book": book, "rng": rng}
    _append(chunk, again, **where, begin=begin, length=length, inst=v["inst"][again],
            care=np.full(len(again), INPATIENT))  # fmt: skip
    _append(chunk, away, **where, begin=away_begin, length=np.ones(len(away), dtype=np.int64),
            inst=other, care=np.full(len(away), OUT))  # fmt: skip


def _append(chunk: Chunk, source: Any, *, people: People, places: Institutions, book: CodeBook,
            rng: np.random.Generator, **columns: Any) -> None:  # fmt: skip
    v = chunk.visits
    n = len(source)
    numbers = v["number"].max() + 1 + np.arange(n) if len(chunk) else np.arange(n)
    added = {"person": v["person"][source], "number": numbers, "idle": np.zeros(n, dtype=bool),
             "ward_price": np.full(n, -1), **columns}  # fmt: skip
    derive(added, people, places, book.colours, rng)
    chunk.append_visits(added)


def after_lines(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    """Care on purpose and the violations added to the drawn lines."""
    for scenario in (_on_purpose, _line_rules, _repeat_rules, _billing_rules, _evidence_rules,
                     _order_rules):  # fmt: skip
        scenario(chunk, s, book, rng)


def _on_purpose(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    v, n = chunk.visits, s.named
    stays = v["care"] == INPATIENT
    tested = _pick(rng, stays, 0.15)
    chunk.groups.add(tested, code=n[HBA1C], hour=7, billed_unit=3)
    chunk.records.add(tested, doc=1, code=n[HBA1C])
    chunk.labs.add(tested, test=2, value=rng.integers(45_000, 90_000, len(tested)))
    fed = _pick(rng, stays & (v["length"] >= 3), 0.05)
    chunk.groups.add(fed, code=_one_of(rng, s.nutrition, len(fed)), run=3, hour=10,
                     billed_unit=2, order_unit=2)  # fmt: skip
    chunk.records.add(fed, doc=0)
    cut = _pick(rng, stays & (v["length"] >= 3), 0.2)
    group = rng.integers(0, len(s.operations), len(cut))
    ops = np.array([s.operations[g][rng.integers(0, len(s.operations[g]))] for g in group],
                   dtype=np.int64)  # fmt: skip
    chunk.groups.add(cut, code=ops, start=1, hour=9, billed_unit=3)
    chunk.records.add(cut, doc=2, day=1, code=ops)
    given = _pick(rng, stays & (v["length"] >= 2), 0.01)
    chunk.groups.add(given, code=n[_ALBUMIN], start=1, hour=11, billed_unit=2, order_unit=2)
    chunk.labs.add(given, test=0, value=rng.integers(200_000, 290_000, len(given)), day=1)
    chunk.diagnoses.add(given, icd=ICD.index("K74"))  # 肝硬化: with ALB < 30, albumin is paid


def _line_rules(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    v = chunk.visits
    every = np.ones(len(chunk), dtype=bool)
    sex = v["stratum"] // 96  # 0 male, 1 female (the stratum's leading digit)
    for gend in (0, 1):
        hit = s.pick(rng, sex == gend)
        chunk.groups.add(hit, code=_one_of(rng, s.sex[gend], len(hit)), hour=10, billed_unit=0)
    age_group = v["stratum"] // 16 % 6
    adult = s.pick(rng, age_group >= 3)
    chunk.groups.add(adult, code=_one_of(rng, s.children, len(adult)), hour=10, billed_unit=0)
    old = s.pick(rng, age_group == 5, 0.002)
    chunk.groups.add(old, code=s.named[WORK_TRAINING], hour=15, billed_unit=3)
    for need, codes in ((2, s.level[0]), (3, s.level[1])):
        low = s.pick(rng, v["tier"] < need)
        chunk.groups.add(low, code=_one_of(rng, codes, len(low)), hour=10, billed_unit=1)
    out = s.pick(rng, v["care"] != INPATIENT)
    chunk.groups.add(out, code=_one_of(rng, s.inpatient_only, len(out)), hour=10, billed_unit=2)
    injured = s.pick(rng, every, 0.001)
    chunk.groups.add(injured, code=_one_of(rng, s.work_injury, len(injured)), billed_unit=0)


def _repeat_rules(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    v, n = chunk.visits, s.named
    stays = v["care"] == INPATIENT
    long_stays = s.pick(rng, stays & (v["length"] >= 16), 0.05)
    chunk.groups.add(long_stays, code=_one_of(rng, s.pay_course, len(long_stays)),
                     run=v["length"][long_stays], hour=14, billed_unit=1, order_unit=1)  # fmt: skip
    twice = s.pick(rng, stays & (v["length"] >= 2))
    day = (rng.random(len(twice)) * v["length"][twice]).astype(np.int64)
    chunk.groups.add(twice, code=book.index[WARD_VISIT], start=day, hour=16, billed_unit=3)
    breathing = s.pick(rng, stays, 0.002)
    chunk.groups.add(breathing, code=n[VENTILATOR], cnt=25, hour=12, billed_unit=6)
    tested = s.pick(rng, stays & (v["length"] >= 6))
    for day in (0, 5):
        chunk.groups.add(tested, code=n[HBA1C], start=day, hour=7, billed_unit=3)
        chunk.records.add(tested, doc=1, day=day, code=n[HBA1C])
    hands = s.pick(rng, stays & (v["length"] >= 8), 0.003)
    for day in (0, 7):
        chunk.groups.add(hands, code=n[HAND], start=day, hour=15, billed_unit=3)
    paired = s.pick(rng, stays, 0.003)
    pair = s.pairs[rng.integers(0, len(s.pairs), len(paired))]
    for side in (0, 1):
        chunk.groups.add(paired, code=pair[:, side], hour=13 + side, billed_unit=3)
    watched = s.pick(rng, v["care"] == 1, 0.01)
    chunk.groups.add(watched, code=n[ER_MONITOR], hour=1, billed_unit=3)


def _billing_rules(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    v, n = chunk.visits, s.named
    stays = v["care"] == INPATIENT
    cut = s.pick(rng, stays & (v["length"] >= 3), 0.003)
    group = rng.integers(0, len(s.operations), len(cut))
    for k in (0, 1):
        ops = np.array([s.operations[g][k] for g in group], dtype=np.int64)
        chunk.groups.add(cut, code=ops, start=1, hour=9 + k, billed_unit=3)
        chunk.records.add(cut, doc=2, day=1, code=ops)
    for codes, rate in (((_ANGIO, _WIRE), 0.002), ((_ERCP_A, _ERCP_B), 0.002)):
        hit = s.pick(rng, stays & (v["length"] >= 2), rate)
        for k, code in enumerate(codes):
            chunk.groups.add(hit, code=n[code], start=1, hour=10 + k, billed_unit=3)
            chunk.records.add(hit, doc=2, day=1, code=n[code])
    stacked = s.pick(rng, stays, 0.003)
    pair = s.stacking[rng.integers(0, len(s.stacking), len(stacked))]
    for k in (0, 1):
        chunk.groups.add(stacked, code=pair[:, k], hour=10 + k, billed_unit=1, order_unit=1)


def _evidence_rules(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    v, n = chunk.visits, s.named
    stays = v["care"] == INPATIENT
    for code in (_ALBUMIN, _DAPTO):
        hit = s.pick(rng, stays, 0.002)
        chunk.groups.add(hit, code=n[code], hour=11, billed_unit=2, order_unit=2)
    unscreened = s.pick(rng, stays, 0.003)
    chunk.groups.add(unscreened, code=_one_of(rng, s.nutrition, len(unscreened)), hour=10,
                     billed_unit=2, order_unit=2)  # fmt: skip
    unreported = s.pick(rng, stays, 0.003)
    chunk.groups.add(unreported, code=n[HBA1C], hour=7, billed_unit=3)


def _order_rules(chunk: Chunk, s: Scenarios, book: CodeBook, rng: np.random.Generator) -> None:
    v, n = chunk.visits, s.named
    stays = v["care"] == INPATIENT
    assert book.drugs is not None
    long_rx = s.pick(rng, v["care"] == OUT, 0.003)
    chunk.groups.add(long_rx, code=book.drugs.draw(v["stratum"][long_rx], rng), medc_days=10,
                     rx=True, billed_unit=0, order_unit=0, hour=10)  # fmt: skip
    gas = s.pick(rng, stays, 0.002)
    chunk.groups.add(gas, code=n[_SEVO], cnt=20, order_cnt=200_000, billed_unit=2, order_unit=5,
                     hour=9)  # fmt: skip
    over = s.pick(rng, stays, 0.002)
    chunk.groups.add(over, code=book.drugs.draw(v["stratum"][over], rng), cnt=4,
                     order_cnt=20_000, billed_unit=0, order_unit=0, hour=12)  # fmt: skip
    home = s.pick(rng, stays, 0.003)
    chunk.groups.add(home, code=book.drugs.draw(v["stratum"][home], rng),
                     start=v["length"][home] - 1, medc_days=14, dscg=True, rx=True,
                     billed_unit=0, order_unit=0, hour=11)  # fmt: skip
