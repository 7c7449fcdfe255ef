"""Crash safety: the server is killed (SIGKILL) during a stream of settlements, then restarted.

A fresh database (SQLite and PostgreSQL) is migrated and loaded with the demo region by the real
commands; one employee gets ``VISITS`` outpatient visits, registered and charged in process. Then
``yibao serve`` runs as a subprocess and ``SENDERS`` client threads send the 2207 settlements over
HTTP, each one request after another, recording what was answered. Once a seeded number of them has
been answered, the server is killed with SIGKILL while the next ones are in flight. After a restart:

* every answered settlement is stored in full (settlement, fund rows, message log with the same
  answer, ledger row when the account paid) and nothing unanswered is half-written;
* the account balance and the year's counters are exactly the sum of the stored settlements;
* every msgid is sent again: an answered one gets the original answer, an unanswered one is settled
  now or gets its stored answer; in the end each visit has exactly one settlement in force.

``YIBAO_CRASH_SEED`` replays the seeded choices (prices, account use, when to kill) of a run.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine, create_engine, func, select

from tests.e2e.support import (
    HOSPITAL,
    Server,
    Visit,
    call,
    employee,
    prepare_visits,
    run_yibao,
    serve,
    settle_body,
)
from yibao.bootstrap import bootstrap
from yibao.gateway.asgi import build_gateway
from yibao.gateway.tables import message_log
from yibao.registry.tables import account_ledger, accounts
from yibao.settings import Settings
from yibao.settlement.tables import settlement_funds, settlements, visits, year_counters

D = Decimal
VISITS = 60
SENDERS = 3
KILL_AFTER = (20, 30)  # answered settlements before the kill, chosen by the seed
KILL_JITTER_S = 0.03  # and a further pause, so the kill lands anywhere in a request
HTTP_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass
class Attempt:
    """One 2207 of the stream: what was sent, and what (if anything) came back."""

    visit: Visit
    msgid: str
    body: bytes
    sent_at: float | None = None
    answer: dict[str, Any] | None = None
    failed_at: float | None = None
    failure: str | None = None


@dataclass
class Stream:
    """The client side: ``SENDERS`` threads taking the attempts in order until the server dies."""

    base_url: str
    attempts: list[Attempt]
    answered: int = 0
    done: threading.Condition = field(default_factory=threading.Condition)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._queue = deque(self.attempts)
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(SENDERS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_answered(self, count: int, timeout: float) -> None:
        with self.done:
            self.done.wait_for(lambda: self.answered >= count or not self._alive(), timeout)

    def join(self, timeout: float) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)
        assert not self._alive(), "a client thread is still waiting for the killed server"

    def _alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _next(self) -> Attempt | None:
        with self.done:
            if self.stop.is_set() or not self._queue:
                return None
            return self._queue.popleft()

    def _send(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=HTTP_TIMEOUT) as client:
            while (attempt := self._next()) is not None:
                attempt.sent_at = time.monotonic()
                try:
                    reply = call(client, attempt.body)
                    answer = reply.json()
                except (httpx.HTTPError, ValueError) as exc:
                    attempt.failed_at, attempt.failure = time.monotonic(), repr(exc)
                    return  # the server is gone (or broken): this sender stops
                with self.done:
                    attempt.answer = answer
                    self.answered += 1
                    self.done.notify_all()


@pytest.mark.parametrize("moment", ["anytime", "after_commit"])
def test_acknowledged_settlements_survive_a_kill_and_retries_answer_as_before(
    database_url: str, tmp_path: Path, moment: str
) -> None:
    seed = int(os.environ.get("YIBAO_CRASH_SEED") or secrets.randbelow(10**6))
    print(f"YIBAO_CRASH_SEED={seed}")  # shown with the failure, to replay the seeded choices
    rng = random.Random(seed)
    began = time.monotonic()
    run_yibao(database_url, tmp_path, "db", "upgrade")
    run_yibao(database_url, tmp_path, "demo", "load")
    gateway = build_gateway(bootstrap(Settings(database_url=database_url, var_dir=tmp_path)))
    engine = gateway.engine
    try:
        psn_no, start_balance = employee(engine, minimum="500.00")
        plan = [(f"{rng.randint(40, 220)}.{rng.randint(0, 99):02d}", rng.random() < 0.8)
                for _ in range(VISITS)]  # fmt: skip
        stamp = f"{datetime.now():%Y%m%d%H%M%S}"
        prep_ids = (f"{HOSPITAL}{stamp}{i:04d}" for i in itertools.count())
        visits_ = prepare_visits(gateway, psn_no, plan, prep_ids)
        attempts = [
            Attempt(v, msgid, settle_body(v, msgid))
            for i, v in enumerate(visits_)
            for msgid in [f"{HOSPITAL}{stamp}{5000 + i:04d}"]
        ]
        before = _snapshot(engine, psn_no)
        log = tmp_path / "serve.log"
        watch = create_engine(database_url, isolation_level="AUTOCOMMIT")
        try:
            with serve(database_url, tmp_path, log) as server:
                killed_at, stream = _stream_and_kill(server, attempts, rng, moment, watch)
        finally:
            watch.dispose()
        with serve(database_url, tmp_path, log) as server:
            committed = _check_store(engine, psn_no, attempts, before, start_balance)
            stored = {m: _stored_answer(engine, m) for m, done in committed.items() if done}
            retried = _retry_all(server, attempts, stored)
            after = _check_store(engine, psn_no, attempts, before, start_balance, retried)
        assert all(after.values()), "a retried settlement is not stored"
        _check_one_in_force(engine, visits_)
        summary = _summary(attempts, committed, killed_at, stream, seed, time.monotonic() - began)
        print(f"\n[{engine.dialect.name}, {moment}] {summary}")
    finally:
        engine.dispose()


def _stream_and_kill(
    server: Server, attempts: list[Attempt], rng: random.Random, moment: str, watch: Engine
) -> tuple[float, Stream]:
    stream = Stream(server.base_url, attempts)
    kill_after = rng.randint(*KILL_AFTER)
    jitter = rng.uniform(0, KILL_JITTER_S)
    stream.start()
    try:
        stream.wait_answered(kill_after, timeout=20)
        assert stream.answered >= kill_after, _failures(attempts, server)
        if moment == "anytime":
            time.sleep(jitter)
        else:
            _wait_for_an_unanswered_commit(watch, stream, timeout=10)
    finally:
        killed_at = time.monotonic()
        server.kill()
        stream.join(timeout=10)
    early = [a for a in attempts if a.failed_at is not None and a.failed_at < killed_at]
    assert not early, f"requests failed before the kill: {[a.failure for a in early]}"
    answered = [a.answer for a in attempts if a.answer is not None]
    assert all(a["infcode"] == 0 for a in answered), [a["err_msg"] for a in answered]
    in_flight = [a for a in attempts if a.answer is None and a.sent_at and a.sent_at < killed_at]
    assert in_flight, "the server was killed with no request in flight"
    return killed_at, stream


def _wait_for_an_unanswered_commit(watch: Engine, stream: Stream, timeout: float) -> None:
    """Return as soon as the store holds a settlement of the stream that no client has received."""
    ours = [a.msgid for a in stream.attempts]
    count = (
        select(func.count())
        .select_from(message_log)
        .where(message_log.c.fixmedins_code == HOSPITAL, message_log.c.msgid.in_(ours))
    )
    deadline = time.monotonic() + timeout
    with watch.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(count).scalar_one() > stream.answered:
                return


def _failures(attempts: list[Attempt], server: Server) -> str:
    return f"{[a.failure for a in attempts if a.failure]} {server.output()[-2000:]}"


@dataclass(frozen=True)
class Snapshot:
    """The person's counters and ledger before the stream."""

    counters: dict[str, Decimal]
    last_ledger_id: int


def _snapshot(engine: Engine, psn_no: str) -> Snapshot:
    with engine.connect() as connection:
        last = connection.execute(select(func.max(account_ledger.c.id))).scalar_one()
        return Snapshot(_counters(connection, psn_no), int(last or 0))


def _counters(connection: Connection, psn_no: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in connection.execute(select(year_counters).where(year_counters.c.psn_no == psn_no)):
        totals[row.counter] = totals.get(row.counter, D(0)) + row.value
    return totals


def _stored_answer(engine: Engine, msgid: str) -> dict[str, Any]:
    with engine.connect() as connection:
        raw = connection.execute(
            select(message_log.c.response).where(
                message_log.c.fixmedins_code == HOSPITAL, message_log.c.msgid == msgid
            )
        ).scalar_one()
    answer: dict[str, Any] = json.loads(raw)
    return answer


def _check_store(
    engine: Engine,
    psn_no: str,
    attempts: list[Attempt],
    before: Snapshot,
    start_balance: Decimal,
    answers: dict[str, dict[str, Any]] | None = None,
) -> dict[str, bool]:
    """Each msgid all there or not at all; balance and counters the sum of what is there."""
    committed: dict[str, bool] = {}
    with engine.connect() as connection:
        for attempt in attempts:
            answer = attempt.answer if answers is None else answers[attempt.msgid]
            committed[attempt.msgid] = _check_one(connection, attempt, answer)
        _check_no_orphans(connection, psn_no, attempts)
        _check_totals(connection, psn_no, before, start_balance)
    return committed


def _check_one(connection: Connection, attempt: Attempt, answer: dict[str, Any] | None) -> bool:
    msgid, mdtrt_id = attempt.msgid, attempt.visit.mdtrt_id
    rows = connection.execute(
        select(settlements).where(
            settlements.c.fixmedins_code == HOSPITAL, settlements.c.msgid == msgid
        )
    ).all()
    logged = connection.execute(
        select(message_log).where(
            message_log.c.fixmedins_code == HOSPITAL, message_log.c.msgid == msgid
        )
    ).one_or_none()
    status = connection.execute(
        select(visits.c.status).where(visits.c.mdtrt_id == mdtrt_id)
    ).scalar_one()
    if not rows and logged is None:
        assert answer is None, f"{msgid} was answered but nothing of it is stored"
        others = connection.execute(
            select(func.count()).select_from(settlements).where(settlements.c.mdtrt_id == mdtrt_id)
        ).scalar_one()
        assert others == 0 and status == "open", f"{msgid}: visit {mdtrt_id} half settled"
        return False
    assert len(rows) == 1 and logged is not None, f"{msgid}: settlement {len(rows)}, log {logged}"
    row = rows[0]
    response = json.loads(logged.response)
    assert logged.infno == "2207" and logged.infcode == 0 == response["infcode"]
    if answer is not None:
        assert response == answer, f"{msgid}: the stored answer is not the one sent"
    info, detail = response["output"]["setlinfo"], response["output"]["setldetail"]
    assert (row.setl_id, row.mdtrt_id, status) == (info["setl_id"], mdtrt_id, "settled")
    for name in ("medfee_sumamt", "fund_pay_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay"):
        assert getattr(row, name) == D(info[name]), f"{msgid}: {name}"
    _check_funds_and_ledger(connection, row.setl_id, info, detail)
    return True


def _check_funds_and_ledger(
    connection: Connection, setl_id: str, info: dict[str, str], detail: list[dict[str, str]]
) -> None:
    funds = connection.execute(
        select(settlement_funds.c.fund_pay_type, settlement_funds.c.fund_payamt).where(
            settlement_funds.c.setl_id == setl_id
        )
    ).all()
    assert sorted((f.fund_pay_type, f.fund_payamt) for f in funds) == sorted(
        (d["fund_pay_type"], D(d["fund_payamt"])) for d in detail
    ), f"{setl_id}: fund rows"
    booked = connection.execute(
        select(account_ledger.c.amount, account_ledger.c.balance_after).where(
            account_ledger.c.ref == setl_id
        )
    ).all()
    acct_pay = D(info["acct_pay"])
    expected = [(-acct_pay, D(info["balc"]))] if acct_pay else []
    assert [(b.amount, b.balance_after) for b in booked] == expected, f"{setl_id}: ledger"


def _check_no_orphans(connection: Connection, psn_no: str, attempts: list[Attempt]) -> None:
    orphan_funds = connection.execute(
        select(func.count())
        .select_from(settlement_funds)
        .where(settlement_funds.c.setl_id.not_in(select(settlements.c.setl_id)))
    ).scalar_one()
    assert orphan_funds == 0, "fund rows without their settlement"
    ours = {a.msgid for a in attempts}
    stored = set(
        connection.execute(select(settlements.c.msgid).where(settlements.c.psn_no == psn_no))
        .scalars()
        .all()
    )
    assert stored <= ours, f"settlements of the person not made by the stream: {stored - ours}"
    logged = set(
        connection.execute(
            select(message_log.c.msgid).where(
                message_log.c.fixmedins_code == HOSPITAL, message_log.c.infno == "2207"
            )
        )
        .scalars()
        .all()
    )
    assert logged == stored, f"log without settlement {logged - stored}, or the reverse"
    ledger_refs = set(
        connection.execute(
            select(account_ledger.c.ref).where(account_ledger.c.psn_no == psn_no)
        ).scalars()
    )
    setl_ids = set(connection.execute(select(settlements.c.setl_id)).scalars())
    assert ledger_refs <= setl_ids, f"ledger rows for no settlement: {ledger_refs - setl_ids}"


def _check_totals(
    connection: Connection, psn_no: str, before: Snapshot, start_balance: Decimal
) -> None:
    stored = connection.execute(
        select(settlements.c.acct_pay, settlements.c.hifp_pay, settlements.c.document).where(
            settlements.c.psn_no == psn_no
        )
    ).all()
    paid = sum((row.acct_pay for row in stored), D(0))
    balance = connection.execute(
        select(accounts.c.balance).where(accounts.c.psn_no == psn_no)
    ).scalar_one()
    assert balance == start_balance - paid, f"balance {balance} ≠ {start_balance} − {paid}"
    booked = connection.execute(
        select(func.coalesce(func.sum(account_ledger.c.amount), 0)).where(
            account_ledger.c.psn_no == psn_no, account_ledger.c.id > before.last_ledger_id
        )
    ).scalar_one()
    assert D(booked) == -paid, f"ledger {booked} ≠ −{paid}"
    expected = dict(before.counters)
    for row in stored:
        for counter, change in json.loads(row.document)["delta"].items():
            expected[counter] = expected.get(counter, D(0)) + D(change)
    now = _counters(connection, psn_no)
    assert {k: v for k, v in now.items() if v} == {k: v for k, v in expected.items() if v}
    pooled = sum((row.hifp_pay for row in stored), D(0))
    assert now.get("fund:310100", D(0)) - before.counters.get("fund:310100", D(0)) == pooled


def _retry_all(
    server: Server, attempts: list[Attempt], stored: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Send every msgid again (twice): the original answer, the stored one, or a settlement now."""
    answers: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=server.base_url, timeout=HTTP_TIMEOUT) as client:
        for attempt in attempts:
            reply = call(client, attempt.body)
            assert reply.status_code == 200, reply.text
            answer = reply.json()
            if attempt.answer is not None:
                assert answer == attempt.answer, f"{attempt.msgid}: a different answer on retry"
            elif attempt.msgid in stored:
                assert answer == stored[attempt.msgid], f"{attempt.msgid}: not the stored answer"
            else:
                assert answer["infcode"] == 0, f"{attempt.msgid}: {answer['err_msg']}"
            again = call(client, attempt.body).json()
            assert again == answer, f"{attempt.msgid}: the second retry differs"
            answers[attempt.msgid] = answer
    return answers


def _check_one_in_force(engine: Engine, visits_: list[Visit]) -> None:
    with engine.connect() as connection:
        for visit in visits_:
            in_force = connection.execute(
                select(func.count())
                .select_from(settlements)
                .where(
                    settlements.c.mdtrt_id == visit.mdtrt_id,
                    settlements.c.reversed_by.is_(None),
                    settlements.c.reverses.is_(None),
                )
            ).scalar_one()
            assert in_force == 1, f"visit {visit.mdtrt_id} has {in_force} settlements in force"


def _summary(
    attempts: list[Attempt],
    committed: dict[str, bool],
    killed_at: float,
    stream: Stream,
    seed: int,
    took: float,
) -> str:
    in_flight = [a for a in attempts if a.answer is None and a.sent_at and a.sent_at < killed_at]
    lost = sum(committed[a.msgid] for a in in_flight)
    after_kill = sum(1 for a in attempts if a.sent_at and a.sent_at >= killed_at)
    unsent = sum(1 for a in attempts if a.sent_at is None)
    return (
        f"seed {seed}: {stream.answered} acknowledged, {len(in_flight)} in flight at the kill "
        f"({lost} committed with the answer lost, {len(in_flight) - lost} rolled back), "
        f"{after_kill} refused after the kill, {unsent} never sent; {took:.1f} s"
    )
