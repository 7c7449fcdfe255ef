"""Generated persons files (the layout of ``yibao.registry.formats``) for demos and benchmarks.

Every row is valid: resident IDs carry a real birth date equal to ``brdy``, the sex digit of
``gend`` and the right check digit, and are unique. The mix follows the demo population: about
60% employees (职工 310: 在职 1101, 公务员 1102, 灵活就业 1103, 退休 1201, with ``emp_name``)
and 40% residents (居民 390: 学龄前 1402, 学生 1403, 成年 1501, 老年 16); one employee in twenty also has an
earlier, closed 390 enrolment (a second row). Region 990100. ``psn_no`` is ``990100``, four
digits of the seed and an eight-digit sequence (18 characters), so it never meets the demo
population's 14-character ``990100nnnnnnnn``; identity numbers use districts 10–19 of the
invented province 99 (the demo's use 01–09).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl

from yibao.demo.population import _GIVEN, _SURNAMES
from yibao.registry.formats import COLUMNS
from yibao.registry.model import resident_id_check_digit

__all__ = ["people_rows", "write_people_csv", "write_people_xlsx"]

REGION = "990100"
_START = date(2020, 1, 1)
_EMPLOYERS = (
    "示范市演示单位",
    "示范市第一机床厂",
    "示范市人民医院",
    "示范市教育局",
    "示范市物流有限公司",
)
_OTHER_NATY = tuple(f"{n:02d}" for n in range(2, 57))

Row = list[str | None]


def write_people_xlsx(path: Path, count: int, *, seed: int = 990101) -> int:
    """Write ``count`` persons to an XLSX file (openpyxl write-only); returns the rows written."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("persons")
    sheet.append(list(COLUMNS))
    written = 0
    for row in people_rows(count, seed=seed):
        sheet.append(row)
        written += 1
    book.save(path)
    return written


def write_people_csv(path: Path, count: int, *, seed: int = 990101) -> int:
    """The same rows as :func:`write_people_xlsx`, as a UTF-8 CSV file; returns the rows written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        rows = [
            ["" if cell is None else cell for cell in row] for row in people_rows(count, seed=seed)
        ]
        writer.writerows(rows)
    return len(rows)


def people_rows(count: int, *, seed: int = 990101) -> Iterator[Row]:
    """The rows of ``count`` persons, in the order of :data:`COLUMNS`; the same for the same seed."""
    rng = random.Random(seed)
    certnos: set[str] = set()
    for n in range(1, count + 1):
        psn_no = f"{REGION}{seed % 10_000:04d}{n:08d}"
        employee = rng.random() < 0.6
        brdy, psn_type = _employee(rng) if employee else _resident(rng)
        gend = rng.choice("12")
        person: Row = [psn_no, "01", _certno(rng, brdy, gend, certnos), _name(rng), gend,
                       brdy.isoformat(), "01" if rng.random() < 0.91 else rng.choice(_OTHER_NATY)]  # fmt: skip
        begn = max(_START, brdy)
        if employee and brdy.year <= 1990 and rng.random() < 0.05:
            yield [*person, "390", "1501", "0", REGION, "", "2016-01-01", "2019-12-31", None, None]
        if employee:
            flag = "1" if psn_type == "1102" else "0"
            employer = rng.choice(_EMPLOYERS)
            # 单位编号 and 缴费基数 from what is drawn already, so the rest of the file stays the same
            emp_no = f"E{REGION}{_EMPLOYERS.index(employer) + 1:06d}"
            base = f"{4000 + n * 137 % 120 * 100}.00" if psn_type.startswith("11") else None
            yield [*person, "310", psn_type, flag, REGION, employer, begn.isoformat(), None,
                   emp_no, base]  # fmt: skip
        else:
            yield [*person, "390", psn_type, "0", REGION, "", begn.isoformat(), None, None, None]


def _employee(rng: random.Random) -> tuple[date, str]:
    if rng.random() < 0.3:
        return _birth(rng, 1950, 1964), "1201"
    kind = rng.random()
    psn_type = "1102" if kind < 0.08 else "1103" if kind < 0.15 else "1101"
    return _birth(rng, 1966, 2003), psn_type


def _resident(rng: random.Random) -> tuple[date, str]:
    brdy = _birth(rng, 1935, 2024)
    if brdy.year >= 2008:
        return brdy, "1402" if brdy.year >= 2020 else "1403"
    return brdy, "16" if brdy.year < 1960 else "1501"


def _certno(rng: random.Random, brdy: date, gend: str, taken: set[str]) -> str:
    """A unique resident ID of ``brdy`` and ``gend`` (17th digit odd for male 1)."""
    while True:
        first17 = (f"{REGION[:4]}{rng.randint(10, 19)}{brdy:%Y%m%d}{rng.randint(0, 99):02d}"
                   f"{rng.choice('13579' if gend == '1' else '02468')}")  # fmt: skip
        certno = first17 + resident_id_check_digit(first17)
        if certno not in taken:
            taken.add(certno)
            return certno


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.randint(1, 2)))


def _birth(rng: random.Random, first: int, last: int) -> date:
    return date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))
