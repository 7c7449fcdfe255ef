"""One error hierarchy with stable codes.

Services raise these; entry points map them in one place each (the CLI to an exit code and one
line of text, the gateway later to ``infcode = -1`` with ``err_msg``). A ``code`` never changes
once released: clients and documents quote it. Every error names *where* (file, row, field or
key) and *why*, so a user can fix the input without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "CatalogError",
    "ConflictError",
    "InvalidValue",
    "NotFound",
    "PolicyError",
    "Problem",
    "RejectedFile",
    "SettlementRefused",
    "YibaoError",
    "unusable_document",
    "validation_problems",
]


class YibaoError(Exception):
    """Base of every error yibao reports to a user. ``code`` is stable; ``exit_code`` is for the CLI."""

    code: ClassVar[str] = "YB0000"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class InvalidValue(YibaoError):
    """A single value is wrong: names the field and the reason."""

    code = "YB1001"
    exit_code = 2

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where (file, row, column or key) and why."""

    file: str
    reason: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.reason}"


class RejectedFile(YibaoError):
    """A file was refused as a whole; ``problems`` lists every bad row or key, none skipped."""

    code = "YB1002"
    exit_code = 2

    def __init__(self, problems: Sequence[Problem], *, total: int | None = None) -> None:
        self.problems = tuple(problems)
        #: how many problems were found (more than listed when the list was cut short)
        self.total = len(self.problems) if total is None else total
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = f" (+{len(self.problems) - 20} more)" if len(self.problems) > 20 else ""
        super().__init__(f"{self.total} problem(s), nothing was changed: {shown}{more}")


class PolicyError(YibaoError):
    """A policy file or set of versions is invalid, or no version covers a date."""

    code = "YB2001"
    exit_code = 2


class CatalogError(YibaoError):
    """A catalogue entry, institution or mapping is missing or inconsistent."""

    code = "YB3001"
    exit_code = 2


class SettlementRefused(YibaoError):
    """A visit cannot be settled as asked (no cover, wrong state, inconsistent lines)."""

    code = "YB4001"
    exit_code = 3


class NotFound(YibaoError):
    """Something named does not exist (or is not visible to the caller)."""

    code = "YB5001"
    exit_code = 4


class ConflictError(YibaoError):
    """The request contradicts stored state (already settled, already reversed …)."""

    code = "YB5002"
    exit_code = 5


def validation_problems(
    source: str, errors: Iterable[Mapping[str, object]], *, row: int | None = None
) -> list[Problem]:
    """Turn a validator's error records (``loc``, ``msg``, ``type``, ``input``) into problems.

    The key path becomes the problem's column (``plans.310.care.inpatient.ratios``); an unknown
    code is named rather than listed against every allowed value.
    """
    problems = []
    for err in errors:
        loc = err.get("loc", ())
        parts = loc if isinstance(loc, (tuple, list)) else (loc,)
        key = ".".join(str(part) for part in parts if part != "__root__")
        if err.get("type") == "enum":
            reason = f"unknown code {err.get('input')!r}"
        else:
            reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(Problem(source, reason, row=row, column=key or "(file)"))
    return problems


def unusable_document(source: str, kind: str, exc: ValueError | RecursionError) -> RejectedFile:
    """A file that parses but cannot be used (a number of thousands of digits, deep nesting)."""
    reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
    return RejectedFile([Problem(source, f"not a usable {kind} document: {reason}")])
