"""Policy versions in the store: the file's text is kept, and parsed again when read."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from yibao.policy.formats import parse_policy
from yibao.policy.model import Policy, PolicyBook
from yibao.policy.tables import policy_versions

__all__ = ["load_policy_book", "save_policy_version"]


def save_policy_version(
    connection: Connection, *, policy: Policy, content: str, loaded_at: datetime
) -> None:
    """Store a validated policy version with the exact text it was read from."""
    connection.execute(
        insert(policy_versions),
        [{"region": policy.region, "version": policy.version,
          "effective_from": policy.effective_from, "effective_to": policy.effective_to,
          "source_file": policy.source_file, "content": content,
          "sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(), "loaded_at": loaded_at}],
    )  # fmt: skip


def load_policy_book(connection: Connection) -> PolicyBook:
    """Every stored version, validated again exactly as from its file."""
    rows = connection.execute(select(policy_versions.c.source_file, policy_versions.c.content))
    policies = tuple(
        parse_policy(tomllib.loads(r.content, parse_float=Decimal), source=r.source_file)
        for r in rows
    )
    return PolicyBook(policies)
