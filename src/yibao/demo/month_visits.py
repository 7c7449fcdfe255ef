"""One chunk of generated visits and their ordinary fee lines, as NumPy columns.

A chunk holds visits (person, institution, care, dates) and *groups*: a group is one code billed
on a run of consecutive days of a visit (a bed fee every day of a stay, a drug for four days, a
lab test once); each day of a run becomes one fee line. Diagnoses, lab results and documents are
blocks keyed by the visit too. Everything is drawn in bulk with NumPy:

* outpatient (普通门诊 11, 门诊慢特病 14) and emergency (急诊 13) visits last one day: a few drugs of
  one prescription and a few tests; emergency visits carry 急诊诊查费;
* inpatient stays (住院 21) of 1–30 days carry 普通病房床位费, 住院诊查费 and Ⅱ级护理 every day,
  one drug every day (a treatment each day: no idle bed days), courses of drugs, tests, and
  sometimes drugs taken home at discharge.

Codes come from the code book's pools for the visit's stratum, so an ordinary line breaks no rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yibao.demo.month_codes import CodeBook, stratum_of
from yibao.demo.month_people import Institutions, People

__all__ = [
    "BED",
    "DOCS",
    "ICD",
    "NURSING",
    "TESTS",
    "UNITS",
    "WARD_VISIT",
    "Blocks",
    "Chunk",
    "add_ordinary_lines",
    "new_chunk",
]

BED, WARD_VISIT, NURSING, ER_VISIT = (
    "001109000010000", "001102000050000", "001201000040000", "001102000030000")  # fmt: skip
#: the ordinary diagnoses (ICD-10) drawn for visits
ICD = ("I10", "E11.9", "J18.9", "K29.7", "I63.9", "N18.9", "I25.1", "J44.9", "M54.5", "C34.9",
       "K80.2", "S72.0", "J06.9", "R57", "K74", "A41.0", "J91")  # fmt: skip
_ORDINARY_ICD = 13
TESTS = (("ALB", "白蛋白", "g/L"), ("WBC", "白细胞计数", "10^9/L"), ("HBA1C", "糖化血红蛋白", "%"))
DOCS = ("NRS2002", "检验报告", "手术记录")
UNITS = ("盒", "支", "瓶", "次", "日", "ml", "小时")
_CARE_SHARES = (0.72, 0.06, 0.12, 0.10)
OUT, EMERGENCY, INPATIENT, CHRONIC = 0, 1, 2, 3

_GROUP = {"visit": -1, "code": -1, "start": 0, "run": 1, "cnt": 1, "price": -1, "hour": 9,
          "medc_days": -1, "dscg": False, "rx": False, "billed_unit": -1, "order_unit": -1,
          "order_cnt": -1}  # fmt: skip
_DIAGNOSIS = {"visit": -1, "icd": 0, "main": False}
_LAB = {"visit": -1, "test": 0, "value": 0, "day": 0}
_RECORD = {"visit": -1, "doc": 0, "day": 0, "code": -1}


@dataclass(slots=True)
class Blocks:
    """Columns added block by block (each a scalar or an array per row), joined once."""

    defaults: Mapping[str, Any]
    parts: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, visit: Any, **columns: Any) -> None:
        n = len(visit)
        if n == 0:
            return
        for name, default in self.defaults.items():
            value = visit if name == "visit" else columns.get(name, default)
            self.parts.setdefault(name, []).append(np.broadcast_to(value, n))
        unknown = set(columns) - set(self.defaults)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")

    def joined(self) -> dict[str, Any]:
        if not self.parts:
            return {name: np.zeros(0, dtype=np.int64) for name in self.defaults}
        return {name: np.concatenate(parts) for name, parts in self.parts.items()}


@dataclass(slots=True)
class Chunk:
    """Visits of one month and what was billed and recorded for them."""

    month_first: int
    month_days: int
    #: the last day of the period: no stay runs past it
    last_day: int
    visits: dict[str, Any]
    groups: Blocks = field(default_factory=lambda: Blocks(_GROUP))
    diagnoses: Blocks = field(default_factory=lambda: Blocks(_DIAGNOSIS))
    labs: Blocks = field(default_factory=lambda: Blocks(_LAB))
    records: Blocks = field(default_factory=lambda: Blocks(_RECORD))

    def __len__(self) -> int:
        return len(self.visits["person"])

    def append_visits(self, columns: Mapping[str, Any]) -> Any:
        """Add visits (every column given); their indices."""
        first = len(self)
        for name, values in columns.items():
            self.visits[name] = np.concatenate((self.visits[name], values))
        return np.arange(first, len(self))


def derive(visits: dict[str, Any], people: People, places: Institutions, colours: int,
           rng: np.random.Generator) -> None:  # fmt: skip
    """The columns that follow from person, institution and care: stratum, colour, scheme."""
    person = visits["person"]
    visits["tier"] = places.tier[visits["inst"]].astype(np.int64)
    visits["stratum"] = stratum_of(people.sex[person].astype(np.int64),
                                   people.age_group[person].astype(np.int64),
                                   visits["care"], visits["tier"])  # fmt: skip
    visits["colour"] = rng.integers(0, colours, size=len(person))


def new_chunk(
    *, count: int, number: int, month_first: int, month_days: int, last_day: int,
    stay_counter: int, people: People, places: Institutions, book: CodeBook,
    rng: np.random.Generator,
) -> Chunk:  # fmt: skip
    """``count`` visits beginning in the month; stays take the next inpatients in turn."""
    care = rng.choice(4, size=count, p=_CARE_SHARES).astype(np.int64)
    stays = care == INPATIENT
    person = people.outpatients[rng.integers(0, len(people.outpatients), size=count)]
    turn = (stay_counter + np.cumsum(stays) - 1) % len(people.inpatients)
    person = np.where(stays, people.inpatients[turn], person)
    hospitals = places.hospitals
    weights = (places.tier[hospitals].astype(float) + 1.0) ** 2
    hospital = rng.choice(hospitals, size=count, p=weights / weights.sum())
    inst = np.where(stays | (care == EMERGENCY), hospital, people.home[person])
    begin = month_first + rng.integers(0, month_days, size=count)
    length = np.minimum(1 + rng.geometric(1 / 6, size=count), 30)
    length = np.where(stays, np.minimum(length, last_day - begin + 1), 1)
    visits = {"person": person, "inst": inst, "care": care, "begin": begin,
              "length": length, "number": number + np.arange(count),
              "idle": np.zeros(count, dtype=bool), "ward_price": np.full(count, -1)}  # fmt: skip
    derive(visits, people, places, book.colours, rng)
    return Chunk(month_first, month_days, last_day, visits)


def _counts(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> Any:
    return rng.choice(len(shares), size=n, p=shares)


def _outpatient(chunk: Chunk, book: CodeBook, rng: np.random.Generator) -> None:
    v = chunk.visits
    out = np.flatnonzero(v["care"] != INPATIENT)
    care = v["care"][out]
    drugs = np.where(care == CHRONIC, 1 + _counts(rng, len(out), (0.3, 0.3, 0.2, 0.1, 0.1)),
                     _counts(rng, len(out), (0.1, 0.25, 0.3, 0.2, 0.15)))  # fmt: skip
    tests = _counts(rng, len(out), (0.35, 0.4, 0.25))
    tests = np.where(drugs + tests == 0, 1, tests)
    visit = np.repeat(out, drugs)
    days = np.select([v["care"][visit] == EMERGENCY, v["care"][visit] == CHRONIC],
                     [rng.integers(1, 4, len(visit)), rng.integers(14, 29, len(visit))],
                     rng.integers(3, 8, len(visit)))  # fmt: skip
    assert book.drugs is not None and book.items is not None
    chunk.groups.add(visit, code=book.drugs.draw(v["stratum"][visit], rng),
                     cnt=rng.integers(1, 4, len(visit)), hour=rng.integers(8, 18, len(visit)),
                     medc_days=days, rx=True, billed_unit=0, order_unit=0)  # fmt: skip
    visit = np.repeat(out, tests)
    chunk.groups.add(visit, code=book.items.draw(_item_key(chunk, book, visit), rng),
                     hour=rng.integers(8, 18, len(visit)), billed_unit=3)  # fmt: skip
    emergency = out[care == EMERGENCY]
    chunk.groups.add(emergency, code=book.index[ER_VISIT], hour=rng.integers(0, 24, len(emergency)),
                     billed_unit=3)  # fmt: skip


def _item_key(chunk: Chunk, book: CodeBook, visit: Any) -> Any:
    return chunk.visits["stratum"][visit] * book.colours + chunk.visits["colour"][visit]


def _inpatient(chunk: Chunk, book: CodeBook, rng: np.random.Generator) -> None:
    v = chunk.visits
    stays = np.flatnonzero(v["care"] == INPATIENT)
    length, idle = v["length"][stays], v["idle"][stays]
    for code, unit in ((BED, 4), (WARD_VISIT, 3), (NURSING, 4)):
        price = v["ward_price"][stays] if code == WARD_VISIT else -1
        chunk.groups.add(stays, code=book.index[code], run=length, hour=8, billed_unit=unit,
                         price=price)  # fmt: skip
    assert book.drugs is not None and book.items is not None and book.daily_drugs is not None
    chunk.groups.add(stays, code=book.daily_drugs.draw(v["stratum"][stays], rng),
                     run=np.where(idle, 1, length), hour=10, billed_unit=1, order_unit=1)  # fmt: skip
    visit = np.repeat(stays, rng.integers(2, 8, len(stays)))
    code = book.drugs.draw(v["stratum"][visit], rng)
    span = v["length"][visit]
    start = np.where(v["idle"][visit], 0, (rng.random(len(visit)) * span).astype(np.int64))
    run = np.minimum(span - start, 1 + rng.geometric(1 / 3, len(visit)))
    cap = book.pay_max_days[code]
    run = np.where(v["idle"][visit], 1, np.where(cap > 0, np.minimum(run, cap), run))
    chunk.groups.add(visit, code=code, start=start, run=run, cnt=rng.integers(1, 3, len(visit)),
                     hour=rng.integers(8, 20, len(visit)), billed_unit=1, order_unit=1)  # fmt: skip
    visit = np.repeat(stays, rng.integers(2, 9, len(stays)))
    day = np.where(v["idle"][visit], 0, (rng.random(len(visit)) * v["length"][visit]).astype(int))
    chunk.groups.add(visit, code=book.items.draw(_item_key(chunk, book, visit), rng), start=day,
                     hour=rng.integers(7, 17, len(visit)), billed_unit=3)  # fmt: skip
    home = stays[rng.random(len(stays)) < 0.4]
    visit = np.repeat(home, rng.integers(1, 3, len(home)))
    chunk.groups.add(visit, code=book.drugs.draw(v["stratum"][visit], rng),
                     start=v["length"][visit] - 1, cnt=rng.integers(1, 4, len(visit)), hour=11,
                     medc_days=rng.integers(3, 8, len(visit)), dscg=True, rx=True,
                     billed_unit=0, order_unit=0)  # fmt: skip
    labs = stays[rng.random(len(stays)) < 0.5]
    chunk.labs.add(labs, test=0, value=rng.integers(350_000, 500_000, len(labs)))
    chunk.labs.add(labs, test=1, value=rng.integers(40_000, 100_000, len(labs)))


def add_ordinary_lines(chunk: Chunk, book: CodeBook, rng: np.random.Generator) -> None:
    """The ordinary lines, diagnoses and lab results of every visit of the chunk."""
    _outpatient(chunk, book, rng)
    _inpatient(chunk, book, rng)
    every = np.arange(len(chunk))
    chunk.diagnoses.add(every, icd=rng.integers(0, _ORDINARY_ICD, len(every)), main=True)
    more = np.repeat(every, _counts(rng, len(every), (0.5, 0.35, 0.15)))
    chunk.diagnoses.add(more, icd=rng.integers(0, _ORDINARY_ICD, len(more)))
