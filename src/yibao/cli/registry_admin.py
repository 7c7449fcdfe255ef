"""``yibao registry`` commands for special identities, employers' contributions and account
transfers; :mod:`yibao.cli.registry` registers them under the names of :data:`ADMIN_COMMANDS`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

import typer

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.cli.output import Json, emit
from yibao.kernel.dates import parse_date, parse_datetime
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import money
from yibao.registry.accounts import transfer_account
from yibao.registry.employers import bill_employer, employer_statement, pay_employer
from yibao.registry.identities import end_identity, grant_identity, identities_of
from yibao.registry.model import Identity
from yibao.registry.year_rules import demo_enrolment_dir, load_year_rules, rules_for
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["ADMIN_COMMANDS"]

Psn = Annotated[str, typer.Argument(help="The person's psn_no.")]
IdetType = Annotated[
    str,
    typer.Option("--type", help="人员身份类别 (01 低保, 02 特困, 03 返贫致贫监测, 06 重度残疾 …)."),
]
Month = Annotated[str, typer.Option(help="The month, YYYY-MM.")]
Employer = Annotated[str, typer.Argument(help="The employer's code (单位编号, emp_no).")]


def identity_command(
    psn_no: Psn, idet_type: IdetType,
    begin: Annotated[str, typer.Option(help="First day (YYYY-MM-DD) or moment of the period.")],
    end: Annotated[str | None, typer.Option(help="Last day or moment; none: open-ended.")] = None,
    level: Annotated[str | None, typer.Option(help="人员身份等级 (重度残疾人: 残疾等级 1 or 2).")] = None,
    ref: Annotated[str, typer.Option(help="The decision it comes from (民政, 残联 …).")] = "",
    as_json: Json = False,
) -> None:  # fmt: skip
    """Record a period of a special identity (medical aid follows it)."""
    with reporting():
        begntime = parse_datetime(begin, field="--begin")
        endtime = None if end is None else _end_of(end)
        with write_transaction(bootstrap().engine) as connection:
            held = grant_identity(connection, psn_no=psn_no, psn_idet_type=idet_type,
                                  begntime=begntime, endtime=endtime, psn_type_lv=level, ref=ref)  # fmt: skip
        emit(as_json, _identity(held), f"{psn_no}: {held.psn_idet_type} from {held.begntime} to "
             f"{held.endtime or 'open-ended'}")  # fmt: skip


def identity_end_command(
    psn_no: Psn, idet_type: IdetType,
    end: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD, the whole day) or moment.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """End the open period of a special identity."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            held = end_identity(connection, psn_no=psn_no, psn_idet_type=idet_type,
                                endtime=_end_of(end))  # fmt: skip
        emit(as_json, _identity(held), f"{psn_no}: {held.psn_idet_type} ends {held.endtime}")


def identities_command(psn_no: Psn, as_json: Json = False) -> None:
    """Every period of every special identity of a person."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            held = identities_of(connection, psn_no=psn_no)
        lines = [f"{i.psn_idet_type} {i.begntime} – {i.endtime or 'open'}" for i in held]
        emit(as_json, {"psn_no": psn_no, "identities": [_identity(i) for i in held]},
             f"{psn_no}: " + ("; ".join(lines) or "no special identity"))  # fmt: skip


def employer_bill_command(
    emp_no: Employer, month: Month,
    region: Annotated[str | None, typer.Option(help="Pooling region (default: YIBAO_REGION).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """单位缴费: bill an employer's month by the year's rates (each employee once)."""
    with reporting():
        services = bootstrap()
        first = _month(month)
        admdvs = region or services.settings.region
        rates = rules_for(
            load_year_rules(demo_enrolment_dir()), region=admdvs, year=first.year
        ).employee
        if rates is None:
            raise InvalidValue(
                "--month", f"the enrolment rules of {admdvs} {first.year} have no [employee] rates"
            )
        with write_transaction(services.engine) as connection:
            bill = bill_employer(
                connection, emp_no=emp_no, month=first, rates=rates, now=datetime.now()
            )
        emit(as_json, {"emp_no": emp_no, "month": bill.month, "billed": bill.billed,
                       "employer_part": bill.employer_part, "personal_part": bill.personal_part,
                       "total": bill.total, "already_billed": bill.already,
                       "missing_contribution_base": list(bill.missing_base)},
             f"{emp_no} {bill.month}: {bill.billed} employees billed, {bill.total} 元 "
             f"(单位 {bill.employer_part}, 个人 {bill.personal_part}); {bill.already} already billed; "
             f"without a contribution base: {', '.join(bill.missing_base) or 'none'}")  # fmt: skip


def employer_pay_command(
    emp_no: Employer, month: Month,
    amount: Annotated[str, typer.Option(help="The amount paid, the month's whole bill, e.g. 845.43.")],
    receipt: Annotated[str, typer.Option(help="The bank's receipt number.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """Book an employer's payment of a month's bill."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            covered = pay_employer(connection, emp_no=emp_no, month=_month(month),
                                   amount=money(amount, field="--amount"), receipt=receipt,
                                   now=datetime.now())  # fmt: skip
        emit(as_json, {"emp_no": emp_no, "month": month, "employees": covered, "amount": amount},
             f"{emp_no} {month}: {amount} 元 paid for {covered} employees")  # fmt: skip


def employer_statement_command(
    emp_no: Employer, year: Annotated[int, typer.Option(help="The year.")], as_json: Json = False
) -> None:
    """An employer's months: billed, paid, owed."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            months = employer_statement(connection, emp_no=emp_no, year=year)
        rows = [
            {"month": m.month, "due": m.due, "paid": m.paid, "arrears": m.arrears} for m in months
        ]
        emit(as_json, {"emp_no": emp_no, "year": year, "months": rows},
             f"{emp_no} {year}: " + ("; ".join(f"{m.month} due {m.due} paid {m.paid} owed {m.arrears}"
                                               for m in months) or "nothing billed"))  # fmt: skip


def account_transfer_command(
    psn_no: Psn,
    direction: Annotated[str, typer.Option(help="in (转入) or out (转出).")],
    amount: Annotated[str, typer.Option(help="Amount in yuan.")],
    region: Annotated[str, typer.Option(help="The other pooling region (six digits).")],
    ref: Annotated[str, typer.Option(help="The transfer's document number (转移接续凭证).")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """转移接续: move personal-account money in from or out to another pooling region."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            entry = transfer_account(connection, psn_no=psn_no, direction=direction,
                                     amount=money(amount, field="--amount"), region=region,
                                     ref=ref, now=datetime.now())  # fmt: skip
        emit(as_json, {"psn_no": psn_no, "source": entry.source, "amount": entry.amount,
                       "balance_after": entry.balance_after, "counterpart": region, "ref": entry.ref},
             f"{psn_no}: {entry.source} {entry.amount} 元 ({region}), balance {entry.balance_after}")  # fmt: skip


ADMIN_COMMANDS: dict[str, Callable[..., None]] = {
    "identity": identity_command,
    "identity-end": identity_end_command,
    "identities": identities_command,
    "employer-bill": employer_bill_command,
    "employer-pay": employer_pay_command,
    "employer-statement": employer_statement_command,
    "account-transfer": account_transfer_command,
}


def _identity(held: Identity) -> dict[str, Any]:
    return {"psn_no": held.psn_no, "psn_idet_type": held.psn_idet_type,
            "psn_type_lv": held.psn_type_lv, "begntime": held.begntime, "endtime": held.endtime}  # fmt: skip


def _end_of(text: str) -> datetime:
    """A bare day ends at its last second; a moment is taken as given."""
    moment = parse_datetime(text, field="--end")
    if len(text.strip()) == 10:
        return moment.replace(hour=23, minute=59, second=59)
    return moment


def _month(text: str) -> date:
    return parse_date(f"{text}-01", field="--month")
