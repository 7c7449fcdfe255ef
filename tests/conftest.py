"""Test-wide settings: a float mixed into Decimal arithmetic raises instead of rounding silently."""

# Database fixtures (docs/adr/0006): `database_url` gives each test a fresh, empty database, once on
# SQLite and once on PostgreSQL; `postgres_url` starts the local test cluster once per session, or
# uses YIBAO_TEST_POSTGRES_URL when it is set. A test that needs PostgreSQL fails, never skips.

from __future__ import annotations

import decimal
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.databases import (
    ENV_URL,
    LocalCluster,
    PostgresUnavailable,
    connect_admin,
    fresh_postgres_database,
    sqlite_url,
)


def pytest_configure(config: pytest.Config) -> None:
    decimal.getcontext().traps[decimal.FloatOperation] = True
    decimal.DefaultContext.traps[decimal.FloatOperation] = True


@pytest.fixture(autouse=True)
def _float_trap() -> None:
    decimal.getcontext().traps[decimal.FloatOperation] = True


@pytest.fixture(scope="session")
def local_postgres() -> Iterator[str]:
    """The URL of the cluster of `tools/pg.sh`, started if needed and stopped if this session started it."""
    cluster = LocalCluster()
    try:
        url = cluster.acquire()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield url
    cluster.release()


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL database the tests create their databases from: never skipped, fails instead."""
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        return url
    local: str = request.getfixturevalue("local_postgres")
    return local


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """One autocommit connection per session that creates and drops the per-test databases."""
    try:
        admin = connect_admin(postgres_url)
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    with admin:
        yield admin


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for this test, as a SQLAlchemy URL string."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    admin = request.getfixturevalue("postgres_admin")
    base: str = request.getfixturevalue("postgres_url")
    with fresh_postgres_database(admin, base) as url:
        yield url


def _ensure(tool: str) -> str:
    """What `tools/<tool> ensure` prints (it installs with apt what is missing); fails the test when
    it cannot run, fails or prints nothing: tests that need the tool fail, never skip."""
    script = Path(__file__).resolve().parents[1] / "tools" / tool
    try:
        done = subprocess.run(["bash", str(script), "ensure"], capture_output=True, text=True,
                              timeout=900, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"tools/{tool} ensure could not run: {exc}", pytrace=False)
    printed = done.stdout.strip()
    if done.returncode != 0 or not printed:
        pytest.fail(f"tools/{tool} ensure failed (exit {done.returncode}): {done.stderr.strip()}",
                    pytrace=False)  # fmt: skip
    return printed


@pytest.fixture(scope="session")
def java_home() -> str:
    """JAVA_HOME of a Java >= 17 for the Spark engine: `tools/java.sh ensure` installs one with apt if
    missing (docs/adr/0012). A test that needs Spark fails, never skips, when it cannot be had."""
    home = _ensure("java.sh")
    os.environ["JAVA_HOME"] = home
    return home


@pytest.fixture(scope="session")
def cjk_fonts() -> tuple[str, ...]:
    """The Noto CJK families printed documents use: `tools/fonts.sh ensure` installs them (and Pango)
    with apt if missing (docs/adr/0019). A document test fails, never skips, when they cannot be had."""
    return tuple(_ensure("fonts.sh").splitlines())
