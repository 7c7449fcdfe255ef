"""Reconciliation use cases over the store: 3201 对总账 and 3202 对明细账 (ADR 0018).

"Our" settlements are the calling institution's settlement records (settlements and reversals,
which mirror them with negative amounts) whose ``setl_time`` falls on a day of the period, less
those of manual claims (手工报销: the visit's ``mdtrt_id`` is a ``claim_no``, paid to the person, not
to the institution). ``clr_type`` comes from the visit's ``med_type`` through
:func:`~yibao.settlement.model.clr_type_of`, as ``setlinfo`` shows it.

Every answer is recorded (``total_reconciliations``, ``detail_reconciliations``); a refused
request stores nothing (the gateway rolls its transaction back). Field names in errors are those
of the transaction's input (``input.data.…``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, insert, select

from yibao.catalog.queries import region_of
from yibao.clearing.reconcile_detail import DETAIL_FIGURES, detail_figures, parse_detail, refuse
from yibao.clearing.reconcile_files import StoredFile, detail_text, find_file, store_file
from yibao.clearing.reconcile_model import (
    STATEMENT_FIGURES,
    Group,
    LineKind,
    LineResult,
    Period,
    SettlementLine,
    StmtResult,
    Totals,
    compare_lines,
    count_kinds,
    describe_counts,
    differences,
    figures,
    result_text,
    select_totals,
    statement,
)
from yibao.clearing.reconcile_tables import detail_reconciliations, total_reconciliations
from yibao.clearing.settled import counted
from yibao.crossregion.claim_tables import claims
from yibao.kernel.codes import RefdSetlFlag
from yibao.kernel.errors import InvalidValue
from yibao.settlement.model import SettlementKind, clr_type_of
from yibao.settlement.tables import settlements, visits

__all__ = [
    "DetailOutcome",
    "DetailRequest",
    "TotalsRequest",
    "check_optins",
    "our_groups",
    "reconcile_details",
    "reconcile_totals",
]

_DATA = "input.data"
_CHUNK = 500
_REVERSAL = SettlementKind.REVERSAL.value


@dataclass(frozen=True, slots=True)
class TotalsRequest:
    """3201's input: the selection and the institution's figures (:data:`STATEMENT_FIGURES`)."""

    setl_optins: str
    insutype: str
    clr_type: str
    period: Period
    refd_setl_flag: str | None
    figures: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class DetailRequest:
    """3202's input: the uploaded detail file, the selection, the totals sent with the file."""

    setl_optins: str
    file_qury_no: str
    clr_type: str | None
    period: Period
    #: ``fixmedins_setl_cnt``, ``medfee_sumamt``, ``fund_pay_sumamt``, ``cash_payamt``
    figures: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class DetailOutcome:
    """3202's answer: one result per settlement, their counts, and the stored result file."""

    results: tuple[LineResult, ...]
    counts: Mapping[LineKind, int]
    stmt_rslt: StmtResult
    description: str
    result_file: StoredFile


def check_optins(connection: Connection, *, caller: str, setl_optins: str) -> None:
    """``setl_optins`` must be the agency that clears the caller: its region."""
    region = region_of(connection, caller)
    if setl_optins != region:
        raise InvalidValue(f"{_DATA}.setl_optins", f"{setl_optins} does not clear this institution: "
                                                   f"its settlements are cleared by {region}")  # fmt: skip


def _ours(caller: str, period: Period) -> list[ColumnElement[bool]]:
    begin = datetime.combine(period.begin, time())
    after = datetime.combine(period.end + timedelta(days=1), time())
    return [settlements.c.fixmedins_code == caller, counted(begin, after)]


def our_groups(connection: Connection, *, caller: str, period: Period) -> list[Group]:
    """The caller's settlement records of the period, summed per insurance type, ``med_type`` and side."""
    s, v = settlements.c, visits.c
    rows = connection.execute(
        select(s.insutype, v.med_type, s.kind, func.count().label("n"), func.sum(s.medfee_sumamt),
               func.sum(s.fund_pay_sumamt), func.sum(s.acct_pay), func.sum(s.inscp_scp_amt),
               func.sum(s.psn_cash_pay))
        .join(visits, v.mdtrt_id == s.mdtrt_id)
        .where(*_ours(caller, period))
        .group_by(s.insutype, v.med_type, s.kind)
    )  # fmt: skip
    return [_group(row) for row in rows]


def _group(row: Any) -> Group:
    insutype, med_type, kind, n, *sums = row
    reversal = kind == _REVERSAL
    counts = (0, n) if reversal else (n, 0)
    return Group(insutype, med_type, reversal, Totals(*counts, *sums))


def reconcile_totals(
    connection: Connection, *, caller: str, request: TotalsRequest, msgid: str, now: datetime
) -> tuple[StmtResult, str]:
    """3201: the caller's figures against ours; the result and its description, recorded."""
    check_optins(connection, caller=caller, setl_optins=request.setl_optins)
    groups = our_groups(connection, caller=caller, period=request.period)
    ours = figures(select_totals(groups, clr_type=request.clr_type, insutype=request.insutype,
                                 refd_setl_flag=request.refd_setl_flag), STATEMENT_FIGURES)  # fmt: skip
    outcome, description = statement(request.figures, ours)
    sides = {"their": request.figures, "our": ours}
    connection.execute(insert(total_reconciliations), [{
        "fixmedins_code": caller, "msgid": msgid, "setl_optins": request.setl_optins,
        "insutype": request.insutype, "clr_type": request.clr_type, "refd_setl_flag": request.refd_setl_flag,
        "stmt_begndate": request.period.begin, "stmt_enddate": request.period.end,
        **{f"{side}_setl_cnt": int(values["fixmedins_setl_cnt"]) for side, values in sides.items()},
        **{f"{side}_{name}": values[name] for side, values in sides.items()
           for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")},
        "stmt_rslt": outcome.value, "stmt_rslt_dscr": description, "reconciled_at": now,
    }])  # fmt: skip
    return outcome, description


def our_lines(
    connection: Connection, *, caller: str, period: Period, clr_type: str | None
) -> list[SettlementLine]:
    """The caller's settlement records of the period (of ``clr_type``), in settlement order."""
    s, v = settlements.c, visits.c
    rows = connection.execute(
        select(s.setl_id, s.mdtrt_id, s.psn_no, s.msgid, s.kind, s.medfee_sumamt, s.fund_pay_sumamt,
               s.acct_pay, v.med_type)
        .join(visits, v.mdtrt_id == s.mdtrt_id)
        .where(*_ours(caller, period))
        .order_by(s.setl_time, s.setl_id)
    )  # fmt: skip
    return [
        SettlementLine(setl_id=r.setl_id, mdtrt_id=r.mdtrt_id, psn_no=r.psn_no, msgid=r.msgid,
                       medfee_sumamt=r.medfee_sumamt, fund_pay_sumamt=r.fund_pay_sumamt, acct_pay=r.acct_pay,
                       refd_setl_flag=_flag(r.kind))
        for r in rows
        if clr_type is None or clr_type_of(r.med_type) == clr_type
    ]  # fmt: skip


def _flag(kind: str) -> str:
    return (RefdSetlFlag.YES if kind == _REVERSAL else RefdSetlFlag.NO).value


def reconcile_details(
    connection: Connection, *, caller: str, request: DetailRequest, msgid: str, now: datetime
) -> DetailOutcome:
    """3202: the uploaded detail file against our settlements, line by line; the result is stored
    as a file of the caller's and the run recorded. A bad file is refused whole."""
    check_optins(connection, caller=caller, setl_optins=request.setl_optins)
    field, name = f"{_DATA}.file_qury_no", request.file_qury_no
    upload = find_file(connection, caller=caller, file_qury_no=name, field=field, now=now)
    if upload.infno != "9101":
        raise InvalidValue(
            field, f"file {name} is a {upload.infno} result, not a detail file uploaded with 9101"
        )
    theirs = parse_detail(detail_text(upload, field=field), field=field, name=name)
    _check_file_totals(theirs, request.figures, name)
    ours = our_lines(connection, caller=caller, period=request.period, clr_type=request.clr_type)
    held = {line.setl_id for line in ours}
    notes = _notes(
        connection, caller, request, [line for line in theirs if line.setl_id not in held]
    )
    results = compare_lines(theirs, ours, notes)
    counts = count_kinds(results)
    outcome, description = describe_counts(counts)
    stored = store_file(connection, caller=caller, infno="3202", filename=f"result_{name}.txt",
                        content=result_text(results).encode("utf-8"), now=now)  # fmt: skip
    connection.execute(insert(detail_reconciliations), [{
        "fixmedins_code": caller, "msgid": msgid, "setl_optins": request.setl_optins, "file_qury_no": name,
        "result_file_qury_no": stored.file_qury_no, "clr_type": request.clr_type,
        "stmt_begndate": request.period.begin, "stmt_enddate": request.period.end,
        "fixmedins_setl_cnt": int(request.figures["fixmedins_setl_cnt"]),
        **{key: request.figures[key] for key in ("medfee_sumamt", "fund_pay_sumamt", "cash_payamt")},
        "matched": counts[LineKind.MATCH], "amounts_differ": counts[LineKind.AMOUNTS_DIFFER],
        "only_ours": counts[LineKind.ONLY_OURS], "only_theirs": counts[LineKind.ONLY_THEIRS],
        "stmt_rslt": outcome.value, "reconciled_at": now,
    }])  # fmt: skip
    return DetailOutcome(results, counts, outcome, description, stored)


def _check_file_totals(
    lines: Sequence[SettlementLine], sent: Mapping[str, Decimal], name: str
) -> None:
    """The totals sent with the file must be the file's: its line count and sums."""
    found = differences({key: sent[key] for key in DETAIL_FIGURES}, detail_figures(lines),
                        sides=("sent", f"file {name}"))  # fmt: skip
    if found:
        first, rest = found[0], "".join(f"; {d}" for d in found[1:])
        raise InvalidValue(f"{_DATA}.{first.field}", f"{first.detail}{rest}: the totals sent are not "
                                                     "the detail file's; nothing was stored")  # fmt: skip


def _notes(
    connection: Connection, caller: str, request: DetailRequest, strangers: Iterable[SettlementLine]
) -> dict[str, str]:
    """Why lines of theirs are not among ours: another institution's settlement refuses the file;
    the caller's own one outside the selection is explained (period, clr_type, manual claim)."""
    lines = {line.setl_id: line for line in strangers}
    problems, notes = [], {}
    ids = list(lines)
    for start in range(0, len(ids), _CHUNK):
        for row in _known(connection, ids[start : start + _CHUNK]):
            line = lines[row.setl_id]
            if row.fixmedins_code != caller:
                problems.append(
                    f"line {line.line_no}, setl_id: {row.setl_id} is a settlement of another institution"
                )
            else:
                notes[row.setl_id] = _why_not_ours(row, request)
    refuse(problems, field=f"{_DATA}.file_qury_no", name=request.file_qury_no)
    return notes


def _known(connection: Connection, ids: list[str]) -> Iterable[Any]:
    s, v = settlements.c, visits.c
    return connection.execute(
        select(s.setl_id, s.fixmedins_code, s.setl_time, v.med_type,
               exists().where(claims.c.claim_no == s.mdtrt_id).label("claimed"))
        .join(visits, v.mdtrt_id == s.mdtrt_id)
        .where(s.setl_id.in_(ids))
    )  # fmt: skip


def _why_not_ours(row: Any, request: DetailRequest) -> str:
    day: date = row.setl_time.date()
    if row.claimed:
        return "手工报销的结算, 不参与对账"
    if not request.period.begin <= day <= request.period.end:
        return f"经办结算日期 {day}, 不在对账期间"
    return f"清算类别 {clr_type_of(row.med_type)}, 不是 {request.clr_type}"
