"""Shared pieces of the end-to-end tests: ``yibao`` as subprocesses, a served gateway, visits.

Every subprocess and every HTTP call has a timeout; a served gateway is always killed and reaped.
``yibao serve`` runs uvicorn with one worker, in the process it was started as, in a session of its
own: the pid we hold is the server, and its process group is empty once it has been reaped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select

from tests.gateway.support import HOSPITAL, envelope, headers
from yibao.gateway.app import PATH
from yibao.gateway.pipeline import Gateway
from yibao.registry.tables import accounts, enrolments

__all__ = [
    "HOSPITAL",
    "PATH",
    "Server",
    "Visit",
    "call",
    "employee",
    "prepare_visits",
    "run_yibao",
    "serve",
    "settle_body",
]

D = Decimal
YIBAO = [sys.executable, "-m", "yibao"]
COMMAND_TIMEOUT_S = 120
START_TIMEOUT_S = 30
CLASS_A_DRUG = "XG01AFK079A008010100225"  # 甲类, no ceiling
CLASS_C_DRUG = "XG04BET001A001010100299"  # 丙类


def yibao_env(database_url: str, var_dir: Path) -> dict[str, str]:
    return {**os.environ, "YIBAO_DATABASE_URL": database_url, "YIBAO_VAR_DIR": str(var_dir)}


def run_yibao(database_url: str, var_dir: Path, *args: str) -> str:
    """Run one ``yibao`` command to completion (or fail the test with its output)."""
    done = subprocess.run(
        [*YIBAO, *args],
        env=yibao_env(database_url, var_dir),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"yibao {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """One ``yibao serve`` process on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    killed: bool = field(default=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"yibao serve exited {self.process.returncode}: {self.output()}"
                )
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"yibao serve did not answer /healthz in {timeout} s: {self.output()}")

    def kill(self) -> None:
        """SIGKILL the server, reap it, and check that nothing of its process group survives."""
        os.kill(self.pid, signal.SIGKILL)
        self.killed = True
        returncode = self.process.wait(timeout=10)
        assert returncode == -signal.SIGKILL, f"yibao serve ended with {returncode}"
        try:
            os.killpg(self.pid, 0)  # the session's group: the server and any child it started
        except ProcessLookupError:
            return
        raise AssertionError(f"a process of the killed server's group {self.pid} survived")


@contextmanager
def serve(database_url: str, var_dir: Path, log: Path) -> Iterator[Server]:
    """``yibao serve`` on a free port, answering ``/healthz``; killed and reaped on the way out."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*YIBAO, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=yibao_env(database_url, var_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log)
    try:
        server.wait_healthy()
        yield server
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def call(client: httpx.Client, body: bytes) -> httpx.Response:
    """POST one request envelope, freshly signed."""
    return client.post(
        PATH,
        content=body,
        headers={**headers(HOSPITAL), "content-type": "application/json; charset=utf-8"},
    )


def employee(engine: Engine, *, minimum: str) -> tuple[str, Decimal]:
    """An employee (310, in work, insured in 990100) with at least ``minimum`` in the account."""
    with engine.connect() as connection:
        row = connection.execute(
            select(accounts.c.psn_no, accounts.c.balance)
            .join(enrolments, enrolments.c.psn_no == accounts.c.psn_no)
            .where(
                enrolments.c.psn_type == "1101",
                enrolments.c.insuplc_admdvs == "990100",
                accounts.c.balance >= D(minimum),
            )
            .order_by(accounts.c.psn_no)
        ).first()
    assert row is not None, f"no employee with {minimum} in the account"
    return row.psn_no, row.balance


@dataclass(frozen=True)
class Visit:
    """An outpatient visit registered with its fee lines uploaded, ready to settle."""

    mdtrt_id: str
    psn_no: str
    medfee: str
    acct_used: bool


def _handled(gateway: Gateway, infno: str, input_: dict[str, Any], msgid: str) -> dict[str, Any]:
    body = json.dumps(envelope(infno, input_, msgid=msgid), ensure_ascii=False).encode()
    reply = gateway.handle(body, headers(HOSPITAL))
    assert reply.status == 200 and reply.body["infcode"] == 0, f"{infno}: {reply.body}"
    output: dict[str, Any] = reply.body["output"]
    return output


def prepare_visits(
    gateway: Gateway, psn_no: str, prices: list[tuple[str, bool]], msgids: Iterator[str]
) -> list[Visit]:
    """Register, describe and charge one outpatient visit per (price, use-the-account) pair."""
    now = f"{datetime.now():%Y-%m-%d %H:%M:%S}"
    visits = []
    for pric, acct_used in prices:
        mdtrt_id = _handled(gateway, "2201", {"data": {
            "psn_no": psn_no, "insutype": "310", "begntime": now, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x", "ipt_otp_no": "OP1", "atddr_no": "DR1", "dr_name": "医生",
            "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}, next(msgids))["data"]["mdtrt_id"]  # fmt: skip
        _handled(gateway, "2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11",
                                                 "begntime": now},
                                   "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900",
                                                 "diag_name": "急性上呼吸道感染", "diag_dept": "内科",
                                                 "dise_dor_no": "DR1", "dise_dor_name": "医生",
                                                 "diag_time": now, "vali_flag": "1"}]}, next(msgids))  # fmt: skip
        lines = [_line("1", mdtrt_id, psn_no, CLASS_A_DRUG, pric, "2", now),
                 _line("2", mdtrt_id, psn_no, CLASS_C_DRUG, "9.60", "1", now)]  # fmt: skip
        _handled(gateway, "2204", {"feedetail": lines}, next(msgids))
        medfee = D(pric) * 2 + D("9.60")
        visits.append(Visit(mdtrt_id, psn_no, f"{medfee:.2f}", acct_used))
    return visits


def _line(
    sn: str, mdtrt_id: str, psn_no: str, code: str, pric: str, cnt: str, now: str
) -> dict[str, Any]:
    amount = f"{D(pric) * D(cnt):.2f}"
    return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1", "med_list_codg": code,
            "medins_list_codg": f"HIS-{sn}", "det_item_fee_sumamt": amount, "cnt": cnt, "pric": pric,
            "fee_ocur_time": now, "bilg_dept_codg": "D01", "bilg_dept_name": "内科", "bilg_dr_codg": "DR1",
            "bilg_dr_name": "医生", "hosp_appr_flag": "1", "rx_circ_flag": "0", "med_type": "11"}  # fmt: skip


def settle_body(visit: Visit, msgid: str) -> bytes:
    """The 2207 request envelope settling ``visit`` under ``msgid``."""
    data = {"psn_no": visit.psn_no, "mdtrt_id": visit.mdtrt_id, "insutype": "310", "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x", "med_type": "11", "psn_setlway": "01", "chrg_bchno": "B1",
            "acct_used_flag": "1" if visit.acct_used else "0", "mid_setl_flag": "0",
            "medfee_sumamt": visit.medfee}  # fmt: skip
    return json.dumps(envelope("2207", {"data": data}, msgid=msgid), ensure_ascii=False).encode()
