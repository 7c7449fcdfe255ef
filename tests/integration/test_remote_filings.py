"""异地就医备案 on SQLite and PostgreSQL: file, renew, withdraw, the filing a visit settles under,
and bad input refused with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import Connection, func, insert, select

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.filing_tables import remote_filings
from yibao.registry.remote_filings import (
    file_remote,
    remote_filing_for,
    remote_filings_of,
    renew_remote,
    withdraw_remote,
)
from yibao.registry.remote_model import FilingType, RemoteFiling
from yibao.registry.tables import enrolments, persons
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

PSN = "99010000000001"
REGIONS = ("990100", "990200", "980100")
NOW = datetime(2026, 2, 20, 10, 30)
MARCH_1, MARCH_31 = date(2026, 3, 1), date(2026, 3, 31)


@pytest.fixture
def connection(database_url: str) -> Iterator[Connection]:
    """A migrated database with one retiree insured in 990100 since 2020, in one transaction."""
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(persons), [{"psn_no": PSN, "psn_cert_type": "01",
                                        "certno": "990101196005061234", "psn_name": "张三",
                                        "gend": "1", "brdy": date(1960, 5, 6)}])  # fmt: skip
        conn.execute(insert(enrolments), [{"psn_no": PSN, "insutype": "310", "psn_type": "1201",
                                           "insuplc_admdvs": "990100",
                                           "begndate": date(2020, 1, 1)}])  # fmt: skip
    with engine.begin() as conn:
        yield conn
    engine.dispose()


def file(
    connection: Connection, kind: str = "referral", area: str = "980100",
    begndate: date = MARCH_1, enddate: date | None = MARCH_31, by: str = "person",
) -> RemoteFiling:  # fmt: skip
    return file_remote(connection, psn_no=PSN, mdtrtarea_admdvs=area, filing_type=kind,
                       begndate=begndate, enddate=enddate, filed_by=by, operator="portal",
                       now=NOW, regions=REGIONS)  # fmt: skip


def stored(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(remote_filings)).scalar_one())


def test_a_filing_is_kept_with_the_insuring_region_and_who_filed(connection: Connection) -> None:
    filing = file(connection)
    assert filing.filing_id.startswith("YDBA20260220103000") and len(filing.filing_id) == 30
    assert remote_filings_of(connection, PSN) == [filing]
    assert (filing.insuplc_admdvs, filing.filed_by, filing.filing_type) == (
        "990100", "person", FilingType.REFERRAL)  # fmt: skip


@pytest.mark.parametrize("kind", [t.value for t in FilingType])
def test_every_filing_type_is_filed_and_found_for_a_visit(
    connection: Connection, kind: str
) -> None:
    end = None if FilingType(kind).long_term else MARCH_31
    filing = file(connection, kind, area="980000", enddate=end)  # the whole province
    found = remote_filing_for(connection, psn_no=PSN, care_admdvs="980100", begin=MARCH_1,
                              end=date(2026, 3, 5))  # fmt: skip
    assert found == filing
    assert remote_filing_for(connection, psn_no=PSN, care_admdvs="990200", begin=MARCH_1,
                             end=date(2026, 3, 5)) is None  # fmt: skip


def test_a_filing_made_during_a_stay_counts_for_its_settlement(connection: Connection) -> None:
    # admitted on 1 March without a filing, filed on the 10th, discharged and settled on the 12th
    filing = file(connection, begndate=date(2026, 3, 10))
    found = remote_filing_for(connection, psn_no=PSN, care_admdvs="980100", begin=MARCH_1,
                              end=date(2026, 3, 12))  # fmt: skip
    assert found == filing
    before = remote_filing_for(connection, psn_no=PSN, care_admdvs="980100",
                               begin=date(2026, 2, 1), end=date(2026, 2, 20))  # fmt: skip
    assert before is None


def test_renewal_continues_the_day_after_the_end(connection: Connection) -> None:
    first = file(connection)
    second = renew_remote(connection, filing_id=first.filing_id, psn_no=PSN,
                          enddate=date(2026, 5, 31), filed_by="agency", operator="窗口01",
                          now=NOW, regions=REGIONS)  # fmt: skip
    assert (second.begndate, second.enddate, second.renews) == (
        date(2026, 4, 1), date(2026, 5, 31), first.filing_id)  # fmt: skip
    assert remote_filing_for(connection, psn_no=PSN, care_admdvs="980100",
                             begin=date(2026, 4, 20), end=date(2026, 4, 25)) == second  # fmt: skip
    with pytest.raises(ConflictError, match="already has filing"):  # renewing twice overlaps
        renew_remote(connection, filing_id=first.filing_id, psn_no=PSN, enddate=date(2026, 5, 1),
                     filed_by="agency", operator="窗口01", now=NOW, regions=REGIONS)  # fmt: skip


def test_withdrawal_ends_the_filing_the_day_before(connection: Connection) -> None:
    filing = file(connection, "long_term_residence", enddate=None)
    withdraw_remote(connection, filing_id=filing.filing_id, psn_no=PSN, memo="回参保地居住",
                    now=datetime(2026, 3, 15, 9, 0))  # fmt: skip
    on = remote_filing_for(connection, psn_no=PSN, care_admdvs="980100",
                           begin=date(2026, 3, 14), end=date(2026, 3, 14))  # fmt: skip
    after = remote_filing_for(connection, psn_no=PSN, care_admdvs="980100",
                              begin=date(2026, 3, 15), end=date(2026, 3, 20))  # fmt: skip
    assert on is not None and after is None
    with pytest.raises(ConflictError, match="was withdrawn"):
        withdraw_remote(connection, filing_id=filing.filing_id, psn_no=PSN, memo="again", now=NOW)
    # a new filing may begin the day of the withdrawal
    assert file(connection, begndate=date(2026, 3, 15), enddate=date(2026, 4, 15)).renews is None


def test_overlapping_filings_for_meeting_areas_are_refused(connection: Connection) -> None:
    first = file(connection)
    with pytest.raises(ConflictError) as caught:
        file(connection, "other_temporary", area="980000", begndate=date(2026, 3, 31),
             enddate=date(2026, 4, 10))  # fmt: skip
    assert f"already has filing {first.filing_id}" in caught.value.message
    assert caught.value.message.startswith("begndate: ")
    # another care area on the same days is allowed
    assert file(connection, area="990200").mdtrtarea_admdvs == "990200"
    assert stored(connection) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"enddate": date(2026, 2, 1)}, "enddate"),
        ({"area": "970100"}, "mdtrtarea_admdvs"),  # no region of this deployment
        ({"area": "990100"}, "mdtrtarea_admdvs"),  # the insuring region itself
        ({"kind": "holiday"}, "filing_type"),
        ({"by": "hospital"}, "filed_by"),
        ({"enddate": None}, "enddate"),  # temporary without an end
    ],
)
def test_bad_filings_name_the_field_and_store_nothing(
    connection: Connection, change: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        file(connection, **change)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert stored(connection) == 0


def test_unknown_persons_and_filings_are_not_found(connection: Connection) -> None:
    with pytest.raises(NotFound, match="psn_no: no insured person"):
        file_remote(connection, psn_no="99019999999999", mdtrtarea_admdvs="980100",
                    filing_type="referral", begndate=MARCH_1, enddate=MARCH_31, filed_by="person",
                    operator="portal", now=NOW, regions=REGIONS)  # fmt: skip
    with pytest.raises(NotFound, match="filing_id: no out-of-area filing"):
        withdraw_remote(connection, filing_id="YDBA0", psn_no=PSN, memo="x", now=NOW)
    with pytest.raises(ConflictError, match="no cover on 2019-06-01"):
        file(connection, begndate=date(2019, 6, 1), enddate=date(2019, 6, 30))
    assert stored(connection) == 0
