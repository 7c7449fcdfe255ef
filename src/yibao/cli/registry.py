"""``yibao registry …``: families, personal accounts and their ledgers, without the console.

Every command takes ``--json`` for scripts; without it a short rich summary is printed. Errors
name the field and the reason (``yibao.cli.errors.reporting``) and nothing is half-written: each
command runs in one write transaction.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.cli.registry_admin import ADMIN_COMMANDS
from yibao.cli.registry_import import import_persons
from yibao.kernel.dates import parse_date
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import money
from yibao.registry.accounts import account_ledger_of, carry_over, credit_month
from yibao.registry.bank import DebitResult
from yibao.registry.bank_codes import demo_bank_tables
from yibao.registry.bank_files import write_debit_csv, write_debit_fixed
from yibao.registry.collections import import_results, register_card, start_run
from yibao.registry.families import RELATIONS, link_family, revoke_family_link
from yibao.registry.premiums import enrol_resident, record, statement
from yibao.registry.year_rules import demo_enrolment_dir, load_year_rules, rules_for
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Registry: families, accounts (参保登记与个人账户).")
app.command("import")(import_persons)
for _name, _command in ADMIN_COMMANDS.items():
    app.command(_name)(_command)


@app.command("link-family")
def link_family_command(
    holder: Annotated[str, typer.Argument(help="psn_no of the account holder who consents.")],
    member: Annotated[str, typer.Argument(help="psn_no of the family member.")],
    relation: Annotated[str, typer.Option(help=f"Relation: {', '.join(f'{k} {v}' for k, v in RELATIONS.items())}.")],
    consent_ref: Annotated[str, typer.Option(help="Reference of the signed consent form.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """家庭共济: let the holder's account pay the member's settlements."""
    with reporting():
        services = bootstrap()
        with write_transaction(services.engine) as connection:
            link_id = link_family(connection, holder_psn_no=holder, member_psn_no=member,
                                  relation=relation, consent_ref=consent_ref, now=datetime.now())  # fmt: skip
        emit(as_json, {"link_id": link_id, "holder": holder, "member": member},
              f"{holder} now pays for {member} ({RELATIONS[relation]}), consent {consent_ref}")  # fmt: skip


@app.command("unlink-family")
def unlink_family_command(
    holder: Annotated[str, typer.Argument(help="psn_no of the account holder.")],
    member: Annotated[str, typer.Argument(help="psn_no of the family member.")],
    as_json: Json = False,
) -> None:
    """Withdraw a mutual-aid consent from now on."""
    with reporting():
        services = bootstrap()
        with write_transaction(services.engine) as connection:
            revoke_family_link(connection, holder_psn_no=holder, member_psn_no=member,
                               now=datetime.now())  # fmt: skip
        emit(as_json, {"holder": holder, "member": member, "revoked": True},
              f"{holder} no longer pays for {member}")  # fmt: skip


@app.command("credit-accounts")
def credit_accounts_command(
    month: Annotated[str, typer.Option(help="The month to credit, YYYY-MM.")],
    region: Annotated[str | None, typer.Option(help="Pooling region (default: YIBAO_REGION).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """个人账户划入 for one month by the policy in force; a month credited twice credits nothing."""
    with reporting():
        services = bootstrap()
        first = parse_date(f"{month}-01", field="--month")
        admdvs = region or services.settings.region
        account = services.policies.in_force(admdvs, first).plan("310").account
        if account is None or account.credit is None:
            raise InvalidValue(
                "--month", f"the policy of {admdvs} on {first} has no monthly credit"
            )
        with write_transaction(services.engine) as connection:
            run = credit_month(connection, region=admdvs, month=first, now=datetime.now(),
                               in_service_ratio=account.credit.in_service_ratio,
                               retired_monthly=account.credit.retired_monthly)  # fmt: skip
        payload = {"month": run.month, "credited": run.credited, "total": run.total,
                   "already_credited": run.already, "missing_contribution_base": list(run.missing_base)}  # fmt: skip
        emit(as_json, payload,
              f"{run.month}: {run.credited} accounts credited, {run.total} 元 in all; "
              f"{run.already} already credited; {len(run.missing_base)} in work without a "
              f"contribution base (not credited): {', '.join(run.missing_base) or 'none'}")  # fmt: skip


@app.command("carry-over")
def carry_over_command(
    year: Annotated[int, typer.Option(help="The year that closes.")], as_json: Json = False
) -> None:
    """年终结转: record every account's closing balance of the year (once)."""
    with reporting():
        services = bootstrap()
        with write_transaction(services.engine) as connection:
            count, total = carry_over(connection, year=year, now=datetime.now())
        emit(as_json, {"year": year, "accounts": count, "total": total},
              f"{year}: {count} accounts carried over, {total} 元 in all")  # fmt: skip


@app.command("account")
def account_command(
    psn_no: Annotated[str, typer.Argument(help="The account holder's psn_no.")],
    as_json: Json = False,
) -> None:
    """A personal account's balance and every movement, with its source."""
    with reporting():
        services = bootstrap()
        with read_transaction(services.engine) as connection:
            balance, entries = account_ledger_of(connection, psn_no=psn_no)
        if as_json:
            emit(True, {"psn_no": psn_no, "balance": balance,
                         "ledger": [_entry(e) for e in entries]}, "")  # fmt: skip
            return
        table = Table("booked at", "source", "amount", "balance after", "ref", "for")
        for e in entries:
            table.add_row(f"{e.booked_at:%Y-%m-%d %H:%M}", e.source, format(e.amount, "f"),
                          format(e.balance_after, "f"), e.ref, e.counterpart or "")  # fmt: skip
        console.print(table)
        console.print(f"balance of {psn_no}: {balance} 元", markup=False)


def _entry(e: Any) -> dict[str, Any]:
    return {"booked_at": e.booked_at, "source": e.source, "amount": e.amount,
            "balance_after": e.balance_after, "ref": e.ref, "counterpart": e.counterpart}  # fmt: skip


@app.command("enrol")
def enrol_command(
    psn_no: Annotated[str, typer.Argument(help="The resident's psn_no.")],
    year: Annotated[int, typer.Option(help="Cover year.")],
    paid_on: Annotated[str, typer.Option(help="Day the premium was paid, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option(help="regular, newborn, left_employee, veteran, marriage, "
                                              "released, graduate, late.")] = "regular",
    psn_type: Annotated[str, typer.Option(help="人员类别 (e.g. 1501 居民（成年）, 1403 居民（未成年）).")] = "1501",
    ref: Annotated[str, typer.Option(help="Receipt number of the payment.")] = "",
    region: Annotated[str | None, typer.Option(help="Pooling region (default: YIBAO_REGION).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """城乡居民参保: cover and premium by the year's rules (docs/enrolment-rules.md)."""
    with reporting():
        services = bootstrap()
        admdvs = region or services.settings.region
        rules = rules_for(load_year_rules(demo_enrolment_dir()), region=admdvs, year=year)
        day = parse_date(paid_on, field="--paid-on")
        with write_transaction(services.engine) as connection:
            cover = enrol_resident(connection, psn_no=psn_no, psn_type=psn_type, rules=rules,
                                   reason=reason, paid_on=day, ref=ref or f"ENROL-{psn_no}-{year}",
                                   now=datetime.now())  # fmt: skip
        emit(as_json, {"psn_no": psn_no, "start": cover.start, "end": cover.end,
                        "personal": cover.personal, "subsidy": cover.subsidy, "basis": cover.basis},
              cover.basis)  # fmt: skip


@app.command("premium")
def premium_command(
    psn_no: Annotated[str, typer.Argument(help="The person's psn_no.")],
    kind: Annotated[str, typer.Option(help="due, payment, supplementary (补缴), refund (退付), subsidy.")],
    amount: Annotated[str, typer.Option(help="Amount in yuan, e.g. 210.00.")],
    year: Annotated[int, typer.Option(help="The premium year.")],
    ref: Annotated[str, typer.Option(help="Receipt, run line or decision number.")],
    reason: Annotated[str, typer.Option(help="Required for supplementary and refund.")] = "",
    insutype: Annotated[str, typer.Option(help="险种类型.")] = "390",
    as_json: Json = False,
) -> None:  # fmt: skip
    """Book one premium movement; prints the year's statement after it."""
    with reporting():
        services = bootstrap()
        with write_transaction(services.engine) as connection:
            record(connection, psn_no=psn_no, insutype=insutype, year=year, kind=kind,
                   amount=money(amount, field="--amount"), ref=ref, reason=reason,
                   now=datetime.now())  # fmt: skip
            held = statement(connection, psn_no=psn_no, insutype=insutype, year=year)
        emit(as_json, {"psn_no": psn_no, "year": year, "due": held.due, "paid": held.paid,
                        "refunded": held.refunded, "arrears": held.arrears},
              f"{psn_no} {year}: due {held.due}, paid {held.paid}, refunded {held.refunded}, "
              f"arrears {held.arrears}")  # fmt: skip


@app.command("card")
def card_command(
    psn_no: Annotated[str, typer.Argument(help="The payer's psn_no.")],
    bank: Annotated[str, typer.Option(help="Bank code.")],
    card_no: Annotated[str, typer.Option(help="Debit card number.")],
    holder_name: Annotated[str, typer.Option(help="Account holder's name as the bank has it.")],
    as_json: Json = False,
) -> None:
    """Put a debit card on file for bank batch debits (replaces the one before)."""
    with reporting():
        if bank not in demo_bank_tables():
            raise InvalidValue("--bank", f"no code table for bank {bank!r}")
        services = bootstrap()
        with write_transaction(services.engine) as connection:
            register_card(connection, psn_no=psn_no, bank_code=bank, card_no=card_no,
                          holder_name=holder_name, now=datetime.now())  # fmt: skip
        emit(as_json, {"psn_no": psn_no, "bank": bank, "card_no": card_no},
              f"{psn_no}: card {card_no} at {bank} on file")  # fmt: skip


@app.command("collect")
def collect_command(
    bank: Annotated[str, typer.Option(help="Bank code of the run (a bank of the code tables).")],
    year: Annotated[int, typer.Option(help="Premium year to collect.")],
    out: Annotated[Path, typer.Option(help="Directory for the debit file.")],
    layout: Annotated[str, typer.Option(help="csv or fixed (docs/bank-debit-format.md).")] = "csv",
    insutype: Annotated[str, typer.Option(help="险种类型.")] = "390",
    as_json: Json = False,
) -> None:  # fmt: skip
    """批扣: a debit file of every premium of the year still owed by the bank's payers."""
    with reporting():
        if layout not in ("csv", "fixed"):
            raise InvalidValue("--layout", f"{layout!r} is not csv or fixed")
        if bank not in demo_bank_tables():
            raise InvalidValue("--bank", f"no code table for bank {bank!r}")
        services = bootstrap()
        run_id = f"{bank}{datetime.now():%Y%m%d%H%M%S}"
        path = out / f"{run_id}.{'csv' if layout == 'csv' else 'txt'}"
        with write_transaction(services.engine) as connection:
            plan = start_run(connection, run_id=run_id, bank_code=bank, insutype=insutype,
                             year=year, now=datetime.now())  # fmt: skip
            out.mkdir(parents=True, exist_ok=True)
            (write_debit_csv if layout == "csv" else write_debit_fixed)(path, plan.batch)
        kept = [_failure(r) for r in plan.kept_back]
        emit(as_json, {"run_id": run_id, "file": str(path), "lines": len(plan.batch.items),
                        "total": plan.batch.total, "kept_back": kept},
              f"run {run_id}: {len(plan.batch.items)} lines, {plan.batch.total} 元 → {path}; "
              f"{len(kept)} kept back: " + _said(kept))  # fmt: skip


@app.command("collect-result")
def collect_result_command(
    run_id: Annotated[str, typer.Argument(help="The run the bank answers.")],
    file: Annotated[Path, typer.Argument(help="The bank's result file (.csv, .txt, .dat).")],
    as_json: Json = False,
) -> None:
    """Import a bank's result file: paid lines become payments, failures get reason and action."""
    with reporting():
        services = bootstrap()
        with write_transaction(services.engine) as connection:
            results = import_results(connection, run_id=run_id, path=file,
                                     tables=demo_bank_tables(), now=datetime.now())  # fmt: skip
        failed = [_failure(r) for r in results if r.failure is not None]
        emit(as_json, {"run_id": run_id, "paid": len(results) - len(failed), "failed": failed},
              f"run {run_id}: {len(results) - len(failed)} paid, {len(failed)} failed: "
              + _said(failed))  # fmt: skip


def _failure(result: DebitResult) -> dict[str, Any]:
    failure = result.failure
    return {"line_no": result.line_no, "failure": failure.value if failure else None,
            "reason": failure.label if failure else "", "action": failure.action if failure else "",
            "bank_result": result.result_code}  # fmt: skip


def _said(failures: list[dict[str, Any]]) -> str:
    return "; ".join(f"line {f['line_no']} {f['reason']}（{f['action']}）" for f in failures)
