"""Gateway fixtures: one migrated database with the demo region per module and database kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.support import client, gateway  # noqa: F401 - fixtures for every gateway test
from tests.support.databases import fresh_postgres_database, sqlite_url
from yibao.catalog.service import demo_store
from yibao.demo.load import load_demo
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated to head and loaded with the demo region (1,000 persons)."""
    if request.param == "sqlite":
        url = sqlite_url(Path(tmp_path_factory.mktemp("gateway")))
        _prepare(url)
        yield url
        return
    admin = request.getfixturevalue("postgres_admin")
    base: str = request.getfixturevalue("postgres_url")
    with fresh_postgres_database(admin, base) as url:
        _prepare(url)
        yield url


def _prepare(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=1000)
    engine.dispose()
