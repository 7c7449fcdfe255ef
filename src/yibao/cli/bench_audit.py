"""``yibao bench audit-realtime``: 3102 latency for a 50-line encounter with a year of history.

A fresh SQLite database in a temporary directory is migrated and loaded with the demo region; the
gateway is built as ``yibao serve`` builds it (``gateway.asgi.build_gateway``: the realtime
auditor over the configured rule base, by default the shipped national one) and called in
process with signed 3102 requests, so the figure includes parsing, the field checks, the
signature, the catalogue lookups, the audit and the answer, but no HTTP. Each request carries the
current encounter (``lines`` orders) and a year of history (``history`` encounters of
``history_lines`` orders, two weeks apart), drawn with a fixed seed from the codes the rule base's
tables name and from the demo catalogue, so that most families have something to match.
"""

from __future__ import annotations

import json
import random
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from yibao.bench.client import sign
from yibao.bootstrap import Services
from yibao.catalog.service import demo_store
from yibao.demo.load import demo_token, load_demo
from yibao.gateway.asgi import build_gateway
from yibao.store.engine import sqlite_url
from yibao.store.migrate import upgrade

__all__ = ["AuditBench", "bench_audit_realtime"]

_HOSPITAL = "H99010000001"


@dataclass(frozen=True, slots=True)
class AuditBench:
    """Latencies of 3102 calls, in milliseconds."""

    calls: int
    lines: int
    history_lines: int
    median_ms: float
    p99_ms: float
    findings: int
    families_run: int

    def summary(self) -> str:
        return (
            f"3102 with {self.lines} lines and {self.history_lines} history lines, "
            f"{self.calls} calls: median {self.median_ms:.1f} ms, p99 {self.p99_ms:.1f} ms "
            f"({self.findings} findings per call, {self.families_run} families run)"
        )


def _codes(services: Services, rng: random.Random) -> list[str]:
    named: set[str] = set()
    for rule in services.rule_base:
        if rule.table is not None and "code" in rule.table.columns:
            at = rule.table.columns.index("code")
            named.update(row[at] for row in rule.table.rows)
    catalogue = sorted(demo_store().load().catalogs["990100"].at(date.today()))
    in_both = sorted(named.intersection(catalogue))
    # a realistic mix: a third of the codes are named by some rule, the rest only by the catalogue
    return rng.sample(in_both, min(len(in_both), 200)) + rng.sample(catalogue, 400)


def _encounter(mdtrt_id: str, day: date, codes: list[str], rng: random.Random) -> dict[str, Any]:
    orders = []
    for i in range(len(codes)):
        cnt, pric = Decimal(rng.randint(1, 3)), Decimal(rng.randint(100, 5000)) / 100
        orders.append({"rx_id": f"{mdtrt_id}-{i}", "rxno": f"RX{mdtrt_id}", "hilist_code": codes[i],
                       "cnt": str(cnt), "pric": str(pric), "sumamt": str(cnt * pric),
                       "drord_begn_date": day.isoformat()})  # fmt: skip
    return {"mdtrt_id": mdtrt_id, "medins_id": _HOSPITAL, "adm_date": day.isoformat(),
            "med_type": "21", "insutype": "310", "fsi_order_dtos": orders,
            "fsi_diagnose_dtos": [{"dise_codg": "I63.9", "maindise_flag": "1"}]}  # fmt: skip


def _request(lines: int, history: int, history_lines: int, rng: random.Random,
             codes: list[str]) -> dict[str, Any]:  # fmt: skip
    today = date.today()
    current = _encounter("CUR", today, rng.sample(codes, lines), rng)
    past = [
        _encounter(
            f"H{k:02d}", today - timedelta(days=14 * (k + 1)), rng.sample(codes, history_lines), rng
        )
        for k in range(history)
    ]
    data = {"trig_scen": "4", "patient_dtos": [
        {"patn_id": "BENCH", "gend": "2", "brdy": "1956-03-01", "curr_mdtrt_id": "CUR",
         "fsi_encounter_dtos": [current, *past]}]}  # fmt: skip
    return data


def _body(data: dict[str, Any], serial: int) -> bytes:
    """The signed envelope of one call (a new ``msgid`` each, or the gateway would replay)."""
    envelope = {"infno": "3102", "msgid": f"{_HOSPITAL}{datetime.now():%Y%m%d%H%M%S}{serial:04d}",
                "mdtrtarea_admvs": "990100", "insuplc_admdvs": "990100", "recer_sys_code": "YBXT",
                "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "bench",
                "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}", "fixmedins_code": _HOSPITAL,
                "fixmedins_name": "bench", "input": {"data": data}}  # fmt: skip
    return json.dumps(envelope, ensure_ascii=False).encode()


def _headers() -> dict[str, str]:
    stamp, nonce = str(int(time.time())), secrets.token_hex(8)
    return {"x-tif-paasid": f"paas-{_HOSPITAL}", "x-tif-timestamp": stamp, "x-tif-nonce": nonce,
            "x-tif-signature": sign(stamp, demo_token(_HOSPITAL), nonce)}  # fmt: skip


def bench_audit_realtime(
    services: Services, *, calls: int, lines: int, history: int, history_lines: int, seed: int
) -> AuditBench:
    """Run ``calls`` 3102 requests (after 5 unmeasured ones) and measure each."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        bench_services = Services(services.settings.model_copy(
            update={"database_url": sqlite_url(Path(tmp) / "bench.db"), "var_dir": Path(tmp)}))  # fmt: skip
        engine = bench_services.engine
        upgrade(engine)
        with engine.begin() as connection:
            load_demo(connection, catalog=demo_store().load(), persons_count=10)
        gateway = build_gateway(bench_services)
        codes = _codes(bench_services, rng)
        data = _request(lines, history, history_lines, rng, codes)
        timings: list[float] = []
        answer: dict[str, Any] = {}
        for n in range(calls + 5):
            body = _body(data, n % 10**4)
            started = time.perf_counter()
            reply = gateway.handle(body, _headers())
            elapsed = (time.perf_counter() - started) * 1000
            answer = reply.body
            if answer.get("infcode") != 0:
                raise RuntimeError(f"3102 failed: {answer.get('err_msg')}")
            if n >= 5:
                timings.append(elapsed)
        auditor = gateway.reference.auditor if gateway.reference is not None else None
        families = 0 if auditor is None else len(auditor.families(
            o["hilist_code"] for o in data["patient_dtos"][0]["fsi_encounter_dtos"][0]
            ["fsi_order_dtos"]))  # fmt: skip
        engine.dispose()
    timings.sort()
    p99 = timings[max(0, round(len(timings) * 0.99) - 1)]
    return AuditBench(calls, lines, history * history_lines, statistics.median(timings), p99,
                      len(answer["output"]["result"]), families)  # fmt: skip
