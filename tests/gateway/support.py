"""Shared pieces of the gateway tests: the gateway over a demo database, signed requests."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from yibao.demo.load import demo_token
from yibao.gateway.app import PATH, create_app
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.pipeline import Gateway
from yibao.gateway.signature import expected_signature
from yibao.registry.tables import persons
from yibao.settlement.visits import load_reference
from yibao.store.engine import make_engine

HOSPITAL = "H99010000001"
_SERIAL = itertools.count(secrets.randbelow(10**4))


@pytest.fixture(scope="module")
def gateway(demo_database_url: str) -> Iterator[Gateway]:
    """A gateway over the module's demo database."""
    engine = make_engine(demo_database_url)
    with engine.connect() as connection:
        reference = load_reference(connection)
    writes_while_reading: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _watch(connection: Any, _c: Any, statement: str, *_: Any) -> None:
        # the read-only transactions (pipeline.READ_ONLY) must never write
        if connection.get_execution_options().get(
            "yibao_reading"
        ) and not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "ROLLBACK", "WITH")):
            writes_while_reading.append(statement)

    yield Gateway(
        engine=engine,
        nonces=DatabaseNonceStore(engine),
        region="990100",
        clock=datetime.now,
        reference=reference,
    )
    engine.dispose()
    assert writes_while_reading == [], "a read-only transaction wrote"


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> TestClient:
    """The ASGI application in process."""
    return TestClient(create_app(gateway))


def headers(
    code: str = HOSPITAL,
    *,
    token: str | None = None,
    stamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    timestamp = str(int(time.time()) if stamp is None else stamp)
    nonce = nonce or secrets.token_hex(8)
    return {
        "x-tif-paasid": f"paas-{code}",
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": expected_signature(timestamp, token or demo_token(code), nonce),
    }


def envelope(
    infno: str,
    input_: dict[str, Any],
    *,
    msgid: str | None = None,
    code: str = HOSPITAL,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "infno": infno, "msgid": msgid or f"{code}{datetime.now():%Y%m%d%H%M%S}{next(_SERIAL) % 10**4:04d}",
        "mdtrtarea_admvs": "990100", "insuplc_admdvs": "990100", "recer_sys_code": "YBXT",
        "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "收费员",
        "inf_time": f"{datetime.now():%Y-%m-%d %H:%M:%S}", "fixmedins_code": code,
        "fixmedins_name": "示范市第一人民医院", "input": input_, **extra,
    }  # fmt: skip


def post(client: TestClient, body: Any, hdrs: dict[str, str] | None = None) -> httpx.Response:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return client.post(PATH, content=raw, headers=hdrs or headers())


def count(gateway: Gateway, table: Any) -> int:
    with gateway.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def a_person(gateway: Gateway) -> tuple[str, str]:
    with gateway.engine.connect() as connection:
        row = connection.execute(select(persons.c.certno, persons.c.psn_name).limit(1)).one()
    return row.certno, row.psn_name
