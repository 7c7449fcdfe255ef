"""``yibao demo month``: a realistic month of settled care as Parquet fact tables, fast.

Layout of ``out`` (the audit batch reads it, ``docs/adr/0012``)::

    out/lines/YYYY-MM.parquet       fee lines by the month of their fee date
    out/visits/YYYY-MM.parquet      visits by the month they began
    out/diagnoses/ labs/ records/   by the month of their visit
    out/stock/YYYY-MM.parquet       purchases per institution, code and month

every file with exactly the Arrow schema of ``audit.facts``. The period's month is preceded by
``history_months`` months of the same persons (``lines/2026-01.parquet`` … for the period
2026-03), which the history families (cycle, course, readmission, overlapping visits) read; a
stay that began before the period and ran into it has lines in both months. There is no flag
column: the batch run reports findings on the lines whose ``fee_date`` lies in the period only.
``lines`` is the exact number of fee lines dated in the period; each history month holds about
as many.

Realistic: real national codes and names from the demo catalogue, the demo institutions of six
levels, persons of every age and both sexes, outpatient, chronic, emergency and inpatient care
(``month_visits``); ordinary lines break no rule of the shipped national rule base or of
``docs/audit-examples``, and a small share of visits carry a violation of each family
(``month_anomalies``). Generated in chunks of visits with NumPy and written as Parquet row
groups as they come, so memory stays bounded whatever ``lines`` is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from yibao.audit.batch import Period
from yibao.audit.facts import STOCK
from yibao.audit.formats import load_rule_base
from yibao.audit.service import shipped_rule_base_dir
from yibao.catalog.service import demo_store
from yibao.demo import month_arrow as arrow
from yibao.demo.month_anomalies import after_lines, before_lines, prepare_scenarios
from yibao.demo.month_codes import KIND_ITEM, CodeBook, build_code_book
from yibao.demo.month_people import Institutions, make_institutions, make_people
from yibao.demo.month_tables import ChunkTables, chunk_tables
from yibao.demo.month_visits import (
    BED,
    ER_VISIT,
    NURSING,
    WARD_VISIT,
    add_ordinary_lines,
    new_chunk,
)
from yibao.kernel.errors import InvalidValue

__all__ = ["TABLES", "MonthReport", "generate_month"]

TABLES = ("lines", "visits", "diagnoses", "labs", "records", "stock")
_REGION = "990100"
_CHUNK_VISITS = 50_000
_SHORT_STOCK = 0.003


@dataclass(frozen=True, slots=True)
class MonthReport:
    """What was written."""

    out: Path
    period: str
    months: tuple[str, ...]
    lines: int
    lines_written: int
    visits: int
    persons: int
    seconds: float

    def summary(self) -> str:
        rate = self.lines_written / self.seconds if self.seconds else 0.0
        return (f"{self.out}: {self.lines:,} fee lines in {self.period} ({self.lines_written:,} "
                f"with the history {', '.join(self.months[:-1]) or 'none'}), {self.visits:,} visits, "
                f"{self.persons:,} persons in {self.seconds:.1f} s ({rate:,.0f} lines/s)")  # fmt: skip


@dataclass(slots=True)
class _Writers:
    """One Parquet writer per table and month, opened on first use."""

    out: Path
    open: dict[tuple[str, str], Any] = field(default_factory=dict)

    def write(self, name: str, month: str, table: Any) -> None:
        if table.num_rows == 0:
            return
        key = (name, month)
        if key not in self.open:
            path = self.out / name / f"{month}.parquet"
            self.open[key] = pq.ParquetWriter(path, table.schema, compression="snappy")
        self.open[key].write_table(table, row_group_size=1 << 20)

    def close(self) -> None:
        for writer in self.open.values():
            writer.close()


@dataclass(slots=True)
class _Run:
    period: Period
    months: list[Period]
    book: CodeBook
    writers: _Writers
    stock: dict[str, Any]
    places: Institutions
    rng: np.random.Generator
    on_lines: Callable[[int], None] | None
    violations: float = 1.0
    number: int = 0
    stays: int = 0
    in_period: int = 0
    written: int = 0
    visits: int = 0


def _prepare_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidValue("--out", f"{out} exists and is not an empty directory")
    for name in TABLES:
        (out / name).mkdir(parents=True, exist_ok=True)


def _book(first_day: Any, seed: int, scale: float) -> tuple[CodeBook, Any, Institutions]:
    data = demo_store().load()
    entries = sorted(data.catalogs[_REGION].at(first_day).values(), key=lambda e: e.code)
    shipped = load_rule_base(shipped_rule_base_dir())  # national (两库) and seed 003's rules
    book = build_code_book(entries, [shipped],
                           fixed=(BED, WARD_VISIT, NURSING, ER_VISIT), seed=seed)  # fmt: skip
    scenarios = prepare_scenarios(book, scale=scale)
    # 住院诊查费 at 12 元: under the examples' ceilings (三级 20, 二级 16)
    book.price_fen[:, book.index[WARD_VISIT]] = 1200
    return book, scenarios, make_institutions(data.institutions)


def _month_of(fee_day: Any, months: list[Period]) -> list[tuple[Period, Any]]:
    parts = []
    for month in months:
        mask = (fee_day >= month.first_day) & (fee_day <= month.last_day)
        if mask.any():
            parts.append((month, mask))
    return parts


def _count_stock(run: _Run, month: Period, lines: Any) -> None:
    code = pc.index_in(lines["code"], value_set=run.book.code_array()).to_numpy(
        zero_copy_only=False
    )
    inst = pc.index_in(lines["fixmedins_code"], value_set=run.places.code).to_numpy(
        zero_copy_only=False)  # fmt: skip
    cnt = pc.cast(lines["cnt"], pa.int64()).to_numpy(zero_copy_only=False)
    stocked = run.book.kind[code] != KIND_ITEM
    size = len(run.places) * len(run.book.codes)
    key = inst[stocked].astype(np.int64) * len(run.book.codes) + code[stocked]
    counted = np.bincount(key, weights=cnt[stocked], minlength=size)
    run.stock[month.text] = run.stock.get(month.text, 0) + counted


def _write_chunk(run: _Run, tables: ChunkTables, visit_month: Period) -> None:
    for month, mask in _month_of(tables.fee_day, run.months):
        part = tables.lines.filter(pa.array(mask))
        run.writers.write("lines", month.text, part)
        _count_stock(run, month, part)
        if month.text == run.period.text:
            run.in_period += part.num_rows
    for name in ("visits", "diagnoses", "labs", "records"):
        run.writers.write(name, visit_month.text, getattr(tables, name))
    run.written += tables.lines.num_rows
    run.visits += tables.visits.num_rows
    if run.on_lines is not None:
        run.on_lines(tables.lines.num_rows)


def _truncated(tables: ChunkTables, keep: int) -> ChunkTables:
    """The chunk cut after its first ``keep`` lines (and the visits of those lines)."""
    lines = tables.lines.slice(0, keep)
    kept = pc.unique(lines["mdtrt_id"])
    visits = tables.visits.filter(pc.is_in(tables.visits["mdtrt_id"], value_set=kept))

    def cut(t: Any) -> Any:
        return t.filter(pc.is_in(t["mdtrt_id"], value_set=kept))

    return ChunkTables(lines, tables.fee_day[:keep], visits, cut(tables.diagnoses),
                       cut(tables.labs), cut(tables.records))  # fmt: skip


def _one_month(run: _Run, month: Period, target: int, people: Any, scenarios: Any) -> None:
    made, is_period = 0, month.text == run.period.text
    # about 8 lines a visit: a few chunks for a small month, 50,000 visits a chunk for a big one
    size = min(_CHUNK_VISITS, max(500, target // 32))
    while made < target:
        chunk = new_chunk(count=size, number=run.number, month_first=month.first_day,
                          month_days=month.last_day - month.first_day + 1,
                          last_day=run.period.last_day, stay_counter=run.stays, people=people,
                          places=run.places, book=run.book, rng=run.rng)  # fmt: skip
        before_lines(chunk, scenarios, people=people, places=run.places, book=run.book, rng=run.rng)
        add_ordinary_lines(chunk, run.book, run.rng)
        after_lines(chunk, scenarios, run.book, run.rng)
        run.number = int(chunk.visits["number"].max()) + 1
        run.stays += int((chunk.visits["care"] == 2).sum())
        tables = chunk_tables(chunk, book=run.book, people=people, places=run.places,
                              prefix=f"V{month.text.replace('-', '')}")  # fmt: skip
        done = run.in_period if is_period else made
        if done + tables.lines.num_rows > target:
            tables = _truncated(tables, target - done)
        made = done + tables.lines.num_rows
        _write_chunk(run, tables, month)


def _write_stock(run: _Run) -> None:
    n_codes = len(run.book.codes)
    for month_text, counted in run.stock.items():
        key = np.flatnonzero(counted)
        billed = counted[key].astype(np.int64)
        factor = np.where(run.rng.random(len(key)) < _SHORT_STOCK * run.violations, 0.5,
                          1.0 + 0.3 * run.rng.random(len(key)))  # fmt: skip
        bought = np.maximum(np.ceil(billed * factor).astype(np.int64), 1)
        table = arrow.table(STOCK, {
            "fixmedins_code": run.places.code.take(pa.array(key // n_codes)),
            "code": run.book.code_array().take(pa.array(key % n_codes)),
            "period": pa.array(np.full(len(key), month_text), type=pa.string()),
            "quantity": arrow.count(bought)})  # fmt: skip
        run.writers.write("stock", month_text, table)


def generate_month(
    out: Path,
    *,
    period: Period,
    lines: int,
    seed: int = 20260301,
    history_months: int = 2,
    violations: float = 1.0,
    on_lines: Callable[[int], None] | None = None,
) -> MonthReport:
    """Write ``lines`` fee lines of ``period`` and ``history_months`` months before it to ``out``.

    ``violations`` multiplies the share of visits given each violation (1: about 0.5% of the
    eligible visits each; a small test month asks for more so that every family shows).
    """
    if lines < 1:
        raise InvalidValue("--lines", f"{lines} must be at least 1")
    started = time.perf_counter()
    _prepare_out(out)
    months = [period.previous(k) for k in range(history_months, 0, -1)] + [period]
    book, scenarios, places = _book(period.first, seed, violations)
    rng = np.random.default_rng(seed)
    people = make_people(max(1_000, lines // 8), first_day=months[0].first_day,
                         last_day=period.last_day, places=places, rng=rng)  # fmt: skip
    run = _Run(period, months, book, _Writers(out), {}, places, rng, on_lines, violations)
    try:
        for month in months:
            _one_month(run, month, lines, people, scenarios)
        _write_stock(run)
    finally:
        run.writers.close()
    return MonthReport(out, period.text, tuple(m.text for m in months), run.in_period,
                       run.written, run.visits, len(people.sex),
                       time.perf_counter() - started)  # fmt: skip
