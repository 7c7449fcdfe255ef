"""A small store for the review-queue tests: institutions, persons, visits with their settlements.

The month of May 2026 at H1 has 25 settled inpatient stays (a sample of 3), at H2 7 (a sample of
1); H3 has only outpatient visits. Around them, visits the sample must not draw: an outpatient
visit, a stay still open, a stay settled in June, a stay whose settlement was reversed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, insert

from yibao.audit.findings import Finding
from yibao.audit.model import Action, Grade
from yibao.catalog.tables import institutions, regions
from yibao.registry.tables import persons
from yibao.settlement.tables import settlements, visits
from yibao.store.types import ScaledDecimal

H1, H2, H3 = "H99010000001", "H99010000002", "H99010000003"
MAY = "2026-05"
NOW = datetime(2026, 6, 3, 9, 30)
#: H1's settled inpatient stays in May, and H2's
H1_STAYS = [f"M1{n:03d}" for n in range(25)]
H2_STAYS = [f"M2{n:03d}" for n in range(7)]
_PERSONS = [f"P99{n:04d}" for n in range(40)]
_AMOUNT_COLUMNS = [c.name for c in settlements.columns if isinstance(c.type, ScaledDecimal)]


def fund_pay(mdtrt_id: str) -> Decimal:
    """What the funds paid for a stay of the fixture (its final settlement, or mid-stay + final)."""
    tail = mdtrt_id[-3:]
    return Decimal(1000 + (int(tail) if tail.isdigit() else 0) * 10) + Decimal("0.25")


def seed_store(connection: Connection) -> None:
    """The region, three institutions, 40 persons and the visits described above."""
    connection.execute(insert(regions), [{"admdvs": "990100", "name": "示例市", "province": "99"}])
    connection.execute(insert(institutions), [
        {"fixmedins_code": code, "fixmedins_name": f"医院{code[-1]}", "hosp_lv": "01",
         "admdvs": "990100", "kind": "hospital", "demo": False}
        for code in (H1, H2, H3)
    ])  # fmt: skip
    connection.execute(insert(persons), [
        {"psn_no": p, "psn_cert_type": "01", "certno": f"99010119800101{n:04d}", "psn_name": f"人{n}",
         "gend": "1", "brdy": date(1980, 1, 1)}
        for n, p in enumerate(_PERSONS)
    ])  # fmt: skip
    for n, mdtrt_id in enumerate(H1_STAYS):
        if n == 0:  # settled mid-stay in April, then finally in May: both payments count
            add_visit(connection, mdtrt_id, H1, settled=[
                ("mid_stay", datetime(2026, 4, 30, 17), Decimal("500.00"), None),
                ("final", datetime(2026, 5, 9, 10), fund_pay(mdtrt_id) - Decimal("500.00"), None),
            ])  # fmt: skip
        else:
            add_visit(connection, mdtrt_id, H1, day=1 + n % 28)
    for n, mdtrt_id in enumerate(H2_STAYS):
        add_visit(connection, mdtrt_id, H2, day=2 + n)
    add_visit(connection, "X-OUTPATIENT", H1, med_type="11")
    add_visit(connection, "X-H3-OUTPATIENT", H3, med_type="11")
    add_visit(connection, "X-OPEN", H1, status="open", settled=[])
    add_visit(connection, "X-JUNE", H1, settled=[
        ("final", datetime(2026, 6, 1, 8), Decimal("10.00"), None)])  # fmt: skip
    add_visit(connection, "X-REVERSED", H1, status="open", settled=[
        ("final", datetime(2026, 5, 3, 8), Decimal("10.00"), "X-REVERSED-R"),
        ("reversal", datetime(2026, 5, 4, 8), Decimal("-10.00"), None),
    ])  # fmt: skip


def add_visit(
    connection: Connection, mdtrt_id: str, fixmedins_code: str, *, med_type: str = "21",
    status: str = "settled", day: int = 5,
    settled: Sequence[tuple[str, datetime, Decimal, str | None]] | None = None,
) -> None:  # fmt: skip
    """A visit and its settlements (kind, time, fund payment, reversed_by); default: one final."""
    psn_no = _PERSONS[sum(map(ord, mdtrt_id)) % len(_PERSONS)]
    connection.execute(insert(visits), [{
        "mdtrt_id": mdtrt_id, "fixmedins_code": fixmedins_code, "psn_no": psn_no,
        "insutype": "310", "med_type": med_type, "begntime": datetime(2026, 4, 20, 8),
        "endtime": None, "mdtrtarea_admvs": "990100", "insuplc_admdvs": "990100",
        "ipt_no": None, "status": status, "created_msgid": f"msg-{mdtrt_id}",
    }])  # fmt: skip
    if settled is None:
        settled = [("final", datetime(2026, 5, day, 16), fund_pay(mdtrt_id), None)]
    for n, (kind, when, paid, reversed_by) in enumerate(settled, start=1):
        row: dict[str, object] = dict.fromkeys(_AMOUNT_COLUMNS, Decimal("0.00"))
        row.update({
            "setl_id": f"{mdtrt_id}-S{n}" if kind != "reversal" else f"{mdtrt_id}-R",
            "mdtrt_id": mdtrt_id, "psn_no": psn_no, "fixmedins_code": fixmedins_code,
            "insutype": "310", "kind": kind, "setl_time": when, "policy_region": "990100",
            "policy_version": "2026", "reverses": None, "reversed_by": reversed_by,
            "msgid": f"m{n}-{mdtrt_id}", "fund_pay_sumamt": paid, "pool_prop_selfpay": Decimal("0"),
            "document": "{}",
        })  # fmt: skip
        connection.execute(insert(settlements), [row])


def finding(
    mdtrt_id: str, rule_id: str = "R-SUSPICIOUS", feedetl_sn: str = "1", amount: str = "120.50",
    *, grade: Grade = Grade.SUSPICIOUS, psn_no: str = "P990000",
) -> Finding:  # fmt: skip
    """A finding as the engine returns it."""
    return Finding(
        rule_id=rule_id, rule_name=f"规则 {rule_id}", family="indication", grade=grade,
        action=Action.HOLD if grade is Grade.SUSPICIOUS else Action.SELF_PAY, mdtrt_id=mdtrt_id,
        psn_no=psn_no, feedetl_sn=feedetl_sn, amount=Decimal(amount), fee_date=date(2026, 5, 2),
        vola_cont=f"{rule_id} 第{feedetl_sn}行", evidence="两库第一批", detail={"code": "X01", "n": "2"},
    )  # fmt: skip
