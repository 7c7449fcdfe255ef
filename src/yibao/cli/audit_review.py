"""``yibao audit queue | case | answer | appeal | decide | sample``: the review queue from a terminal.

Each command parses its options, calls one use case of :mod:`yibao.audit.review` in one
transaction and prints a rich table (or ``--json``: money as exact text). :mod:`yibao.cli.audit`
registers them under the names of :data:`REVIEW_COMMANDS`. The acting person is ``--actor`` as
typed: logins and roles come with issue I (ADR 0013).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from yibao.audit.review import (
    answer_case,
    appeal_findings,
    decide_case,
    draw_inpatient_sample,
    get_case,
    list_queue,
)
from yibao.audit.review_records import Case, CaseFile, money_text
from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.kernel.money import money
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["REVIEW_COMMANDS"]

CaseId = Annotated[int, typer.Argument(help="The case number (case_id).")]
Actor = Annotated[str, typer.Option(help="Who acts (name or staff id; not yet authenticated).")]
Institution = Annotated[
    str, typer.Option("--institution", help="The institution (fixmedins_code).")
]
Evidence = Annotated[
    list[str] | None,
    typer.Option("--evidence", help="A reference to an evidence document (repeat for several)."),
]


def queue_command(
    institution: Annotated[str | None, typer.Option("--institution", help="Only this institution.")] = None,
    state: Annotated[list[str] | None, typer.Option(help="open/answered/closed/all, repeatable.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
    reason: Annotated[str | None, typer.Option(help="finding or sample.")] = None,
    limit: Annotated[int, typer.Option(help="Cases per page.")] = 100,
    offset: Annotated[int, typer.Option(help="Cases to skip.")] = 0,
    as_json: Json = False,
) -> None:  # fmt: skip
    """The review queue (审核队列): the largest amount at issue first."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            page = list_queue(connection, fixmedins_code=institution, states=state, period=period,
                              reason=reason, limit=limit, offset=offset)  # fmt: skip
        if as_json:
            emit(True, page.as_json(), "")
            return
        table = _cases_table(page.cases, f"审核队列: {len(page.cases)} of {page.total} case(s)")
        console.print(table)


def case_command(
    case_id: CaseId,
    institution: Annotated[str | None, typer.Option("--institution", help="As this institution sees it.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """One case with the findings it reviews and every step (who, when, what)."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            file = get_case(connection, case_id=case_id, fixmedins_code=institution)
        if as_json:
            emit(True, file.as_json(), "")
            return
        _print_file(file)


def answer_command(
    case_id: CaseId, institution: Institution, actor: Actor,
    explanation: Annotated[str, typer.Option(help="The institution's explanation (说明).")],
    evidence: Evidence = None, as_json: Json = False,
) -> None:  # fmt: skip
    """The institution answers a case, citing its evidence (病程记录, 检验报告 …)."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            case = answer_case(connection, case_id=case_id, fixmedins_code=institution, actor=actor,
                               explanation=explanation, evidence=evidence or (), now=datetime.now())  # fmt: skip
        _print_case(case, as_json)


def appeal_command(
    finding_ids: Annotated[list[int], typer.Argument(help="The violations appealed (finding ids, one visit).")],
    institution: Institution, actor: Actor,
    explanation: Annotated[str, typer.Option(help="Why the violations should not be deducted.")],
    evidence: Evidence = None, as_json: Json = False,
) -> None:  # fmt: skip
    """The institution appeals violations (申诉): a case opened with its answer."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            case = appeal_findings(connection, finding_ids=finding_ids, fixmedins_code=institution,
                                   actor=actor, explanation=explanation, evidence=evidence or (),
                                   now=datetime.now())  # fmt: skip
        _print_case(case, as_json)


def decide_command(
    case_id: CaseId, actor: Actor,
    outcome: Annotated[str, typer.Option(help="uphold, partly_uphold or dismiss.")],
    reason: Annotated[str, typer.Option(help="Why (stated to the institution).")],
    amount: Annotated[str | None, typer.Option(help="The amount upheld (partly_uphold), e.g. 846.10.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """An auditor decides a case: uphold, partly uphold (with the amount) or dismiss."""
    with reporting():
        upheld = None if amount is None else money(amount, field="--amount")
        with write_transaction(bootstrap().engine) as connection:
            case = decide_case(connection, case_id=case_id, actor=actor, outcome=outcome,
                               reason=reason, amount_upheld=upheld, now=datetime.now())  # fmt: skip
        _print_case(case, as_json)


def sample_command(
    period: Annotated[str, typer.Option(help="The month of the settlements, YYYY-MM.")],
    seed: Annotated[str, typer.Option(help="The draw's seed (kept; the same seed draws the same visits).")],
    actor: Actor,
    share: Annotated[str, typer.Option(help="Share of each institution's stays, at least 0.10.")] = "0.10",
    institution: Annotated[str | None, typer.Option("--institution", help="Only this institution.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Draw the period's inpatient sample (住院抽审): at least 10% of each institution's stays."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            draw = draw_inpatient_sample(connection, period=period, seed=seed, actor=actor,
                                         now=datetime.now(), share=share, fixmedins_code=institution)  # fmt: skip
        if as_json:
            emit(True, draw.as_json(), "")
            return
        table = Table(title=f"住院抽审 {draw.period} (share {draw.share}, seed {draw.seed})")
        for name in ("institution", "settled stays", "drawn", "cases", "note"):
            table.add_column(
                name, justify="right" if name in {"settled stays", "drawn"} else "left"
            )
        for i in draw.institutions:
            note = "" if i.earlier_seed is None else f"drawn earlier (seed {i.earlier_seed})"
            _row(table, i.fixmedins_code, str(i.population), str(len(i.drawn)),
                          " ".join(map(str, i.case_ids)), note)  # fmt: skip
        console.print(table)


REVIEW_COMMANDS: dict[str, Callable[..., None]] = {
    "queue": queue_command,
    "case": case_command,
    "answer": answer_command,
    "appeal": appeal_command,
    "decide": decide_command,
    "sample": sample_command,
}


def _row(table: Table, *cells: str | None) -> None:
    """A row of plain text: brackets in what people typed are not rich markup."""
    table.add_row(*(Text(cell or "") for cell in cells))


def _cases_table(cases: Sequence[Case], title: str) -> Table:
    table = Table(title=title)
    for name in ("case", "reason", "institution", "visit", "period", "state", "at issue", "upheld"):
        table.add_column(name, justify="right" if name in {"at issue", "upheld"} else "left")
    for c in cases:
        _row(table, str(c.case_id), c.reason.label, c.fixmedins_code, c.mdtrt_id, c.period,
                      c.state.label, money_text(c.amount_at_issue), money_text(c.amount_upheld))  # fmt: skip
    return table


def _print_case(case: Case, as_json: bool) -> None:
    emit(as_json, case.as_json(), f"case {case.case_id} ({case.mdtrt_id}): {case.state.label}, "
         f"at issue {case.amount_at_issue}, upheld {money_text(case.amount_upheld) or '—'}")  # fmt: skip


def _print_file(file: CaseFile) -> None:
    console.print(_cases_table([file.case], f"case {file.case.case_id}"))
    found = Table(title="findings")
    for name in ("id", "rule", "grade", "line", "date", "amount", "违规内容"):
        found.add_column(name, justify="right" if name == "amount" else "left")
    for f in file.findings:
        _row(found, str(f.finding_id), f"{f.rule_id} {f.rule_name}", f.grade.label, f.feedetl_sn,
                      f.fee_date.isoformat(), money_text(f.amount), f.vola_cont)  # fmt: skip
    steps = Table(title="steps")
    for name in ("#", "what", "who", "when", "state", "text", "evidence", "amount"):
        steps.add_column(name)
    for s in file.steps:
        who = s.actor if s.fixmedins_code is None else f"{s.actor} ({s.fixmedins_code})"
        what = s.kind.value if s.outcome is None else f"{s.kind.value}: {s.outcome.value}"
        _row(steps, str(s.step_no), what, who, s.at.isoformat(sep=" ", timespec="seconds"),
                      s.state_after.value, s.text, "; ".join(s.evidence), money_text(s.amount))  # fmt: skip
    console.print(found)
    console.print(steps)
