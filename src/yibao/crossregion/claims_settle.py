"""Settling an approved claim with the same engine and rules as a direct settlement, and paying it.

:func:`settle_claim` builds the :class:`~yibao.settlement.model.Visit` a direct settlement would
have built — the person from the registry (enrolment, person type, civil-servant flag, special
identities on the day), the institution from the reference (else, for an institution outside the
deployment, from the claim's code, name, level and region), the claim's lines — and calls the pure
engine with the insuring region's policy in force on the last day. Two things differ from a direct
settlement, both by ADR 0015:

* the catalogue is the care region's only when it is a region of this deployment and the visit
  failed for the network alone; otherwise the insuring region's (医保发〔2022〕22号 第14条);
* the personal account pays nothing (``acct_used_flag`` 0): the person paid the institution and is
  repaid what the funds pay; account money is not turned into a bank transfer.

The settlement is stored as a direct one is (a ``visits`` row with status ``settled``, its
diagnoses and lines, then :func:`~yibao.settlement.repository.store_settlement`, which moves the
person's yearly counters), so later settlements of the year see it. No region receivable is written:
the care region advanced nothing. :func:`pay_claim` records the
transfer of the funds' share to the person.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Connection, insert

from yibao.catalog.model import Institution
from yibao.crossregion.claims import step
from yibao.crossregion.claims_model import (
    StepKind,
    catalogue_region,
    filing_type_for,
    next_state,
    text,
)
from yibao.crossregion.claims_records import Claim
from yibao.crossregion.claims_store import load_claim, load_lines
from yibao.kernel.codes import HospLv
from yibao.kernel.errors import InvalidValue, NotFound, SettlementRefused
from yibao.kernel.money import ZERO, money
from yibao.registry.remote_filings import remote_filing_for
from yibao.registry.service import find_person
from yibao.settlement import repository as repo
from yibao.settlement.engine import settle
from yibao.settlement.model import FeeLine, Person, Settlement, TraceStep, Visit
from yibao.settlement.remote import EMERGENCY_MED_TYPES
from yibao.settlement.rules import identities_on
from yibao.settlement.tables import diagnoses, visits
from yibao.settlement.visits import Reference

__all__ = ["pay_claim", "settle_claim"]


def settle_claim(
    connection: Connection, ref: Reference, *, claim_no: str, clerk: str, now: datetime
) -> tuple[Claim, Settlement]:
    """Settle an approved claim; returns the claim (settled) and the settlement stored."""
    who = text(clerk, field="clerk", limit=60)
    claim = load_claim(connection, claim_no, lock=True)
    next_state(claim.state, StepKind.SETTLED)
    repo.lock_person(connection, claim.psn_no)
    day = claim.enddate
    person, balance = _person(connection, claim)
    policy = ref.policies.in_force(claim.insuplc_admdvs, day)
    registered = remote_filing_for(connection, psn_no=claim.psn_no, care_admdvs=claim.care_admdvs,
                                   begin=claim.begndate, end=day)  # fmt: skip
    filing = filing_type_for(None if registered is None else registered.filing_type,
                             emergency=claim.med_type in EMERGENCY_MED_TYPES)  # fmt: skip
    region, why = catalogue_region(care_admdvs=claim.care_admdvs, insuplc_admdvs=claim.insuplc_admdvs,
                                   reason=claim.reason, regions=ref.catalogs.keys())  # fmt: skip
    visit = Visit(
        mdtrt_id=claim.claim_no, person=person, institution=_institution(ref, claim),
        insutype=claim.insutype, med_type=claim.med_type, begntime=_midnight(claim.begndate),
        endtime=_midnight(day), mdtrtarea_admvs=claim.care_admdvs, lines=_lines(connection, claim),
        acct_used_flag=False, filing_type=filing.value,
    )  # fmt: skip
    state = repo.year_state(
        connection, psn_no=claim.psn_no, insutype=claim.insutype, year=day.year, balance=balance
    )
    result = settle(visit, policy=policy, catalog=ref.view(region, day), state=state,
                    setl_id=f"{claim.claim_no}S01", setl_time=now)  # fmt: skip
    result = replace(result, trace=_trace(result, claim, region, why))
    _store_visit(connection, claim, result)
    # the person paid the institution in full: the care region advanced nothing to clear
    repo.store_settlement(connection, result, msgid=claim.claim_no, year=day.year, receivable=False)
    a = result.amounts
    settled = step(
        connection, claim, StepKind.SETTLED, actor=who, now=now,
        text=f"结算 {result.setl_id}：医疗费总额 {a.medfee_sumamt}，基金支付 {a.fund_pay_sumamt}，"
        f"个人负担 {a.psn_part_amt}；{why}；备案类型 {filing.label}",
        detail={"setl_id": result.setl_id, "catalog_admdvs": region, "filing_type": filing.value,
                "medfee_sumamt": a.medfee_sumamt, "fund_pay_sumamt": a.fund_pay_sumamt,
                "psn_part_amt": a.psn_part_amt},
        changes={"mdtrt_id": claim.claim_no, "setl_id": result.setl_id, "catalog_admdvs": region,
                 "filing_type": filing.value, "fund_pay_sumamt": a.fund_pay_sumamt,
                 "psn_part_amt": a.psn_part_amt, "payable": a.fund_pay_sumamt, "closed_at": now},
    )  # fmt: skip
    return settled, result


def pay_claim(
    connection: Connection, *, claim_no: str, paid_on: date, bank_ref: str, actor: str,
    now: datetime, amount: Decimal | None = None,
) -> Claim:  # fmt: skip
    """Record the transfer of the funds' share to the person: the amount, the day, the bank's reference."""
    who = text(actor, field="actor", limit=60)
    reference = text(bank_ref, field="bank_ref", limit=60)
    claim = load_claim(connection, claim_no, lock=True)
    next_state(claim.state, StepKind.PAID)
    assert claim.payable is not None and claim.closed_at is not None
    if amount is not None and money(amount, field="amount") != claim.payable:
        raise InvalidValue("amount", f"{amount} is not the amount payable {claim.payable}")
    if paid_on < claim.closed_at.date():
        raise InvalidValue(
            "paid_on", f"{paid_on} is before the settlement ({claim.closed_at.date()})"
        )
    if paid_on > now.date():
        raise InvalidValue("paid_on", f"{paid_on} is in the future")
    return step(connection, claim, StepKind.PAID, actor=who, now=now,
                text=f"支付 {claim.payable} 元至参保人账户，银行流水号 {reference}",
                detail={"amount": claim.payable, "paid_on": paid_on.isoformat(), "bank_ref": reference},
                changes={"paid_amount": claim.payable, "paid_on": paid_on, "bank_ref": reference})  # fmt: skip


def _person(connection: Connection, claim: Claim) -> tuple[Person, Decimal]:
    """The person as settlement sees them on the claim's last day, and their account balance."""
    day = claim.enddate
    try:
        found = find_person(connection, psn_no=claim.psn_no, day=day)
    except NotFound:
        raise NotFound(f"psn_no: no insured person {claim.psn_no}") from None
    enrolment = next((e for e in found.enrolments if e.insutype == claim.insutype), None)
    if enrolment is None:
        raise SettlementRefused(
            f"insutype: person {claim.psn_no} is not insured under {claim.insutype} on {day}"
        )
    p = found.person
    identities = identities_on(
        ((i.psn_idet_type, i.begntime, i.endtime) for i in found.identities), day
    )
    person = Person(p.psn_no, p.psn_name, p.gend, p.brdy, p.psn_cert_type, p.certno, claim.insutype,
                    enrolment.psn_type, enrolment.cvlserv_flag, enrolment.insuplc_admdvs, identities)  # fmt: skip
    return person, found.balance or ZERO


def _institution(ref: Reference, claim: Claim) -> Institution:
    known = ref.institutions.get(claim.fixmedins_code)
    if known is not None:
        return known
    return Institution(claim.fixmedins_code, claim.fixmedins_name, HospLv(claim.hosp_lv),
                       claim.care_admdvs, "hospital")  # fmt: skip


def _lines(connection: Connection, claim: Claim) -> tuple[FeeLine, ...]:
    return tuple(
        FeeLine(feedetl_sn=str(line.line_no), med_list_codg=line.code, medins_list_codg=line.code,
                cnt=line.cnt, pric=line.pric, det_item_fee_sumamt=line.amount,
                fee_ocur_time=_midnight(line.fee_date), hosp_appr_flag=line.hosp_appr_flag, name=line.name)
        for line in load_lines(connection, claim.claim_no)
    )  # fmt: skip


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _trace(result: Settlement, claim: Claim, region: str, why: str) -> tuple[TraceStep, ...]:
    """The engine's trace, with the catalogue actually used and the claim it settles.

    The engine's ``place_of_care`` step says the care region's catalogue split the lines; when the
    insuring region's did (第14条), that step is replaced by one that says so.
    """
    head = TraceStep("manual_claim", f"手工报销 {claim.claim_no}（{claim.fixmedins_name}，"
                     f"{claim.begndate} 至 {claim.enddate}）：{why}", None,
                     clause="医保发〔2022〕22号 第6、14条")  # fmt: skip
    kept = tuple(
        s for s in result.trace if not (s.step == "place_of_care" and region != claim.care_admdvs)
    )
    return (head, *kept)


def _store_visit(connection: Connection, claim: Claim, result: Settlement) -> None:
    """The visit a direct settlement would have registered, settled, with diagnoses and lines."""
    connection.execute(insert(visits), [{
        "mdtrt_id": claim.claim_no, "fixmedins_code": claim.fixmedins_code, "psn_no": claim.psn_no,
        "insutype": claim.insutype, "med_type": claim.med_type,
        "begntime": _midnight(claim.begndate), "endtime": _midnight(claim.enddate),
        "mdtrtarea_admvs": claim.care_admdvs, "insuplc_admdvs": claim.insuplc_admdvs,
        "ipt_no": None, "status": "settled", "created_msgid": claim.claim_no,
    }])  # fmt: skip
    connection.execute(insert(diagnoses), [
        {"mdtrt_id": claim.claim_no, "diag_srt_no": n, "diag_type": d.get("diag_type", "1"),
         "maindiag_flag": "1" if n == 1 else "0", "diag_code": d["diag_code"], "diag_name": d["diag_name"]}
        for n, d in enumerate(claim.diagnoses, start=1)
    ])  # fmt: skip
    repo.insert_lines(connection, mdtrt_id=claim.claim_no, lines=result.visit.lines,
                      splits=result.lines, chrg_bchno=claim.claim_no)  # fmt: skip
