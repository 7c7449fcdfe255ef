"""Databases for the tests (docs/adr/0006): the local PostgreSQL cluster and a fresh database per test.

`tools/pg.sh ensure` installs PostgreSQL when it is missing and starts a dedicated test cluster on
127.0.0.1. A test session takes a *lease* on that cluster (a shared `flock` on
`var/pgtest/sessions.lock`); when it ends, the last session still using a cluster that a test
session started (`var/pgtest/autostop`) stops it, so concurrent sessions never pull the cluster
from under each other and a cluster started by hand (`tools/pg.sh ensure`) is left running.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
PG_SH = ROOT / "tools" / "pg.sh"
STATE = ROOT / "var" / "pgtest"
ENV_URL = "YIBAO_TEST_POSTGRES_URL"
ENSURE_TIMEOUT_S = 900  # a cold `apt-get install postgresql` on a slow mirror


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be installed, started or reached: the tests that need it fail."""


def run_pg_sh(command: str, *, autostop: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if autostop:
        env["YIBAO_PG_AUTOSTOP"] = "1"
    try:
        return subprocess.run(
            ["bash", str(PG_SH), command],
            capture_output=True,
            text=True,
            env=env,
            timeout=ENSURE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PostgresUnavailable(f"tools/pg.sh {command} could not run: {exc}") from exc


class LocalCluster:
    """A test session's lease on the cluster of `tools/pg.sh`."""

    def __init__(self) -> None:
        self._lock: IO[str] | None = None

    def acquire(self) -> str:
        """Start the cluster if needed and return its URL; raise `PostgresUnavailable` if it cannot."""
        STATE.mkdir(parents=True, exist_ok=True)
        self._lock = (STATE / "sessions.lock").open("a")
        fcntl.flock(self._lock, fcntl.LOCK_SH)  # waits while another session is stopping it
        result = run_pg_sh("ensure", autostop=True)
        lines = result.stdout.split()
        if result.returncode != 0 or len(lines) != 1:
            self._close()
            raise PostgresUnavailable(
                f"tools/pg.sh ensure failed (exit {result.returncode}); PostgreSQL tests cannot run.\n"
                f"stdout: {result.stdout.strip()}\nstderr: {result.stderr.strip()}"
            )
        return lines[0]

    def release(self) -> bool:
        """End the lease; stop the cluster if a test session started it and nobody else uses it."""
        if self._lock is None:
            return False
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._close()  # another session still uses it; the last one stops it
            return False
        try:
            if not (STATE / "autostop").exists():
                return False
            result = run_pg_sh("stop")
            if result.returncode != 0:
                raise PostgresUnavailable(f"tools/pg.sh stop failed: {result.stderr.strip()}")
            return True
        finally:
            self._close()

    def _close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the flock
            self._lock = None


def admin_conninfo(url: str) -> str:
    """The SQLAlchemy URL of the test database as a libpq URL for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connect_admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(admin_conninfo(url), autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise PostgresUnavailable(f"cannot connect to {make_url(url)!r}: {exc}") from exc


@contextmanager
def fresh_postgres_database(
    admin: psycopg.Connection[tuple[object, ...]], base_url: str
) -> Iterator[str]:
    """A new, empty database `t_<random>` for one test, dropped (connections and all) afterwards."""
    name = f"t_{secrets.token_hex(8)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)


def _drop(admin: psycopg.Connection[tuple[object, ...]], name: str, attempts: int = 20) -> None:
    """Drop a test database; a background worker of the server (not ours to end) may hold it for
    a moment, so a refusal is tried again a little later."""
    for attempt in range(attempts):
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)


def sqlite_url(directory: Path) -> str:
    return f"sqlite+pysqlite:///{directory / 'test.sqlite3'}"


@contextmanager
def migrated_engine(request: Any, tmp_path_factory: Any, name: str) -> Iterator[Engine]:
    """An engine over a new database migrated to head, on the fixture's ``request.param``
    (``sqlite`` or ``postgresql``), disposed (and the PostgreSQL database dropped) afterwards."""
    if request.param == "sqlite":
        place: AbstractContextManager[str] = nullcontext(
            sqlite_url(Path(tmp_path_factory.mktemp(name)))
        )
    else:
        admin = request.getfixturevalue("postgres_admin")
        place = fresh_postgres_database(admin, request.getfixturevalue("postgres_url"))
    with place as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
