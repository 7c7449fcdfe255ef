"""Collection runs of bank debits (批扣批次): what is sent, what a re-run collects again.

Pure: the standard library, the kernel and ``registry.bank``. Before export, :func:`screen` keeps
back the lines that are never sent to a bank — F01 (学籍状态 毕业, 非在学, 结业, 退学) and F02 (no
card on file) — and :func:`split_by_bank` makes one batch (one debit file) per bank. After the
results, :func:`still_unpaid` and :func:`plan_rerun` decide what a re-run collects: one line per
premium (person, year, insurance type) not paid in any run so far. A paid premium is never
collected twice, and a line whose result has not come back stops the re-run, since the bank may
have taken the money.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from yibao.kernel.errors import ConflictError, InvalidValue
from yibao.registry.bank import (
    DebitBatch,
    DebitFailure,
    DebitItem,
    DebitResult,
    DebitStatus,
    StudentStatus,
)

__all__ = ["Rerun", "Screened", "for_run", "plan_rerun", "screen", "split_by_bank", "still_unpaid"]


@dataclass(frozen=True, slots=True)
class Screened:
    """A run's items split before export: those sent to the banks, and those never sent."""

    send: tuple[DebitItem, ...]
    refused: tuple[DebitResult, ...]


def screen(items: Iterable[DebitItem], statuses: Mapping[str, StudentStatus]) -> Screened:
    """Keep back F01 (毕业, 非在学, 结业, 退学 by ``statuses`` of psn_no) and F02 (no card).

    A person without a status (not a student) is sent; the status is checked first, as the
    agency's table lists it first.
    """
    send: list[DebitItem] = []
    refused: list[DebitResult] = []
    for item in items:
        status = statuses.get(item.psn_no)
        if status is not None and not StudentStatus(status).sent:
            message = f"未送银行：学籍状态{StudentStatus(status).label}"
            refused.append(_kept_back(item, DebitFailure.STATUS_NOT_ELIGIBLE, message))
        elif not item.card_no:
            refused.append(_kept_back(item, DebitFailure.NO_CARD, "未送银行：系统没有银行卡号"))
        else:
            send.append(item)
    return Screened(tuple(send), tuple(refused))


def _kept_back(item: DebitItem, failure: DebitFailure, message: str) -> DebitResult:
    return DebitResult(item.run_id, item.line_no, DebitStatus.FAILED, "", message, failure)


def split_by_bank(items: Iterable[DebitItem]) -> tuple[DebitBatch, ...]:
    """One batch per (run, bank), in the order banks first appear: one debit file each."""
    groups: dict[tuple[str, str], list[DebitItem]] = {}
    for item in items:
        groups.setdefault((item.run_id, item.bank_code), []).append(item)
    return tuple(DebitBatch(run, bank, tuple(group)) for (run, bank), group in groups.items())


def still_unpaid(
    items: Iterable[DebitItem], results: Iterable[DebitResult]
) -> tuple[DebitItem, ...]:
    """The items a re-run must collect: one per premium not paid in any run, its latest line.

    ``items`` and ``results`` are those of every run so far, oldest first. A premium paid in any
    run is left out. A line sent without a result yet refuses the question (``ConflictError``):
    the bank may have taken the money, so its result file must be imported first.
    """
    lines = list(items)
    by_line = _results_by_line(results, {(item.run_id, item.line_no) for item in lines})
    paid = {item.premium for item in lines
            if (r := by_line.get((item.run_id, item.line_no))) and r.status is DebitStatus.PAID}  # fmt: skip
    waiting = [f"run {item.run_id} line {item.line_no}" for item in lines
               if (item.run_id, item.line_no) not in by_line and item.premium not in paid]  # fmt: skip
    if waiting:
        raise ConflictError(f"no result yet for {', '.join(waiting)}: import the bank's result "
                            "file before a re-run (the premium may have been taken)")  # fmt: skip
    latest: dict[tuple[str, int, str], DebitItem] = {}
    for item in lines:
        if item.premium not in paid:
            latest.pop(item.premium, None)
            latest[item.premium] = item
    return tuple(latest.values())


def _results_by_line(
    results: Iterable[DebitResult], known: Collection[tuple[str, int]]
) -> dict[tuple[str, int], DebitResult]:
    by_line: dict[tuple[str, int], DebitResult] = {}
    for result in results:
        key = (result.run_id, result.line_no)
        where = f"run {result.run_id} line {result.line_no}"
        if key not in known:
            raise InvalidValue(where, "a result for a line that is not among the items")
        if key in by_line:
            raise InvalidValue(where, "two results for one line")
        by_line[key] = result
    return by_line


@dataclass(frozen=True, slots=True)
class Rerun:
    """What a re-run sends, and what waits for the person to change something (with why)."""

    send: tuple[DebitItem, ...]
    held: tuple[DebitResult, ...]


def plan_rerun(
    items: Iterable[DebitItem], results: Iterable[DebitResult], *, changed: Collection[str] = ()
) -> Rerun:
    """Split :func:`still_unpaid` by the last failure: retried, or held until data changes.

    ``changed`` holds the psn_no whose card, name or status was updated since the last run; the
    caller rebuilds their items from the registry before sending them.
    """
    results = list(results)
    unpaid = still_unpaid(items, results)
    last = {(r.run_id, r.line_no): r for r in results}
    send: list[DebitItem] = []
    held: list[DebitResult] = []
    for item in unpaid:
        result = last[(item.run_id, item.line_no)]
        if result.failure is None or result.failure.retry or item.psn_no in changed:
            send.append(item)
        else:
            held.append(result)
    return Rerun(tuple(send), tuple(held))


def for_run(items: Iterable[DebitItem], *, run_id: str) -> tuple[DebitItem, ...]:
    """``items`` renumbered 1, 2, … as the lines of run ``run_id``."""
    return tuple(replace(item, run_id=run_id, line_no=number)
                 for number, item in enumerate(items, start=1))  # fmt: skip
