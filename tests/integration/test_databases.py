"""The database harness itself (docs/adr/0006): both databases work, each test gets an empty one."""

from __future__ import annotations

import subprocess
import time
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support.databases import PG_SH

SEEN_URLS: set[str] = set()
DROPPED_LATER: set[str] = set()


def _table(metadata: sa.MetaData, dialect: str) -> sa.Table:
    amount: sa.types.TypeEngine[object] = (
        sa.Numeric(16, 2) if dialect == "postgresql" else sa.String(32)
    )
    return sa.Table(
        "marker",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("amount", amount, nullable=False),
    )


@pytest.mark.parametrize("run", [1, 2, 3])
def test_each_test_gets_a_fresh_empty_database(database_url: str, run: int) -> None:
    assert database_url not in SEEN_URLS, "a database URL was handed out twice"
    SEEN_URLS.add(database_url)
    engine = sa.create_engine(database_url)
    try:
        assert sa.inspect(engine).get_table_names() == [], f"run {run}: the database is not empty"
        metadata = sa.MetaData()
        table = _table(metadata, engine.dialect.name)
        metadata.create_all(engine)  # the same table name every run: a leftover would show above
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": run, "name": f"第{run}次", "amount": "12.30"}])
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        DROPPED_LATER.add(make_url(database_url).database or "")


def test_integer_text_and_amount_round_trip(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        metadata = sa.MetaData()
        table = _table(metadata, engine.dialect.name)
        metadata.create_all(engine)
        rows = [
            {"id": 1, "name": "阿莫西林胶囊", "amount": "0.01"},
            {
                "id": 2_000_000_000,
                "name": "O'Brien; DROP TABLE marker",
                "amount": "99999999999999.99",
            },
        ]
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        with engine.connect() as conn:
            got = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    finally:
        engine.dispose()
    assert [(r["id"], r["name"]) for r in got] == [(r["id"], r["name"]) for r in rows]
    if engine.dialect.name == "postgresql":
        assert [r["amount"] for r in got] == [Decimal("0.01"), Decimal("99999999999999.99")]
    else:
        assert [r["amount"] for r in got] == ["0.01", "99999999999999.99"]


def test_the_url_names_the_expected_dialect(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    expected = {"sqlite": "sqlite", "postgresql": "postgresql"}[
        request.node.callspec.params["database_url"]
    ]
    assert make_url(database_url).get_backend_name() == expected


def test_databases_of_earlier_tests_were_dropped(
    postgres_admin: psycopg.Connection[tuple[object, ...]],
) -> None:
    names = sorted(DROPPED_LATER)
    left = postgres_admin.execute(
        "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [names]
    ).fetchall()
    assert left == []


def test_the_local_cluster_is_a_loopback_test_cluster(local_postgres: str) -> None:
    url = make_url(local_postgres)
    assert (url.host, url.username, url.database) == ("127.0.0.1", "yibao", "yibao_test")
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    settings = {}
    with psycopg.connect(conninfo) as conn:
        for name in ("listen_addresses", "fsync", "synchronous_commit", "max_connections"):
            row = conn.execute(f"SHOW {name}").fetchone()
            assert row is not None
            settings[name] = row[0]
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "max_connections": "200",
    }


def test_pg_sh_ensure_is_idempotent(local_postgres: str) -> None:
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        result = subprocess.run(
            ["bash", str(PG_SH), "ensure"], capture_output=True, text=True, timeout=120, check=False
        )
        runs.append((result, time.perf_counter() - started))
    for result, _elapsed in runs:
        assert result.returncode == 0, result.stderr
        assert result.stdout == local_postgres + "\n"  # exactly one line: the URL
    assert runs[1][1] < 3.0, f"a second ensure took {runs[1][1]:.2f} s"
    url = subprocess.run(["bash", str(PG_SH), "url"], capture_output=True, text=True, check=True)
    assert url.stdout == local_postgres + "\n"
