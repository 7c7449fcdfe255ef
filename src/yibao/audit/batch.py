"""The monthly batch (事后审核): every ``after`` rule over a period's Parquet facts, on DuckDB or Spark.

:func:`run_batch` reads a directory laid out as ``yibao demo month`` writes it (``<table>/*.parquet``
for ``lines``, ``visits``, ``diagnoses``, ``labs``, ``records``, ``stock``, the schemas of
``audit.facts``; the period's months and the history before it), plans the evaluation and runs
it on an engine with the :class:`BatchEngine` shape (``AuditEngine`` on DuckDB, or
``audit.spark.SparkAuditEngine``). Decisions (``docs/adr/0012``):

* **Only the period's findings.** The facts hold the history the history families need; a finding
  is kept when its ``fee_date`` lies in the period, so no flag column is needed.
* **Each family reads what its scope needs.** ``line`` families read the lines dated in the range,
  ``visit`` families every line of the visits that overlap it, history and cross-person families
  every line up to its last day. For a finding dated in the range this is the same as reading
  everything, and it keeps the history away from the families that never look at it.
* **Rules that begin or end inside the period.** For each family the period is cut at every
  ``begin`` and ``end + 1`` of its rules; each piece has a constant rule set and is evaluated with
  the rules in force on its first day, keeping the findings dated inside the piece.

Money stays Decimal (the engines read SQL DECIMAL); the result counts findings and amounts at
issue by family and grade, and times a plain DuckDB ``GROUP BY code`` over the same lines as a
yardstick.
"""

from __future__ import annotations

import calendar
import re
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow.dataset as ds  # type: ignore[import-untyped]

from yibao.audit.compiled import CompiledRules
from yibao.audit.engine import AuditEngine
from yibao.audit.facts import DIAGNOSES, LABS, LINES, RECORDS, STOCK, VISITS, Facts
from yibao.audit.families import FAMILIES
from yibao.audit.findings import AuditResult, Finding, RuleFailure
from yibao.audit.model import Grade, Moment, Rule, RuleBase, Scope
from yibao.kernel.errors import InvalidValue

__all__ = [
    "SCHEMAS",
    "BatchEngine",
    "BatchResult",
    "DuckDBBatch",
    "FactFiles",
    "Period",
    "Piece",
    "plan_pieces",
    "run_batch",
]

_EPOCH = date(1970, 1, 1)
_PERIOD = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")
#: the fact tables and their schemas, in ``Facts`` order
SCHEMAS: dict[str, Any] = {"lines": LINES, "visits": VISITS, "diagnoses": DIAGNOSES,
                           "labs": LABS, "records": RECORDS, "stock": STOCK}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar month (``YYYY-MM``) evaluated by a batch run."""

    first: date
    last: date

    @classmethod
    def parse(cls, text: str, *, field: str = "period") -> Period:
        """``YYYY-MM``; anything else is refused naming ``field``."""
        match = _PERIOD.fullmatch(text.strip())
        month = int(match["month"]) if match else 0
        if match is None or not 1 <= month <= 12 or int(match["year"]) < 1900:
            raise InvalidValue(field, f"{text!r} is not a month YYYY-MM (2026-03)")
        return cls.of(int(match["year"]), month)

    @classmethod
    def of(cls, year: int, month: int) -> Period:
        days = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, days))

    @property
    def text(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def first_day(self) -> int:
        """The first day as days since 1970-01-01 (the facts' ``fee_day``)."""
        return (self.first - _EPOCH).days

    @property
    def last_day(self) -> int:
        return (self.last - _EPOCH).days

    def previous(self, months: int) -> Period:
        """The month ``months`` before this one."""
        index = self.first.year * 12 + self.first.month - 1 - months
        return Period.of(index // 12, index % 12 + 1)


@dataclass(frozen=True, slots=True)
class FactFiles:
    """The Parquet files of each fact table under a directory (``<table>/*.parquet``)."""

    root: Path
    files: dict[str, tuple[str, ...]]

    @classmethod
    def under(cls, root: Path, *, field: str = "facts") -> FactFiles:
        found = {name: tuple(sorted(str(p) for p in (root / name).rglob("*.parquet")))
                 for name in SCHEMAS}  # fmt: skip
        if not found["lines"]:
            raise InvalidValue(field, f"{root}: no lines/*.parquet (write one: yibao demo month)")
        return cls(root, found)


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of the period with one rule set for ``families``, each read in its scope."""

    first: date
    last: date
    families: tuple[str, ...]

    def where(self, scope: str) -> str | None:
        """SQL filter on ``lines`` for a scope: ``line``, ``visit`` or ``history``."""
        first, last = f"DATE '{self.first.isoformat()}'", f"DATE '{self.last.isoformat()}'"
        if scope == "line":
            return f"fee_date BETWEEN {first} AND {last}"
        if scope == "visit":
            return f"visit_begin <= {last} AND (visit_end IS NULL OR visit_end >= {first})"
        return f"fee_date <= {last}"


class BatchEngine(Protocol):
    """What the batch needs of an engine: sources over Parquet, and ``evaluate``."""

    compiled: CompiledRules

    def source(self, table: str, files: Sequence[str], where: str | None) -> Any:
        """An object the engine's ``evaluate`` reads as the fact table ``table``."""

    def evaluate(
        self,
        facts: Facts,
        *,
        moment: Moment,
        day: date,
        families: Collection[str] | None = None,
        on_family: Callable[[str], None] | None = None,
    ) -> AuditResult: ...

    def close(self) -> None: ...


def scope_of(family: str) -> str:
    """Which lines a family reads: ``line``, ``visit`` or ``history`` (see the module)."""
    scope = FAMILIES[family].scope
    return {Scope.LINE: "line", Scope.VISIT: "visit"}.get(scope, "history")


def _cuts(rules: Sequence[Rule], period: Period) -> list[date]:
    days = {period.first}
    for rule in rules:
        for day in (rule.begin, None if rule.end is None else rule.end + timedelta(days=1)):
            if day is not None and period.first < day <= period.last:
                days.add(day)
    return sorted(days)


def plan_pieces(compiled: CompiledRules, period: Period, moment: Moment) -> list[Piece]:
    """The pieces of ``period``: for each family, the days with one rule set (see the module)."""
    found: dict[tuple[date, date], list[str]] = {}
    for family in compiled.queries:
        rules = [r for r in compiled.rules.values() if r.family == family and moment in r.moments]
        cuts = _cuts(rules, period)
        for first, after in zip(cuts, [*cuts[1:], period.last + timedelta(days=1)], strict=True):
            if any(r.in_force(first) for r in rules):
                found.setdefault((first, after - timedelta(days=1)), []).append(family)
    return [
        Piece(first, last, tuple(families)) for (first, last), families in sorted(found.items())
    ]


@dataclass(slots=True)
class BatchResult:
    """What a batch run found and how long it took."""

    period: str
    engine: str
    lines: int = 0
    findings: list[Finding] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)
    pieces: int = 0
    seconds: float = 0.0
    group_by_seconds: float = 0.0

    @property
    def amount(self) -> Decimal:
        return sum((f.amount for f in self.findings), Decimal("0.00"))

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        """The run's time over the plain GROUP BY's."""
        return self.seconds / self.group_by_seconds if self.group_by_seconds else 0.0

    def by_family(self) -> dict[tuple[str, Grade], tuple[int, Decimal]]:
        """Findings and amount at issue by family and grade."""
        table: dict[tuple[str, Grade], tuple[int, Decimal]] = {}
        for f in self.findings:
            count, amount = table.get((f.family, f.grade), (0, Decimal("0.00")))
            table[(f.family, f.grade)] = (count + 1, amount + f.amount)
        return dict(sorted(table.items()))


def group_by_seconds(files: Sequence[str], period: Period) -> tuple[int, float]:
    """The period's line count, and the seconds of a plain DuckDB GROUP BY code over its lines."""
    where = Piece(period.first, period.last, ()).where("line")
    with duckdb.connect(":memory:") as con:
        started = time.perf_counter()
        rows = con.execute(
            f"SELECT code, COUNT(*), SUM(amount) FROM read_parquet({sql_list(files)}) "
            f"WHERE {where} GROUP BY code"
        ).fetchall()
        seconds = time.perf_counter() - started
    return sum(int(r[1]) for r in rows), seconds


def sql_list(files: Sequence[str]) -> str:
    """A SQL list literal of file names."""
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _facts(engine: BatchEngine, files: FactFiles, piece: Piece, scope: str) -> Facts:
    tables = {name: engine.source(name, files.files[name], None) for name in SCHEMAS}
    tables["lines"] = engine.source("lines", files.files["lines"], piece.where(scope))
    return Facts(**tables)


def _steps(pieces: Sequence[Piece]) -> Iterator[tuple[Piece, str, tuple[str, ...]]]:
    for piece in pieces:
        for scope in ("line", "visit", "history"):
            families = tuple(f for f in piece.families if scope_of(f) == scope)
            if families:
                yield piece, scope, families


def count_steps(pieces: Sequence[Piece]) -> int:
    """How many family evaluations a plan makes (the progress bar's total)."""
    return sum(len(families) for _, _, families in _steps(pieces))


def run_batch(
    engine: BatchEngine,
    files: FactFiles,
    period: Period,
    *,
    engine_name: str = "duckdb",
    on_family: Callable[[str], None] | None = None,
    pieces: Sequence[Piece] | None = None,
) -> BatchResult:
    """Every ``after`` rule over ``files`` for ``period``: the period's findings and the timing."""
    plan = list(
        pieces if pieces is not None else plan_pieces(engine.compiled, period, Moment.AFTER)
    )
    result = BatchResult(period.text, engine_name, pieces=len(plan))
    started = time.perf_counter()
    failures: dict[str, RuleFailure] = {}
    for piece, scope, families in _steps(plan):
        found = engine.evaluate(_facts(engine, files, piece, scope), moment=Moment.AFTER,
                                day=piece.first, families=families, on_family=on_family)  # fmt: skip
        result.findings.extend(f for f in found.findings if piece.first <= f.fee_date <= piece.last)
        failures.update((str(f), f) for f in found.failures)
    result.seconds = time.perf_counter() - started
    result.failures = list(failures.values())
    result.findings.sort(key=lambda f: (f.mdtrt_id, f.fee_date, f.feedetl_sn, f.rule_id))
    result.lines, result.group_by_seconds = group_by_seconds(files.files["lines"], period)
    return result


class DuckDBBatch:
    """:class:`AuditEngine` over Parquet: each source a lazy DuckDB relation, filters pushed down.

    ``scan = "parquet"`` reads with DuckDB's own ``read_parquet``; ``"arrow"`` scans a
    ``pyarrow.dataset``; ``"memory"`` copies the lines of the visits of a piece into a DuckDB
    table once, which the visit families then read (docs/benchmarks.md compares them).
    """

    def __init__(
        self, rule_base: RuleBase, *, scan: str = "parquet", threads: int | None = None
    ) -> None:
        if scan not in ("parquet", "arrow", "memory"):
            raise InvalidValue("scan", f"{scan!r} is not parquet, arrow or memory")
        self.engine = AuditEngine(rule_base, threads=threads)
        self.compiled = self.engine.compiled
        self.scan = scan
        # a query that outgrows memory spills to the system's temporary directory, not to ./.tmp
        spill = Path(tempfile.gettempdir()) / "yibao-duckdb"
        self.engine.connection.execute(f"SET temp_directory = '{spill.as_posix()}'")
        self._copies: dict[str, str] = {}

    def source(self, table: str, files: Sequence[str], where: str | None) -> Any:
        con = self.engine.connection
        if not files:
            return SCHEMAS[table].empty_table()
        if self.scan == "arrow":
            relation = con.from_arrow(ds.dataset(list(files), schema=SCHEMAS[table]))
        elif self.scan == "memory" and where is not None and where.startswith("visit_begin"):
            return con.table(self._copy(files, where))
        else:
            relation = con.sql(f"SELECT * FROM read_parquet({sql_list(files)})")
        return relation if where is None else relation.filter(where)

    def _copy(self, files: Sequence[str], where: str) -> str:
        key = f"read_parquet({sql_list(files)}) WHERE {where}"
        if key not in self._copies:
            name = f"batch_lines_{len(self._copies)}"
            self.engine.connection.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {key}")
            self._copies[key] = name
        return self._copies[key]

    def evaluate(
        self,
        facts: Facts,
        *,
        moment: Moment,
        day: date,
        families: Collection[str] | None = None,
        on_family: Callable[[str], None] | None = None,
    ) -> AuditResult:
        return self.engine.evaluate(facts, moment=moment, day=day, families=families,
                                    on_family=on_family)  # fmt: skip

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> DuckDBBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
