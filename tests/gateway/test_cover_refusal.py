"""A person without cover on the day is refused at 1101, 2001 and 2201 with the reason.

Cover that starts later (a late enrolee, covered from the month after paying), a suspended
enrolment, and cover that ended; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.gateway.support import envelope, post
from yibao.gateway.pipeline import Gateway
from yibao.registry.tables import enrolments, persons
from yibao.store.engine import write_transaction

TODAY = date.today()
NOW = f"{datetime.now():%Y-%m-%d %H:%M:%S}"
LATER = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)


def _resident(gateway: Gateway, n: int, **change: object) -> tuple[str, str]:
    with write_transaction(gateway.engine) as connection:
        psn_no, certno = connection.execute(
            select(persons.c.psn_no, persons.c.certno)
            .join(enrolments, enrolments.c.psn_no == persons.c.psn_no)
            .where(enrolments.c.insutype == "390", enrolments.c.insuplc_admdvs == "990100")
            .order_by(persons.c.psn_no).offset(n).limit(1)
        ).one()  # fmt: skip
        connection.execute(update(enrolments).where(enrolments.c.psn_no == psn_no).values(**change))
    return psn_no, certno


CASES = {
    "late enrolee": ({"begndate": LATER, "reason": "veteran", "paid_on": TODAY},
                     f"not covered under 390 before {LATER} (enrolment veteran, paid {TODAY})"),
    "suspended": ({"status": "2"}, "enrolment of {psn_no} is suspended (暂停参保)"),
    "ended": ({"enddate": TODAY - timedelta(days=1)},
              f"cover of {{psn_no}} ended on {TODAY - timedelta(days=1)}"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_no_cover_is_refused_with_the_reason(
    client: TestClient, gateway: Gateway, case: str
) -> None:
    change, expected = CASES[case]
    psn_no, certno = _resident(gateway, list(CASES).index(case) + 3, **change)
    reason = expected.format(psn_no=psn_no)
    info = post(
        client, envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno}})
    )
    assert info.json()["infcode"] == -1
    assert "input.data.mdtrt_cert_no: no cover on" in info.json()["err_msg"]
    assert reason in info.json()["err_msg"]
    check = post(client, envelope("2001", {"data": {"psn_no": psn_no, "insutype": "390", "med_type": "11",
                                                    "begntime": NOW}})).json()  # fmt: skip
    assert check["infcode"] == 0, check["err_msg"]
    row = check["output"]["trtinfo"][0]
    assert row["trt_enjymnt_flag"] == "0" and reason in row["trt_chk_rslt"]
    register = post(client, envelope("2201", {"data": {
        "psn_no": psn_no, "insutype": "390", "begntime": NOW, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": certno, "ipt_otp_no": "OP1", "atddr_no": "DR1", "dr_name": "医生",
        "dept_code": "D01", "dept_name": "内科", "caty": "A03"}})).json()  # fmt: skip
    assert register["infcode"] == -1
    assert (
        register["err_msg"].startswith("[YB4001] insutype: no cover on")
        and reason in register["err_msg"]
    )
