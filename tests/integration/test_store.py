"""The store on SQLite and PostgreSQL: migrations reach the model, decimals stay exact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from yibao.kernel.errors import InvalidValue
from yibao.store.engine import make_engine
from yibao.store.migrate import current_revision, head_revision, upgrade
from yibao.store.schema import metadata
from yibao.store.types import Amount, Price


def test_migrations_build_exactly_the_model(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    upgrade(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_scaled_decimals_round_trip_and_sum_exactly(database_url: str) -> None:
    engine = make_engine(database_url)
    scratch = MetaData()
    table = Table(
        "money_check",
        scratch,
        Column("id", Integer, primary_key=True),
        Column("amount", Amount()),
        Column("price", Price()),
    )
    scratch.create_all(engine)
    values = [Decimal("0.10"), Decimal("0.20"), Decimal("12345678901234.56"), Decimal("-0.01")]
    with engine.begin() as connection:
        connection.execute(
            insert(table), [{"amount": v, "price": Decimal("3.333333")} for v in values]
        )
    with engine.connect() as connection:
        got = [
            row.amount for row in connection.execute(select(table.c.amount).order_by(table.c.id))
        ]
        total = connection.execute(select(func.sum(table.c.amount))).scalar_one()
        price = connection.execute(select(table.c.price).limit(1)).scalar_one()
    assert got == values and all(str(v) == str(g) for v, g in zip(values, got, strict=True))
    assert total == sum(values)  # summed in fen by the database, converted back by the column type
    assert price == Decimal("3.333333")
    engine.dispose()


def test_a_value_finer_than_its_column_is_refused_not_rounded(database_url: str) -> None:
    engine = make_engine(database_url)
    scratch = MetaData()
    table = Table(
        "money_refuse", scratch, Column("id", Integer, primary_key=True), Column("amount", Amount())
    )
    scratch.create_all(engine)
    with pytest.raises(Exception) as caught, engine.begin() as connection:
        connection.execute(insert(table), [{"amount": Decimal("0.005")}])
    assert isinstance(
        caught.value.__cause__ or caught.value, InvalidValue
    ) or "decimal places" in str(caught.value)
    engine.dispose()
