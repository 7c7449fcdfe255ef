"""The filing use cases on SQLite and PostgreSQL: the days a chronic filing unlocks, and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, insert, update

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.filings import (
    chronic_filing_on,
    chronic_filings_of,
    designated_of,
    file_chronic,
    file_designated,
    file_referral,
    referrals_of,
    revoke_chronic,
    revoke_designated,
)
from yibao.registry.tables import enrolments, persons
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

PSN = "99010000000001"
BOTH = "99010000000002"  # insured under 310 and 390
H1, H2 = "H99010000001", "H99010000002"
NOW = datetime(2026, 2, 20, 10, 30)
MARCH_1, MARCH_31 = date(2026, 3, 1), date(2026, 3, 31)


@pytest.fixture
def connection(database_url: str) -> Iterator[Connection]:
    """A migrated database with two persons enrolled since 2020-01-01, in one transaction."""
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(persons), [
            {"psn_no": PSN, "psn_cert_type": "01", "certno": "990101196005061234", "psn_name": "张三",
             "gend": "1", "brdy": date(1960, 5, 6)},
            {"psn_no": BOTH, "psn_cert_type": "01", "certno": "990101198001011234", "psn_name": "李四",
             "gend": "2", "brdy": date(1980, 1, 1)},
        ])  # fmt: skip
        conn.execute(insert(enrolments), [
            {"psn_no": PSN, "insutype": "310", "psn_type": "1201", "insuplc_admdvs": "990100",
             "begndate": date(2020, 1, 1)},
            {"psn_no": BOTH, "insutype": "310", "psn_type": "1101", "insuplc_admdvs": "990100",
             "begndate": date(2020, 1, 1)},
            {"psn_no": BOTH, "insutype": "390", "psn_type": "1501", "insuplc_admdvs": "990100",
             "begndate": date(2020, 1, 1), "enddate": date(2026, 12, 31)},
        ])  # fmt: skip
    with engine.begin() as conn:
        yield conn
    engine.dispose()


def file(
    connection: Connection, *, code: str = "M03900", begndate: date = MARCH_1,
    enddate: date | None = MARCH_31, fixmedins_code: str | None = H1, caller: str = H1,
) -> str:  # fmt: skip
    return file_chronic(
        connection, caller=caller, psn_no=PSN, insutype="310", opsp_dise_code=code,
        opsp_dise_name="高血压病", fixmedins_code=fixmedins_code, begndate=begndate, enddate=enddate,
        now=NOW,
    )  # fmt: skip


def unlocked(connection: Connection, day: date, where: str = H1, **kw: str) -> str | None:
    found = chronic_filing_on(connection, psn_no=PSN, day=day, fixmedins_code=where, **kw)
    return None if found is None else found.filing_id


def test_a_filing_unlocks_from_its_first_to_its_last_day_inclusive(connection: Connection) -> None:
    filing_id = file(connection)
    days = [date(2026, 2, 28), MARCH_1, date(2026, 3, 15), MARCH_31, date(2026, 4, 1)]
    assert [unlocked(connection, day) for day in days] == [
        None,
        filing_id,
        filing_id,
        filing_id,
        None,
    ]
    found = chronic_filing_on(connection, psn_no=PSN, day=MARCH_1, fixmedins_code=H1)
    assert found is not None and (found.opsp_dise_code, found.insutype, found.filed_by) == (
        "M03900", "310", H1,
    )  # fmt: skip
    assert (found.begndate, found.enddate, found.revoked_at, found.filed_at) == (
        MARCH_1, MARCH_31, None, NOW,
    )  # fmt: skip
    assert found.valid_on(MARCH_31) and not found.valid_on(date(2026, 4, 1))


def test_a_filing_naming_an_institution_unlocks_only_there(connection: Connection) -> None:
    filing_id = file(connection)
    assert unlocked(connection, MARCH_1, H1) == filing_id
    assert unlocked(connection, MARCH_1, H2) is None
    anywhere = file(connection, code="M01600", fixmedins_code=None)
    assert unlocked(connection, MARCH_1, H2) == anywhere
    assert unlocked(connection, MARCH_1, H2, opsp_dise_code="M03900") is None
    assert unlocked(connection, MARCH_1, H1, opsp_dise_code="M01600") == anywhere
    assert unlocked(connection, MARCH_1, H1, insutype="390") is None


def test_an_open_ended_filing_has_no_last_day(connection: Connection) -> None:
    filing_id = file(connection, enddate=None)
    assert unlocked(connection, date(2040, 12, 31)) == filing_id
    assert unlocked(connection, date(2026, 2, 28)) is None


def test_a_revoked_filing_unlocks_nothing_and_stays_on_record(connection: Connection) -> None:
    filing_id = file(connection)
    later = NOW + timedelta(days=1)
    before = revoke_chronic(
        connection, caller=H1, filing_id=filing_id, psn_no=PSN, memo="误报", now=later
    )
    assert before.revoked_at is None and before.filing_id == filing_id
    assert [unlocked(connection, day) for day in (MARCH_1, MARCH_31)] == [None, None]
    assert chronic_filings_of(connection, psn_no=PSN, day=MARCH_1) == ()
    (kept,) = chronic_filings_of(connection, psn_no=PSN)
    assert (kept.filing_id, kept.revoked_at, kept.memo) == (filing_id, later, "误报")
    # once revoked, the same disease can be filed again for the same days
    again = file(connection)
    assert unlocked(connection, MARCH_1) == again != filing_id
    with pytest.raises(ConflictError, match=f"filing {filing_id} was revoked at"):
        revoke_chronic(connection, caller=H1, filing_id=filing_id, psn_no=PSN, memo="", now=later)


def test_another_institutions_filing_is_answered_like_a_missing_one(connection: Connection) -> None:
    filing_id = file(connection)
    answers = []
    for caller, asked in ((H2, filing_id), (H1, "2503" + "9" * 26)):
        with pytest.raises(NotFound) as caught:
            revoke_chronic(connection, caller=caller, filing_id=asked, psn_no=PSN, memo="", now=NOW)
        answers.append(str(caught.value).replace(asked, "<id>"))
    assert (
        answers[0]
        == answers[1]
        == (
            f"[YB5001] trt_dcla_detl_sn: no chronic-disease filing <id> of person {PSN} by this institution"
        )
    )
    assert unlocked(connection, MARCH_1) == filing_id


def test_filing_refusals_name_the_field(connection: Connection) -> None:
    def refused(error: type[Exception], **kw: Any) -> str:
        with pytest.raises(error) as caught:
            file(connection, **kw)
        return str(caught.value)

    assert refused(InvalidValue, code="  ") == "[YB1001] opsp_dise_code: empty"
    assert (
        refused(InvalidValue, code="M" * 31) == "[YB1001] opsp_dise_code: longer than 30 characters"
    )
    assert refused(InvalidValue, enddate=date(2026, 2, 28)) == (
        "[YB1001] enddate: 2026-02-28 is before begndate 2026-03-01"
    )
    assert refused(ConflictError, begndate=date(2019, 12, 31)).startswith(
        f"[YB5002] insutype: no cover on 2019-12-31: {PSN} is not covered under 310 before 2020-01-01"
    )
    with pytest.raises(NotFound, match="psn_no: no insured person 99010000000009"):
        file_chronic(
            connection, caller=H1, psn_no="99010000000009", insutype="310", opsp_dise_code="M03900",
            opsp_dise_name="高血压病", fixmedins_code=None, begndate=MARCH_1, enddate=None, now=NOW,
        )  # fmt: skip
    first = file(connection)
    assert refused(ConflictError, begndate=MARCH_31, enddate=None, caller=H2) == (
        f"[YB5002] opsp_dise_code: person {PSN} already has filing {first} for M03900, "
        "valid from 2026-03-01 to 2026-03-31"
    )
    assert refused(ConflictError, begndate=date(2026, 1, 1), enddate=MARCH_1).startswith(
        "[YB5002] opsp_dise_code:"
    )
    assert file(connection, begndate=date(2026, 4, 1), enddate=None) != first  # the day after
    assert len({first, *(file(connection, code=f"M{n:05d}") for n in range(40))}) == 41


def test_filing_ids_are_30_characters_of_infno_time_and_digits(connection: Connection) -> None:
    filing_id = file(connection)
    assert len(filing_id) == 30 and filing_id.isdigit()
    assert filing_id[:18] == "2503" + f"{NOW:%Y%m%d%H%M%S}"


def test_one_designated_institution_per_insurance_type_at_a_time(connection: Connection) -> None:
    def designate(code: str, begndate: date, insutype: str | None = "310") -> str:
        return file_designated(connection, caller=H1, psn_no=BOTH, insutype=insutype, fixmedins_code=code,
                               begndate=begndate, enddate=None, now=NOW)  # fmt: skip

    resident = designate(H2, MARCH_1, "390")
    first = designate(H1, MARCH_1)
    second = designate(H2, date(2026, 6, 1))
    assert {(f.filing_id, f.enddate) for f in designated_of(connection, psn_no=BOTH)} == {
        (resident, None), (first, date(2026, 5, 31)), (second, None),
    }  # fmt: skip
    by_day = {
        day: sorted(
            (f.insutype, f.fixmedins_code) for f in designated_of(connection, psn_no=BOTH, day=day)
        )
        for day in (MARCH_1, date(2026, 5, 31), date(2026, 6, 1))
    }
    assert by_day == {
        MARCH_1: [("310", H1), ("390", H2)],
        date(2026, 5, 31): [("310", H1), ("390", H2)],
        date(2026, 6, 1): [("310", H2), ("390", H2)],
    }
    with pytest.raises(
        InvalidValue, match="insutype: missing: person 99010000000002 is insured under 310 and 390"
    ):
        designate(H1, MARCH_1, None)
    revoke_designated(
        connection, caller=H1, filing_id=second, psn_no=BOTH, memo="患者要求", now=NOW
    )
    assert [f.filing_id for f in designated_of(connection, psn_no=BOTH, day=date(2026, 6, 1))] == [
        resident
    ]


def test_a_referral_begins_on_its_date_unless_told_otherwise(connection: Connection) -> None:
    sn = file_referral(
        connection, caller=H1, psn_no=PSN, insutype=None, diag_code="C34.900", diag_name="肺恶性肿瘤",
        reflin_medins_no="H44010600001", reflin_medins_name="外省某医院", mdtrtarea_admdvs="440106",
        refl_type="1", refl_date=MARCH_1, refl_rea="本院无法开展该手术", refl_opnn="同意", begndate=None,
        enddate=None, now=NOW,
    )  # fmt: skip
    (referral,) = referrals_of(connection, psn_no=PSN, day=MARCH_1)
    assert (referral.trt_dcla_detl_sn, referral.from_fixmedins_code, referral.begndate, referral.insutype) == (
        sn, H1, MARCH_1, None,
    )  # fmt: skip
    assert referrals_of(connection, psn_no=PSN, day=date(2026, 2, 28)) == ()


def test_a_suspended_enrolment_gives_no_cover_to_file_under(connection: Connection) -> None:
    connection.execute(update(enrolments).where(enrolments.c.psn_no == PSN).values(status="2"))
    with pytest.raises(ConflictError) as caught:
        file(connection)
    assert str(caught.value) == (
        f"[YB5002] insutype: no cover on 2026-03-01: the 310 enrolment of {PSN} is suspended (暂停参保)"
    )
