"""The enrolment year rules as TOML files: validation, loading a directory, and the demo rules.

One file holds one region's resident enrolment rules for one cover year (``<region>/<year>.toml``);
``docs/enrolment-rules.md`` documents every key. Like the policy files, TOML floats are read as
``Decimal``, unknown keys are errors, and every problem is reported as ``file, key.path: reason``
— all problems of all files at once, nothing loaded while any remains. The structure is checked
here with Pydantic; the rules between keys (total = personal + subsidy, dates inside the year)
live in the pure ``registry.coverage`` records, whose errors name the same key paths.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yibao.kernel.errors import (
    InvalidValue,
    NotFound,
    Problem,
    RejectedFile,
    unusable_document,
    validation_problems,
)
from yibao.registry.coverage import EnrolmentWindow, Premium, YearRules
from yibao.registry.model import EmployeeRates

__all__ = [
    "demo_enrolment_dir",
    "load_year_rules",
    "load_year_rules_file",
    "parse_year_rules",
    "rules_for",
]

Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Days = Annotated[int, Field(ge=0, le=366)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PremiumSpec(_Strict):
    """``[premium]``: the financing standard per person and year, in yuan."""

    total: Money
    personal: Money
    subsidy: Money


class WindowSpec(_Strict):
    """``[window]``: the collection period for this year's cover, both days included."""

    first_day: date
    last_day: date


class EmployeeSpec(_Strict):
    """``[employee]``: the employees' monthly contribution rates, shares of the base."""

    employer_rate: Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)]
    personal_rate: Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)]


class YearRulesSpec(_Strict):
    """A whole file: the header keys, then ``[premium]`` and ``[window]``."""

    region: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    document: str = Field(min_length=1)
    demo: bool = False
    regular_start: date
    half_year_from: date
    newborn_days: Days
    waiting_days: Days
    premium: PremiumSpec
    window: WindowSpec
    employee: EmployeeSpec | None = None


def demo_enrolment_dir() -> Path:
    """The enrolment year rules of the demo region shipped with the package."""
    return Path(str(resources.files("yibao.demo") / "data" / "enrolment"))


def load_year_rules_file(path: Path, *, name: str | None = None) -> YearRules:
    """Read and validate one file; :class:`RejectedFile` lists every problem.

    ``name`` is how problems and coverage bases cite the file (default: the path as given).
    """
    source = name or path.as_posix()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectedFile([Problem(source, f"cannot read the file ({exc})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RejectedFile([Problem(source, f"not valid TOML: {exc}")]) from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, deep nesting
        raise unusable_document(source, "TOML", exc) from None
    return parse_year_rules(raw, source=source)


def parse_year_rules(raw: object, *, source: str) -> YearRules:
    """Validate a parsed TOML document and build the domain rules."""
    try:
        spec = YearRulesSpec.model_validate(raw)
    except ValidationError as exc:
        raise RejectedFile(validation_problems(source, exc.errors())) from None
    try:
        return YearRules(
            region=spec.region,
            year=spec.year,
            premium=Premium(spec.premium.total, spec.premium.personal, spec.premium.subsidy),
            window=EnrolmentWindow(spec.window.first_day, spec.window.last_day),
            regular_start=spec.regular_start,
            half_year_from=spec.half_year_from,
            newborn_days=spec.newborn_days,
            waiting_days=spec.waiting_days,
            document=spec.document,
            source=source,
            employee=None
            if spec.employee is None
            else EmployeeRates(spec.employee.employer_rate, spec.employee.personal_rate),
        )
    except InvalidValue as exc:
        raise RejectedFile([Problem(source, exc.reason, column=exc.field)]) from None


def load_year_rules(directory: Path) -> dict[tuple[str, int], YearRules]:
    """Every file under ``directory``, by ``(region, year)``; refuses duplicates and misnamed files.

    A file named after a year (``2026.toml``) must hold that year, and one inside a directory
    named after a region (``990100/``) that region.
    """
    if not directory.is_dir():
        raise NotFound(f"{directory}: not a directory of enrolment rule files")
    files = sorted(directory.rglob("*.toml"))
    if not files:
        raise NotFound(f"{directory}: no enrolment rule files (*.toml) found")
    book: dict[tuple[str, int], YearRules] = {}
    problems: list[Problem] = []
    for path in files:
        name = path.relative_to(directory).as_posix()
        try:
            rules = load_year_rules_file(path, name=name)
        except RejectedFile as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_naming_problems(path, name, rules))
        key = (rules.region, rules.year)
        if key in book:
            problems.append(
                Problem(name, f"region {key[0]} year {key[1]} is also in {book[key].source}")
            )
        book.setdefault(key, rules)
    if problems:
        raise RejectedFile(problems)
    return book


def rules_for(book: Mapping[tuple[str, int], YearRules], *, region: str, year: int) -> YearRules:
    """The rules of ``region`` for cover year ``year``; :class:`NotFound` names what is missing."""
    try:
        return book[(region, year)]
    except KeyError:
        known = ", ".join(sorted(f"{r}/{y}" for r, y in book)) or "none"
        raise NotFound(
            f"no enrolment rules for region {region}, year {year} (known: {known})"
        ) from None


def _naming_problems(path: Path, name: str, rules: YearRules) -> list[Problem]:
    problems = []
    if path.stem.isdigit() and path.stem != str(rules.year):
        problems.append(
            Problem(name, f"{rules.year} but the file is named {path.name}", column="year")
        )
    region_dir = path.parent.name
    if len(region_dir) == 6 and region_dir.isdigit() and region_dir != rules.region:
        problems.append(
            Problem(name, f"{rules.region} but the file is in {region_dir}/", column="region")
        )
    return problems
