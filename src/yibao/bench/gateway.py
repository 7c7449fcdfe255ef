"""``yibao bench gateway``: full outpatient settlements per second against a running gateway.

Each of N client threads holds one keep-alive connection as one institution (hospitals in turn)
and loops over its own persons (person *k* belongs to client *k mod N*, so the per-person lock
never makes two clients wait for each other): 2201 挂号 → 2204 with ``lines`` fee lines →
2206 预结算 → 2207 结算. A flow stops at its first failed call, which is counted with its
``err_msg``. The run lasts ``warmup + seconds``; the warm-up is not counted: latencies are those
of calls started after it, settlements those whose 2207 answered inside the measured window.

Institutions, credentials and persons come from the dict of ``yibao.demo.load.demo_info`` (the
command reads it from the server's database, or from ``yibao demo info --json`` saved to a file).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yibao.bench.client import Answer, HisClient
from yibao.bench.his import OUTPATIENT_ITEMS, Institution, Person, fee_lines, total
from yibao.kernel.errors import InvalidValue

__all__ = ["GatewayBench", "bench_gateway", "hospitals", "percentile"]

FLOW = ("2201", "2204", "2206", "2207")


@dataclass
class _Tally:
    """What one client saw; merged when every client is done (no lock on the hot path)."""

    settlements: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {i: [] for i in FLOW})
    failures: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class GatewayBench:
    """The figures of one run."""

    base_url: str
    clients: int
    lines: int
    seconds: float
    warmup: float
    settlements: int
    latencies: Mapping[str, Sequence[float]]
    failures: Counter[str]

    @property
    def rate(self) -> float:
        return self.settlements / self.seconds

    def report(self) -> list[str]:
        """The printed lines; the last one ends in ``settlements/s``."""
        out = [
            f"gateway: {self.base_url}, {self.clients} clients, 2201 → 2204 ({self.lines} lines) "
            f"→ 2206 → 2207, {self.seconds:g} s measured after {self.warmup:g} s warm-up",
            f"  {'infno':<6}{'calls':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}",
        ]
        for infno in FLOW:
            found = sorted(self.latencies.get(infno, ()))
            p50, p99 = percentile(found, 50) * 1000, percentile(found, 99) * 1000
            top = found[-1] * 1000 if found else 0.0
            out.append(f"  {infno:<6}{len(found):>8}{p50:>9.1f}{p99:>9.1f}{top:>9.1f}")
        failed = sum(self.failures.values())
        for message, count in self.failures.most_common(5):
            out.append(f"  failed ×{count}: {message}")
        out.append(
            f"gateway: {self.settlements} settlements in {self.seconds:g} s, {failed} failed "
            f"calls; {self.rate:.1f} settlements/s"
        )
        return out


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def hospitals(info: Mapping[str, Any]) -> list[Institution]:
    """The institutions that register visits: hospitals and clinics (codes H…), not pharmacies."""
    found = [
        Institution.from_info(i) for i in info["institutions"] if i["fixmedins_code"][:1] == "H"
    ]
    if not found:
        raise InvalidValue("institutions", "the demo info lists no hospital (fixmedins_code H…)")
    return found


def bench_gateway(
    *, base_url: str, info: Mapping[str, Any], clients: int, seconds: float,
    lines: int = 20, warmup: float = 1.0,
) -> GatewayBench:  # fmt: skip
    """Run ``clients`` threads of full outpatient settlements for ``warmup + seconds``."""
    everyone = [Person.from_info(p) for p in info["persons"]]
    # local traffic of the region with the most persons: out-of-area care needs filings first
    region = Counter(p.insuplc_admdvs for p in everyone).most_common(1)[0][0]
    places = [h for h in hospitals(info) if h.admdvs == region] or hospitals(info)
    people = [p for p in everyone if p.insuplc_admdvs == region]
    if len(people) < clients:
        raise InvalidValue(
            "--clients", f"{clients} clients need as many persons; there are {len(people)}"
        )
    started = time.perf_counter()
    window = (started + warmup, started + warmup + seconds)
    tallies = [_Tally() for _ in range(clients)]
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(base_url, places[n % len(places)], people[n::clients]),
            kwargs={"lines": lines, "window": window, "tally": tallies[n]},
            name=f"bench-client-{n}",
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged: dict[str, list[float]] = {infno: [] for infno in FLOW}
    failures: Counter[str] = Counter()
    for tally in tallies:
        for infno, values in tally.latencies.items():
            merged[infno].extend(values)
        failures.update(tally.failures)
    return GatewayBench(base_url, clients, lines, seconds, warmup,
                        sum(t.settlements for t in tallies), merged, failures)  # fmt: skip


def _client_loop(
    base_url: str, institution: Institution, people: Sequence[Person], *, lines: int,
    window: tuple[float, float], tally: _Tally,
) -> None:  # fmt: skip
    items = [OUTPATIENT_ITEMS[i % len(OUTPATIENT_ITEMS)] for i in range(lines)]
    with HisClient(base_url, institution) as client:
        n = 0
        while time.perf_counter() < window[1]:
            person = people[n % len(people)]
            n += 1
            if _one_settlement(client, person, items, window, tally):
                tally.settlements += 1


def _one_settlement(
    client: HisClient, person: Person, items: list[Any], window: tuple[float, float], tally: _Tally
) -> bool:
    """One full settlement; True when its 2207 succeeded inside the measured window."""
    answer = _timed(client.register(person), window, tally)
    if answer is None:
        return False
    mdtrt_id = answer.output["data"]["mdtrt_id"]
    feedetail = fee_lines(mdtrt_id, person.psn_no, items)
    medfee = total(feedetail)
    steps: list[Callable[[], Answer]] = [
        lambda: client.upload("2204", person, feedetail),
        lambda: client.settle("2206", mdtrt_id, person, medfee),
        lambda: client.settle("2207", mdtrt_id, person, medfee),
    ]
    for step in steps:
        if _timed(step(), window, tally) is None:
            return False
    return window[0] <= time.perf_counter() <= window[1]


def _timed(answer: Answer, window: tuple[float, float], tally: _Tally) -> Answer | None:
    """Record the latency of a call started inside the window; None (and counted) if it failed."""
    if window[0] <= time.perf_counter() - answer.latency < window[1]:
        tally.latencies[answer.infno].append(answer.latency)
    if answer.ok:
        return answer
    tally.failures[f"{answer.infno} {answer.err_msg[:100]}"] += 1
    if answer.status == 0:
        time.sleep(0.05)  # the server is unreachable: do not spin
    return None
