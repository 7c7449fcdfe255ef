"""Engines for the embedded default (SQLite in WAL mode) and for PostgreSQL, from one URL.

SQLite: write-ahead logging so readers never wait for the writer, writers queued on a lock
(:func:`write_transaction`: a thread lock, then an ``flock`` on ``<file>.writer-lock`` shared by
every process of the database), ``synchronous=FULL`` so an
acknowledged settlement is on disk before the answer leaves, ``busy_timeout`` so a second
writer waits instead of failing, foreign keys on, and ``BEGIN IMMEDIATE`` for every transaction
so a settlement takes the write lock before it reads the counters it will change (a
:func:`read_transaction` begins deferred instead: a snapshot that takes no lock). PostgreSQL:
psycopg 3 with a connection pool; settlements lock the person's row (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["make_engine", "read_transaction", "sqlite_url", "write_transaction"]

_READING = "yibao_reading"


class _WriterQueue:
    """Writers of one SQLite database wait here, not in SQLite's sleeping busy retry.

    Threads of a process queue on a thread lock; processes queue on an exclusive ``flock`` of a
    file beside the database (released by the kernel if the process dies). A waiter wakes the
    moment the previous writer commits, so the wait is as short as the writes before it.
    """

    def __init__(self, database: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = f"{database}.writer-lock" if database and database != ":memory:" else None
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._path is None:
                yield
                return
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


#: one writers' queue per SQLite engine (PostgreSQL needs none: rows are locked, not the file)
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, _WriterQueue] = weakref.WeakKeyDictionary()


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
        _WRITE_LOCKS[engine] = _WriterQueue(parsed.database)
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
    if connection.get_execution_options().get(_READING):
        connection.exec_driver_sql("BEGIN")  # deferred: a snapshot, no write lock
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads: on SQLite a snapshot that takes no write lock and waits for
    no writer. Whatever it might write is rolled back at the end; writes belong in
    :func:`write_transaction`.
    """
    with engine.connect() as connection:
        reading = connection.execution_options(**{_READING: True})
        with reading.begin() as transaction:
            yield reading
            transaction.rollback()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction. On SQLite the writers of every process queue first (:class:`_WriterQueue`)."""
    queue = _WRITE_LOCKS.get(engine)
    with queue.held() if queue is not None else nullcontext(), engine.begin() as connection:
        yield connection
