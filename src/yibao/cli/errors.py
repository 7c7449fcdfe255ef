"""The one place where the CLI turns yibao's errors into a message and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from yibao.kernel.errors import RejectedFile, YibaoError

__all__ = ["reporting"]

_err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def reporting() -> Iterator[None]:
    """Run a command body; a :class:`YibaoError` becomes ``error: …`` on stderr and its exit code."""
    try:
        yield
    except RejectedFile as exc:
        _err.print(f"error: [{exc.code}] {exc.total} problem(s); nothing was changed")
        for problem in exc.problems:
            _err.print(f"  {problem}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except YibaoError as exc:
        _err.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
