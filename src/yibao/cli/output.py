"""How commands print: ``--json`` for scripts, a one-line rich summary for people."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from yibao.kernel.errors import InvalidValue

__all__ = ["Json", "console", "emit", "write_out"]

console = Console(highlight=False, soft_wrap=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a summary.")]


def emit(as_json: bool, payload: dict[str, Any], summary: str) -> None:
    """Print ``payload`` as JSON (money as exact text, days in ISO form), or ``summary``."""
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, default=_plain))
    else:
        console.print(summary, markup=False)


def write_out(path: Path, data: bytes) -> None:
    """Write a document the command made; a path that cannot be written names ``--out``."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidValue("--out", f"cannot write {path}: {exc.strerror or exc}") from None


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)
