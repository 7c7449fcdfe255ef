"""``yibao simulate``: realistic HIS traffic against a running gateway, checked as it goes.

Visits arrive at ``rate`` per minute (exponential gaps, seeded) for ``minutes`` and run on a pool
of threads, each as one hospital's HIS (:mod:`yibao.bench.client`) would run it:

* **outpatient** (most): 2201 → 2203 → 2204 (1–6 lines) → 2206 → 2207; some are refunded
  afterwards (2208, the whole settlement reversed);
* **inpatient**: 2401 → 2301 → [2304 mid-stay settlement] → 2301 more lines, often with a refund
  line (negative ``cnt`` naming its original by ``init_feedetl_sn``) → 2402 → 2303 → 2304, and
  sometimes 2305;
* **lost responses**: the HIS never sees the answer of a 2207/2304, sends 2601 for its ``msgid``,
  then settles again under a new one;
* **repeated msgids**: one call of the visit is sent twice with the same body (new nonce); the
  two answers must be identical, byte for byte once parsed — a difference is a *mismatch*.

Every settlement answer (2206/2207/2208, 2303/2304/2305) is checked against the identities of
settlement.md §6; a violation is recorded with the visit and the figures. Failed calls are
counted by their ``err_msg`` prefix (the code and the field). A visit stops at its first failure.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from yibao.bench import his
from yibao.bench.client import Answer, HisClient, Request
from yibao.bench.gateway import hospitals, percentile
from yibao.bench.his import FeeItem, Institution, Person

__all__ = ["Simulation", "identity_problems", "run_simulation", "simulate"]

SETTLING = frozenset({"2206", "2207", "2303", "2304"})
REVERSING = frozenset({"2208", "2305"})
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
           "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
           "hifob_pay", "hifdm_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt",
           "acct_pay", "acct_mulaid_pay", "psn_cash_pay", "hosp_part_amt")  # fmt: skip
#: personal-account funds: paid from the person's share, not part of ``fund_pay_sumamt``
ACCOUNT_FUNDS = frozenset({"310200", "390500"})


def identity_problems(output: Mapping[str, Any], *, sign: int | None) -> list[str]:
    """The settlement.md §6 identities a settlement answer breaks (none: an empty list).

    ``sign`` +1: no amount may be negative; −1 (a reversal): none may be positive; None: mixed
    (a settlement that includes refund lines settles a difference).
    """
    info, detail = output.get("setlinfo") or {}, output.get("setldetail") or []
    try:
        a = {name: Decimal(str(info[name])) for name in AMOUNTS}
        funds = sum((Decimal(str(row["fund_payamt"])) for row in detail
                     if row.get("fund_pay_type") not in ACCOUNT_FUNDS), Decimal(0))  # fmt: skip
    except (KeyError, ArithmeticError, TypeError) as exc:
        return [f"setlinfo/setldetail unreadable: {exc!r}"]
    problems = []
    parts = a["fulamt_ownpay_amt"] + a["overlmt_selfpay"] + a["preselfpay_amt"] + a["inscp_scp_amt"]
    if a["medfee_sumamt"] != parts:
        problems.append(f"medfee_sumamt {a['medfee_sumamt']} ≠ Σ split {parts}")
    if a["fund_pay_sumamt"] != funds:
        problems.append(f"fund_pay_sumamt {a['fund_pay_sumamt']} ≠ Σ setldetail {funds}")
    rest = a["medfee_sumamt"] - a["fund_pay_sumamt"] - a["hosp_part_amt"]
    if a["psn_part_amt"] != rest:
        problems.append(f"psn_part_amt {a['psn_part_amt']} ≠ medfee − funds − hosp {rest}")
    if a["psn_part_amt"] != a["acct_pay"] + a["psn_cash_pay"]:
        problems.append(f"psn_part_amt {a['psn_part_amt']} ≠ acct_pay + psn_cash_pay")
    if sign is not None:
        wrong = [name for name, value in a.items() if value * sign < 0]
        if wrong:
            kind = "negative" if sign > 0 else "positive"
            problems.append(f"{kind} amounts: {', '.join(wrong)}")
    return problems


@dataclass
class Simulation:
    """What a run saw; updated by every visit thread under one lock."""

    planned: int
    visits: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    settlements_checked: int = 0
    repeats: int = 0
    mismatches: list[str] = field(default_factory=list)
    lost: int = 0
    lost_recovered: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def calls(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def summary(self) -> str:
        """One line a script can read."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.visits.items()))
        return (
            f"simulate: {sum(self.visits.values())} visits ({kinds}) in {self.seconds:.1f} s, "
            f"{self.calls} calls, {sum(self.failed.values())} failed; "
            f"{self.settlements_checked} settlements checked, {len(self.violations)} identity "
            f"violations; {self.repeats} repeated msgids, {len(self.mismatches)} mismatches; "
            f"{self.lost_recovered}/{self.lost} lost responses recovered"
        )

    def tables(self) -> list[Table]:
        calls = Table("infno", "calls", "failed", "p50 ms", "p99 ms", title="calls by infno")
        for infno in sorted(self.latencies):
            found = sorted(self.latencies[infno])
            calls.add_row(infno, str(len(found)), str(self.failed[infno]),
                          f"{percentile(found, 50) * 1000:.1f}", f"{percentile(found, 99) * 1000:.1f}")  # fmt: skip
        failures = Table("err_msg prefix", "count", title="failures")
        for prefix, count in self.failures.most_common(15):
            failures.add_row(prefix, str(count))
        if not self.failures:
            failures.add_row("(none)", "0")
        checks = Table("check", "found", title="checks")
        for name, seen in (("identity violations (settlement.md §6)", self.violations),
                           ("repeated-msgid mismatches", self.mismatches)):  # fmt: skip
            checks.add_row(name, str(len(seen)))
            for text in seen[:5]:
                checks.add_row(f"  {text}", "")
        return [calls, failures, checks]


class _Visit:
    """One visit's calls through one client, recorded in the simulation."""

    def __init__(self, sim: Simulation, client: HisClient, person: Person, repeat: str) -> None:
        self.sim, self.client, self.person, self.repeat = sim, client, person, repeat

    def call(self, infno: str, input_: dict[str, Any], *, sign: int | None = 1) -> Answer:
        """Send one call (twice when it is the visit's repeated one); fail the visit if it fails.

        A settlement's answer is checked with ``sign`` (see :func:`identity_problems`).
        """
        request = self.client.request(infno, input_, self.person)
        answer = self.send(request)
        if infno == self.repeat:
            self.repeat = ""
            again = self.send(request)
            with self.sim.lock:
                self.sim.repeats += 1
                if again.body != answer.body:
                    self.sim.mismatches.append(f"{infno} {request.msgid}")
        if not answer.ok:
            raise _Failed
        if infno in SETTLING or infno in REVERSING:
            problems = identity_problems(answer.output, sign=sign)
            with self.sim.lock:
                self.sim.settlements_checked += 1
                self.sim.violations.extend(f"{infno} {request.msgid}: {p}" for p in problems)
        return answer

    def send(self, request: Request) -> Answer:
        answer = self.client.send(request)
        with self.sim.lock:
            self.sim.latencies.setdefault(request.infno, []).append(answer.latency)
            if not answer.ok:
                self.sim.failed[request.infno] += 1
                self.sim.failures[f"{request.infno} {answer.err_msg.split(': ', 1)[0][:70]}"] += 1
        return answer

    def settle(
        self, infno: str, data: dict[str, Any], *, lost: bool, sign: int | None = 1
    ) -> Answer:
        """A settlement; when ``lost``, a first attempt's answer is lost and reversed by 2601."""
        if not lost:
            return self.call(infno, data, sign=sign)
        self.lose(infno, data)
        done = self.call(infno, data, sign=sign)
        with self.sim.lock:
            self.sim.lost_recovered += 1
        return done

    def lose(self, infno: str, input_: dict[str, Any]) -> None:
        """Send a settlement whose answer never reaches the HIS, then reverse it by 2601."""
        request = self.client.request(infno, input_, self.person)
        self.send(request)  # the answer is dropped unread
        with self.sim.lock:
            self.sim.lost += 1
        self.call("2601", his.reverse_message_input(self.person, request.msgid, infno))


class _Failed(Exception):
    """A call of the visit failed (already counted); the visit stops."""


def _outpatient(v: _Visit, rng: random.Random, lost: bool, refund: bool) -> None:
    person = v.person
    mdtrt_id = v.call("2201", his.register_input(person)).output["data"]["mdtrt_id"]
    v.call("2203", his.record_input(mdtrt_id, person))
    items = [FeeItem(i.code, i.pric, Decimal(rng.randint(1, 3)))
             for i in rng.sample(his.OUTPATIENT_ITEMS, rng.randint(1, 6))]  # fmt: skip
    lines = his.fee_lines(mdtrt_id, person.psn_no, items)
    v.call("2204", {"feedetail": lines})
    data = his.settle_input("2207", mdtrt_id, person, his.total(lines))
    v.call("2206", data)
    done = v.settle("2207", data, lost=lost)
    if refund:
        v.call(
            "2208", his.reverse_input(mdtrt_id, done.output["setlinfo"]["setl_id"], person), sign=-1
        )


def _inpatient(v: _Visit, rng: random.Random, lost: bool, refund: bool) -> None:
    person = v.person
    stay = v.call("2401", his.admit_input(person)).output["result"]["mdtrt_id"]
    first = [
        FeeItem(i.code, i.pric, Decimal(rng.randint(2, 5)))
        for i in rng.sample(his.OUTPATIENT_ITEMS, 4)
    ]
    lines = his.fee_lines(stay, person.psn_no, first, med_type="21")
    results = v.call("2301", {"feedetail": lines}).output["result"]
    unsettled = his.total(lines)
    if rng.random() < 0.5:
        v.call("2304", his.settle_input("2304", stay, person, unsettled, mid_stay=True))
        unsettled, results = Decimal("0.00"), []
    extra, refunds = _more_lines(rng, stay, person, first)
    results = results + v.call("2301", {"feedetail": extra}).output["result"]
    unsettled += his.total(extra)
    v.call("2402", his.discharge_input(stay, person))
    sign = None if refunds else 1
    v.call(
        "2303",
        his.settle_input("2303", stay, person, unsettled, split=his.split_sums(results)),
        sign=sign,
    )
    done = v.settle("2304", his.settle_input("2304", stay, person, unsettled), lost=lost, sign=sign)
    if refund:
        # a reversal mirrors what it reverses: mixed signs when the settlement had refund lines
        v.call("2305", his.reverse_input(stay, done.output["setlinfo"]["setl_id"], person),
               sign=None if refunds else -1)  # fmt: skip


def _more_lines(
    rng: random.Random, stay: str, person: Person, first: list[FeeItem]
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Two more charges, and often a refund of part of the first line (its ``feedetl_sn`` is 1)."""
    more = [FeeItem(i.code, i.pric, Decimal(rng.randint(1, 3)))
            for i in rng.sample(his.OUTPATIENT_ITEMS, 2)]  # fmt: skip
    refunds: dict[int, str] = {}
    if rng.random() < 0.6:
        more.append(
            FeeItem(first[0].code, first[0].pric, -Decimal(rng.randint(1, int(first[0].cnt))))
        )
        refunds[len(more) - 1] = "1"
    lines = his.fee_lines(stay, person.psn_no, more, first_sn=len(first) + 1, med_type="21",
                          refunds=refunds)  # fmt: skip
    return lines, refunds


@dataclass(frozen=True)
class _Plan:
    """One visit, drawn from the seed before the run starts."""

    at: float
    kind: str
    institution: Institution
    person: Person
    lost: bool
    refund: bool
    repeat: str
    seed: int


def _plans(info: Mapping[str, Any], count: int, rate: float, seed: int) -> list[_Plan]:
    rng = random.Random(seed)
    places = hospitals(info)
    people = [Person.from_info(p) for p in info["persons"]]
    # local traffic: each hospital's patients are insured in its region (out-of-area care needs
    # filings first; docs/out-of-area.md)
    local = {
        p.admdvs: [x for x in people if x.insuplc_admdvs == p.admdvs] or people for p in places
    }
    plans, at = [], 0.0
    for _ in range(count):
        kind = "inpatient" if rng.random() < 0.25 else "outpatient"
        repeats = ("2201", "2204", "2207") if kind == "outpatient" else ("2401", "2301", "2304")
        place = rng.choice(places)
        plans.append(_Plan(at, kind, place, rng.choice(local[place.admdvs]), rng.random() < 0.1,
                           rng.random() < 0.1, rng.choice(repeats) if rng.random() < 0.15 else "",
                           rng.randrange(2**32)))  # fmt: skip
        at += rng.expovariate(rate / 60)
    return plans


def simulate(
    *, base_url: str, info: Mapping[str, Any], minutes: float, rate: float, seed: int = 1,
    threads: int = 8, done: Callable[[], None] = lambda: None,
) -> Simulation:  # fmt: skip
    """Play ``minutes × rate`` visits against ``base_url``; ``done`` is called after each visit."""
    plans = _plans(info, max(1, round(minutes * rate)), rate, seed)
    sim = Simulation(len(plans))
    clients: dict[tuple[int, str], HisClient] = {}

    def client_for(institution: Institution) -> HisClient:
        key = (threading.get_ident(), institution.fixmedins_code)
        with sim.lock:
            if key not in clients:
                clients[key] = HisClient(base_url, institution)
            return clients[key]

    def run(plan: _Plan) -> None:
        visit = _Visit(sim, client_for(plan.institution), plan.person, plan.repeat)
        flow = _outpatient if plan.kind == "outpatient" else _inpatient
        try:
            flow(visit, random.Random(plan.seed), plan.lost, plan.refund)
        except _Failed:
            pass
        except Exception as exc:  # a load generator reports a broken answer and goes on
            with sim.lock:
                sim.failures[f"client {type(exc).__name__}: {str(exc)[:60]}"] += 1
        with sim.lock:
            sim.visits[plan.kind] += 1
        done()

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(threads, thread_name_prefix="his") as pool:
            for plan in plans:
                time.sleep(max(0.0, started + plan.at - time.monotonic()))
                pool.submit(run, plan)
    finally:
        for client in clients.values():
            client.close()
    sim.seconds = time.monotonic() - started
    return sim


def run_simulation(
    *, base_url: str, info: Mapping[str, Any], minutes: float, rate: float, seed: int,
    console: Console,
) -> Simulation:  # fmt: skip
    """:func:`simulate` with a rich progress bar on ``console``."""
    columns: Sequence[Any] = (
        TextColumn("visits"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("visits", total=max(1, round(minutes * rate)))
        return simulate(base_url=base_url, info=info, minutes=minutes, rate=rate, seed=seed,
                        done=lambda: progress.advance(task))  # fmt: skip
