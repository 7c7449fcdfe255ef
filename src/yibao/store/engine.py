"""Engines for the embedded default (SQLite in WAL mode) and for PostgreSQL, from one URL.

SQLite: write-ahead logging so readers never wait for the writer, writers of one process queued
on a lock (:func:`write_transaction`), ``synchronous=FULL`` so an
acknowledged settlement is on disk before the answer leaves, ``busy_timeout`` so a second
writer waits instead of failing, foreign keys on, and ``BEGIN IMMEDIATE`` for every transaction
so a settlement takes the write lock before it reads the counters it will change. PostgreSQL:
psycopg 3 with a connection pool; settlements lock the person's row (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["make_engine", "sqlite_url", "write_transaction"]

#: one writers' queue per SQLite engine (PostgreSQL needs none: rows are locked, not the file)
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def sqlite_url(path: Path) -> str:
    """The URL of an SQLite file (its directory is created when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{path}"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and immediate transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        _WRITE_LOCKS[engine] = threading.Lock()
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions start (BEGIN IMMEDIATE below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed settlement survives a power cut, not only a process crash (≈0.2 ms a commit)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction. On SQLite the threads of a process queue on a lock first, so a waiting
    writer wakes the moment the previous one commits instead of sleeping in SQLite's busy retry.
    """
    lock = _WRITE_LOCKS.get(engine)
    with lock if lock is not None else nullcontext(), engine.begin() as connection:
        yield connection
