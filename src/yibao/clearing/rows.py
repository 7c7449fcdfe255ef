"""Small helpers the clearing services share for their rows."""

from __future__ import annotations

from typing import Any

__all__ = ["inserted_id"]


def inserted_id(result: Any) -> int:
    """The integer key an ``INSERT`` of one row drew."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every clearing table has an integer key
        raise RuntimeError("the insert drew no key")
    return int(key[0])
