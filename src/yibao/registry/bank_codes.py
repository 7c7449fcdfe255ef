"""Each bank's result codes as data: the TOML file of code tables, validated and loaded.

A file maps, per bank, every result code (and, for a bank that answers some lines with a message
only, every message) to ``"paid"`` or to one of the reasons F02–F10 of ``registry.bank``; the
layout is in ``docs/bank-debit-format.md`` and the demo banks are in
``demo/data/banks/banks.toml``. :func:`load_bank_tables` returns one :class:`BankCodeTable` per
bank or raises :class:`RejectedFile` naming every bad key (an unknown reason code by its value).
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from yibao.kernel.errors import (
    Problem,
    RejectedFile,
    unusable_document,
    validation_problems,
)
from yibao.registry.bank import BankCodeTable, DebitFailure

__all__ = ["PAID", "demo_bank_tables", "load_bank_tables", "parse_bank_tables"]

PAID = "paid"
_CODE = re.compile(r"[!-~]{1,8}", re.ASCII)  # the width of result_code in the fixed-width layout
_BANK = re.compile(r"[A-Z0-9]{2,8}", re.ASCII)
_MESSAGE_BYTES = 60  # the width of result_msg in the fixed-width result layout


def _outcome(value: str) -> str:
    if value == PAID:
        return value
    if value == DebitFailure.STATUS_NOT_ELIGIBLE:
        raise ValueError("F01 (学籍状态) is decided before export: a bank never returns it")
    if value not in tuple(DebitFailure):
        raise ValueError(f"unknown reason {value!r} (expected paid or F02–F10)")
    return value


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(f"code {value!r} is not 1–8 printable ASCII characters without spaces")
    return value


def _bank_code(value: str) -> str:
    if not _BANK.fullmatch(value):
        raise ValueError(f"bank code {value!r} is not 2–8 capitals or digits")
    return value


def _message(value: str) -> str:
    if len(value.encode("gb18030")) > _MESSAGE_BYTES:
        raise ValueError(f"message {value!r} is longer than {_MESSAGE_BYTES} bytes in GB18030")
    return value


Outcome = Annotated[str, AfterValidator(_outcome)]
Code = Annotated[str, AfterValidator(_code)]
Message = Annotated[str, Field(min_length=1), AfterValidator(_message)]
BankCode = Annotated[str, AfterValidator(_bank_code)]


class BankSpec(BaseModel):
    """One bank: its name, and what each of its result codes and messages means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    codes: dict[Code, Outcome] = Field(min_length=1)
    messages: dict[Message, Outcome] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_paid(self) -> BankSpec:
        if PAID not in self.codes.values():
            raise ValueError('no code means paid: list the bank\'s success code as "paid"')
        return self


class BankFile(BaseModel):
    """The file: ``[banks.<CODE>]`` tables, at least one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    banks: dict[BankCode, BankSpec] = Field(min_length=1)


def parse_bank_tables(document: object, *, source: str) -> dict[str, BankCodeTable]:
    """The tables of a parsed TOML document, or every problem in it (``RejectedFile``)."""
    try:
        spec = BankFile.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise RejectedFile(validation_problems(source, errors)) from None
    return {code: BankCodeTable(code, bank.name, _meanings(bank.codes), _meanings(bank.messages))
            for code, bank in spec.banks.items()}  # fmt: skip


def _meanings(table: dict[str, str]) -> dict[str, DebitFailure | None]:
    return {key: None if value == PAID else DebitFailure(value) for key, value in table.items()}


def load_bank_tables(path: Path, *, name: str | None = None) -> dict[str, BankCodeTable]:
    """The code table of every bank in the TOML file at ``path``, by bank code."""
    source = name or str(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RejectedFile(
            [Problem(source, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    except UnicodeDecodeError as exc:
        raise RejectedFile([Problem(source, f"not UTF-8 text (byte {exc.start})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RejectedFile([Problem(source, f"not valid TOML: {exc}")]) from None
    except (ValueError, RecursionError) as exc:
        raise unusable_document(source, "bank code table", exc) from None
    return parse_bank_tables(document, source=source)


def demo_bank_tables() -> dict[str, BankCodeTable]:
    """The demo banks (BOC, ICBC, CCB) with their invented codes."""
    path = Path(str(resources.files("yibao.demo") / "data" / "banks" / "banks.toml"))
    return load_bank_tables(path, name="demo/data/banks/banks.toml")
