"""Gateway tables: the message log (idempotency by ``msgid``), used nonces, sign-ins (9001/9002)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from yibao.store.base import metadata

__all__ = ["message_log", "nonces", "sign_ins"]

message_log = Table(
    "message_log",
    metadata,
    Column("fixmedins_code", String(30), primary_key=True),
    Column("msgid", String(30), primary_key=True),
    Column("infno", String(6), nullable=False),
    Column("inf_refmsgid", String(30), nullable=False, unique=True),
    Column("infcode", Integer, nullable=False),
    Column("request", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("responded_at", DateTime, nullable=False),
    Column("reversed_by", String(30)),
    Index("ix_message_log_received_at", "received_at"),
)

nonces = Table(
    "nonces",
    metadata,
    Column("paasid", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", Integer, nullable=False, index=True),
)

sign_ins = Table(
    "sign_ins",
    metadata,
    Column("sign_no", String(30), primary_key=True),
    Column("fixmedins_code", String(30), nullable=False),
    Column("opter_no", String(30), nullable=False),
    Column("mac", String(30), nullable=False, default=""),
    Column("ip", String(45), nullable=False, default=""),
    Column("signed_in_at", DateTime, nullable=False),
    Column("signed_out_at", DateTime),
)
