"""``yibao bench gateway`` and ``yibao simulate`` against a real ``yibao serve``, and their checks.

The end-to-end test migrates and loads a fresh SQLite database, serves it on a free loopback port
(one worker, its own session, killed with its process group when the test ends and by the kernel
if the test process dies first), runs both commands as subprocesses and reads their output. The
figures themselves are measured by the commands (docs/benchmarks.md), never asserted here.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from yibao.bench.client import MsgIds, sign
from yibao.bench.his import Institution
from yibao.demo.simulate import identity_problems
from yibao.gateway.signature import expected_signature

YIBAO = [sys.executable, "-m", "yibao"]
COMMAND_TIMEOUT_S = 60
START_TIMEOUT_S = 20


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies (Linux ``PR_SET_PDEATHSIG``)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*YIBAO, *args], env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, check=False)  # fmt: skip
    assert done.returncode == 0, f"yibao {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@contextmanager
def _served(env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*YIBAO, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, f"yibao serve exited: {log.read_text(errors='replace')}"
            with suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"no /healthz in {START_TIMEOUT_S} s"
            time.sleep(0.1)
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


@pytest.mark.slow
def test_bench_and_simulate_run_against_a_served_gateway(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "YIBAO_DATABASE_URL": f"sqlite+pysqlite:///{tmp_path / 'bench.db'}",
           "YIBAO_VAR_DIR": str(tmp_path / "var"), "YIBAO_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    _run(env, "db", "upgrade")
    _run(env, "demo", "load", "--if-empty")
    with _served(env, port, tmp_path / "serve.log"):
        bench = _run(env, "bench", "gateway", "--clients", "2", "--seconds", "3").strip()
        info = (
            tmp_path / "info.json"
        )  # the simulator reads it from a file, the bench from the database
        info.write_text(_run(env, "demo", "info", "--json"), encoding="utf-8")
        simulated = _run(env, "simulate", "--minutes", "0.1", "--rate", "120", "--seed", "7",
                         "--info", str(info))  # fmt: skip
    last = bench.splitlines()[-1]
    assert last.endswith("settlements/s"), bench
    found = re.search(r"(\d+) settlements in .* (\d+) failed calls", last)
    assert found is not None and int(found[1]) >= 1 and found[2] == "0", bench
    assert all(
        re.search(rf"^  {infno}\s+\d+", bench, re.M) for infno in ("2201", "2204", "2206", "2207")
    )
    summary = simulated.strip().splitlines()[-1]
    assert summary.startswith("simulate: 12 visits"), simulated
    assert " 0 identity violations" in summary and " 0 mismatches" in summary, simulated
    checked = re.search(r"(\d+) settlements checked", summary)
    assert checked is not None and int(checked[1]) >= 1, simulated


def test_the_client_signs_as_the_gateway_verifies() -> None:
    assert sign("1709256600", "paas-token-secret", "n0nce-8f3a") == expected_signature(
        "1709256600", "paas-token-secret", "n0nce-8f3a"
    )


def test_msgids_are_code_time_and_a_process_counter() -> None:
    ids = MsgIds(clock=lambda: datetime(2026, 3, 1, 9, 30, 5))
    made = [ids.next("H99010000001") for _ in range(3)]
    assert made == [f"H9901000000120260301093005000{n}" for n in range(3)]
    assert all(len(m) == 30 for m in made)
    assert Institution("H1", "x", "p", "t", "990100").fixmedins_code == "H1"


def _answer(**changes: str) -> dict[str, Any]:
    info = {"medfee_sumamt": "100.00", "fulamt_ownpay_amt": "10.00", "overlmt_selfpay": "0.00",
            "preselfpay_amt": "5.00", "inscp_scp_amt": "85.00", "act_pay_dedc": "0.00",
            "hifp_pay": "60.00", "cvlserv_pay": "0.00", "hifes_pay": "0.00", "hifmi_pay": "0.00",
            "hifob_pay": "0.00", "hifdm_pay": "0.00", "maf_pay": "0.00", "oth_pay": "0.00",
            "fund_pay_sumamt": "60.00", "psn_part_amt": "40.00", "acct_pay": "30.00",
            "acct_mulaid_pay": "0.00", "psn_cash_pay": "10.00", "hosp_part_amt": "0.00", **changes}  # fmt: skip
    detail = [{"fund_pay_type": "310100", "fund_payamt": "60.00"},
              {"fund_pay_type": "310200", "fund_payamt": "30.00"}]  # fmt: skip
    return {"setlinfo": info, "setldetail": detail}


def test_identity_checks_find_each_broken_identity() -> None:
    assert identity_problems(_answer(), sign=1) == []
    assert "medfee_sumamt" in identity_problems(_answer(inscp_scp_amt="84.99"), sign=1)[0]
    assert "fund_pay_sumamt" in identity_problems(_answer(fund_pay_sumamt="61.00", psn_part_amt="39.00",
                                                          psn_cash_pay="9.00"), sign=1)[0]  # fmt: skip
    assert "acct_pay + psn_cash_pay" in identity_problems(_answer(psn_cash_pay="9.99"), sign=1)[0]
    assert identity_problems(_answer(oth_pay="-1.00"), sign=1) == ["negative amounts: oth_pay"]
    mirrored = {k: f"-{v}" if v != "0.00" else v for k, v in _answer()["setlinfo"].items()}
    reversal = {
        "setlinfo": mirrored,
        "setldetail": [{"fund_pay_type": "310100", "fund_payamt": "-60.00"}],
    }
    assert identity_problems(reversal, sign=-1) == []
    assert "unreadable" in identity_problems({"setlinfo": {}}, sign=None)[0]
