"""Use cases of the DRG context: group a CSV file of cases, streaming, one bad row never stopping it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from yibao.drg.engine import group_case
from yibao.drg.formats import read_rows, row_case, write_rows
from yibao.drg.model import Grouping, Status
from yibao.drg.rules import load_rules
from yibao.kernel.errors import InvalidValue

__all__ = ["FileGrouped", "group_file"]

PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class FileGrouped:
    """What ``group_file`` did: rows written and how many ended in each status."""

    rows: int
    statuses: dict[str, int]

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        return f"{self.rows} cases grouped ({parts})"


def group_file(
    source: Path,
    target: Path,
    *,
    trace: bool = False,
    qy: bool = True,
    progress: Callable[[int], None] | None = None,
) -> FileGrouped:
    """Group every row of ``source`` into ``target``; ``progress(bytes_read)`` every 10,000 rows."""
    if not source.is_file():
        raise InvalidValue(str(source), "no such file")
    rules = load_rules()
    statuses: Counter[str] = Counter()
    done = [0]
    with source.open("rb") as raw:
        rows = read_rows(_decoded(raw, done), name=str(source))
        first = next(rows, None)  # the header is checked before the output file is created

        def results() -> Iterator[tuple[str, Grouping]]:
            pending = [] if first is None else [first]
            for n, row in enumerate(_chain(pending, rows), 1):
                parsed = row_case(row)
                g = parsed if isinstance(parsed, Grouping) else group_case(parsed, rules, qy=qy)
                statuses[g.status.value] += 1
                if progress is not None and n % PROGRESS_EVERY == 0:
                    progress(done[0])
                yield row[0].strip(), g

        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as out:
            count = write_rows(out, results(), trace=trace)
    for status in Status:
        statuses.setdefault(status.value, 0)
    return FileGrouped(rows=count, statuses=dict(statuses))


def _decoded(raw: BinaryIO, done: list[int]) -> Iterator[str]:
    """The file's lines as text, counting the bytes read (for the progress bar)."""
    for n, line in enumerate(raw):
        done[0] += len(line)
        yield line.decode("utf-8-sig" if n == 0 else "utf-8", errors="replace")


def _chain(first: list[list[str]], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from first
    yield from rest
