"""Special identities on SQLite and PostgreSQL: periods that never overlap, levels, ending one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.identities import end_identity, grant_identity, identities_of
from yibao.registry.model import Identity, PersonRecord
from yibao.registry.repository import save_people
from yibao.registry.service import find_person
from yibao.store.engine import make_engine, write_transaction
from yibao.store.migrate import upgrade


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    with write_transaction(engine) as connection:
        save_people(connection, people=[
            PersonRecord("P1", "01", "110101199001010011", "王一", "1", date(1990, 1, 1)),
        ], enrolled=[], identities=[], balances=[])  # fmt: skip
    yield engine
    engine.dispose()


def test_periods_of_one_identity_may_touch_but_not_overlap(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        grant_identity(connection, psn_no="P1", psn_idet_type="01", begntime=datetime(2026, 1, 1),
                       endtime=datetime(2026, 6, 30, 23, 59, 59), ref="民政〔2026〕1号")  # fmt: skip
    with pytest.raises(ConflictError) as clash, write_transaction(engine) as connection:
        grant_identity(connection, psn_no="P1", psn_idet_type="01",
                       begntime=datetime(2026, 6, 30, 23, 59, 59))  # fmt: skip
    assert str(clash.value) == (
        "[YB5002] begntime: P1 is already 低保对象 from 2026-01-01 00:00:00 to 2026-06-30 23:59:59"
    )
    with write_transaction(engine) as connection:
        grant_identity(connection, psn_no="P1", psn_idet_type="01", begntime=datetime(2026, 7, 1))
        grant_identity(connection, psn_no="P1", psn_idet_type="06", psn_type_lv="2",
                       begntime=datetime(2026, 3, 1))  # another type may overlap  # fmt: skip
        held = identities_of(connection, psn_no="P1")
    assert held == (
        Identity("P1", "01", datetime(2026, 1, 1), datetime(2026, 6, 30, 23, 59, 59)),
        Identity("P1", "01", datetime(2026, 7, 1), None),
        Identity("P1", "06", datetime(2026, 3, 1), None, "2"),
    )


def test_settlement_sees_the_identities_of_the_visit_day(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        grant_identity(connection, psn_no="P1", psn_idet_type="02", begntime=datetime(2026, 2, 1))
        end_identity(connection, psn_no="P1", psn_idet_type="02",
                     endtime=datetime(2026, 8, 31, 23, 59, 59))  # fmt: skip

        def on(day: date) -> list[str]:
            return [
                i.psn_idet_type for i in find_person(connection, psn_no="P1", day=day).identities
            ]

        assert (on(date(2026, 1, 31)), on(date(2026, 2, 1))) == ([], ["02"])
        assert (on(date(2026, 8, 31)), on(date(2026, 9, 1))) == (["02"], [])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"psn_idet_type": "99"}, InvalidValue, "psn_idet_type: '99' is not a code (01 低保对象"),
        ({"psn_idet_type": "01", "psn_type_lv": "1"}, InvalidValue,
         "psn_type_lv: '1': 低保对象 takes none"),
        ({"psn_idet_type": "06", "psn_type_lv": "3"}, InvalidValue,
         "psn_type_lv: '3': 重度残疾人 takes one of 1, 2"),
        ({"psn_idet_type": "01", "endtime": datetime(2025, 12, 31)}, InvalidValue,
         "endtime: 2025-12-31 00:00:00 is before begntime 2026-01-01 00:00:00"),
        ({"psn_idet_type": "01", "psn_no": "P9"}, NotFound, "psn_no: no insured person P9"),
    ],
)  # fmt: skip
def test_bad_identities_are_refused_naming_the_field(
    engine: Engine, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {"psn_no": "P1", "begntime": datetime(2026, 1, 1), **kwargs}
    with pytest.raises(error) as refused, write_transaction(engine) as connection:
        grant_identity(connection, **arguments)  # type: ignore[arg-type]
    assert str(refused.value).partition("] ")[2].startswith(message)
    with write_transaction(engine) as connection:
        assert identities_of(connection, psn_no="P1") == ()


def test_ending_needs_an_open_period_and_a_later_end(engine: Engine) -> None:
    with pytest.raises(NotFound) as none, write_transaction(engine) as connection:
        end_identity(connection, psn_no="P1", psn_idet_type="03", endtime=datetime(2026, 5, 1))
    assert str(none.value) == "[YB5001] psn_idet_type: P1 has no open period as 返贫致贫监测对象"
    with write_transaction(engine) as connection:
        grant_identity(connection, psn_no="P1", psn_idet_type="03", begntime=datetime(2026, 5, 2))
    with pytest.raises(InvalidValue) as early, write_transaction(engine) as connection:
        end_identity(connection, psn_no="P1", psn_idet_type="03", endtime=datetime(2026, 5, 1))
    assert str(early.value).startswith(
        "[YB1001] endtime: 2026-05-01 00:00:00 is before the period's"
    )
