"""Rule files: read a rule base directory (TOML rule sets + CSV knowledge tables) all or nothing.

A rule set is one ``*.toml`` file with a ``[ruleset]`` header and ``[[rules]]`` tables; a rule's
knowledge table is a CSV file beside it, named by a path relative to the rule file
(``docs/audit-rules.md``). :func:`load_rule_base` reads every ``*.toml`` under a directory and
returns a :class:`~yibao.audit.model.RuleBase`, or raises :class:`RejectedFile` listing every
problem of every file — file, rule id, key or table row, and reason. Nothing is half-loaded.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from yibao.audit.families import Family, TableUse, family
from yibao.audit.model import (
    Action,
    Evidence,
    Grade,
    KnowledgeTable,
    Moment,
    Rule,
    RuleBase,
    template_fields,
)
from yibao.audit.params import NoParams
from yibao.audit.tablefiles import TableFiles, check_table
from yibao.kernel.codes import HospLv
from yibao.kernel.errors import InvalidValue, Problem, RejectedFile, validation_problems

__all__ = ["RULE_ID", "freeze", "load_rule_base"]

RULE_ID = r"^[A-Z0-9][A-Z0-9_.-]{1,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HeaderSpec(_Strict):
    """``[ruleset]``: the set's name and version, and where it comes from."""

    name: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=30)
    description: str = ""


class TableRef(_Strict):
    """``[rules.table]``: a knowledge table's name and its CSV file (relative to the rule file)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    file: str = Field(min_length=1)


class EvidenceSpec(_Strict):
    """``[rules.evidence]``: the document a rule cites, its batch, and the rows or clause."""

    document: str = Field(min_length=1)
    batch: str = ""
    rows: str = ""


class RuleSpec(_Strict):
    """One ``[[rules]]`` table; ``params`` is checked by the family's own model afterwards."""

    id: str = Field(pattern=RULE_ID)
    name: str = Field(min_length=1, max_length=200)
    family: str
    grade: Grade
    action: Action
    moments: list[Moment] = Field(min_length=1)
    begin: date
    end: date | None = None
    vola_cont: str = Field(min_length=1, max_length=500)
    off_regions: list[Annotated[str, Field(pattern=r"^[0-9]{6}$")]] = []
    off_levels: list[HospLv] = []
    params: dict[str, Any] = {}
    table: TableRef | None = None
    evidence: EvidenceSpec

    @model_validator(mode="after")
    def _dates(self) -> RuleSpec:
        if self.end is not None and self.end < self.begin:
            raise ValueError(f"end {self.end} is before begin {self.begin}")
        return self


def load_rule_base(directory: Path) -> RuleBase:
    """Every rule of every ``*.toml`` file under ``directory``, or every problem found."""
    root = directory.as_posix()
    if not directory.is_dir():
        raise RejectedFile([Problem(root, "not a directory")])
    paths = sorted(directory.rglob("*.toml"))
    if not paths:
        raise RejectedFile([Problem(root, "no rule files (*.toml) in the directory")])
    tables = TableFiles(directory)
    problems: list[Problem] = []
    rules: list[Rule] = []
    for path in paths:
        name = path.relative_to(directory).as_posix()
        found, trouble = _load_file(path, name, tables)
        rules.extend(found)
        problems.extend(trouble)
    problems.extend(_duplicates(rules))
    if problems:
        raise RejectedFile(problems)
    return RuleBase(rules)


def _load_file(path: Path, name: str, tables: TableFiles) -> tuple[list[Rule], list[Problem]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(name, f"cannot read the file ({exc})")]
    except tomllib.TOMLDecodeError as exc:
        return [], [Problem(name, f"not valid TOML: {exc}")]
    except (ValueError, RecursionError) as exc:
        return [], [Problem(name, f"not a usable TOML document: {exc}")]
    unknown = sorted(set(raw) - {"ruleset", "rules"})
    problems = [Problem(name, f"unknown top-level key {key!r}", column=key) for key in unknown]
    try:
        header = HeaderSpec.model_validate(raw.get("ruleset"))
    except ValidationError as exc:
        problems.extend(_prefixed(name, "ruleset", exc))
        header = None
    entries = raw.get("rules")
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(name, "expected one [[rules]] table at least", column="rules"))
        entries = []
    rules: list[Rule] = []
    for index, entry in enumerate(entries):
        rule = _load_rule(entry, index, file=name, header=header, tables=tables, problems=problems)
        if rule is not None:
            rules.append(rule)
    return rules, problems


def _prefixed(file: str, prefix: str, exc: ValidationError) -> list[Problem]:
    found = validation_problems(file, exc.errors())
    return [
        Problem(
            file, pr.reason, column=prefix if pr.column == "(file)" else f"{prefix}.{pr.column}"
        )
        for pr in found
    ]


def _rule_label(entry: object, index: int) -> str:
    rule_id = entry.get("id") if isinstance(entry, dict) else None
    return f"rule {rule_id}" if isinstance(rule_id, str) and rule_id else f"rules[{index}]"


def _load_rule(
    entry: object,
    index: int,
    *,
    file: str,
    header: HeaderSpec | None,
    tables: TableFiles,
    problems: list[Problem],
) -> Rule | None:
    label = _rule_label(entry, index)
    try:
        spec = RuleSpec.model_validate(entry)
    except ValidationError as exc:
        problems.extend(_prefixed(file, label, exc))
        return None
    try:
        fam = family(spec.family)
    except InvalidValue as exc:
        problems.append(Problem(file, exc.reason, column=f"{label}.family"))
        return None
    before = len(problems)
    params = _params(fam, spec, file, label, problems)
    _check_template(fam, spec.vola_cont, file, label, problems)
    table = _table(fam, spec, params, file=file, label=label, tables=tables, problems=problems)
    if len(problems) > before or params is None or header is None:
        return None
    return Rule(
        rule_id=spec.id,
        name=spec.name,
        family=fam.name,
        grade=spec.grade,
        action=spec.action,
        moments=frozenset(spec.moments),
        begin=spec.begin,
        end=spec.end,
        params=freeze(params.model_dump(by_alias=True)),
        table=table,
        evidence=Evidence(spec.evidence.document, spec.evidence.batch, spec.evidence.rows),
        vola_cont=spec.vola_cont,
        off_regions=frozenset(spec.off_regions),
        off_levels=frozenset(str(level) for level in spec.off_levels),
        version=header.version,
        source_file=file,
    )


def _params(
    fam: Family, spec: RuleSpec, file: str, label: str, problems: list[Problem]
) -> BaseModel | None:
    try:
        return fam.params.model_validate(spec.params)
    except ValidationError as exc:
        problems.extend(_prefixed(file, f"{label}.params", exc))
        return None


def _check_template(
    fam: Family, template: str, file: str, label: str, problems: list[Problem]
) -> None:
    try:
        names = template_fields(template)
    except InvalidValue as exc:
        problems.append(Problem(file, exc.reason, column=f"{label}.vola_cont"))
        return
    unknown = sorted(names - fam.placeholders)
    if unknown:
        allowed = ", ".join(sorted(fam.placeholders))
        reason = f"unknown placeholder(s) {', '.join(unknown)} for family {fam.name} ({allowed})"
        problems.append(Problem(file, reason, column=f"{label}.vola_cont"))


def _table(
    fam: Family,
    spec: RuleSpec,
    params: BaseModel | None,
    *,
    file: str,
    label: str,
    tables: TableFiles,
    problems: list[Problem],
) -> KnowledgeTable | None:
    where = f"{label}.table"
    if params is not None and fam.params_check is not None:
        reason = fam.params_check(params, spec.table is not None)
        if reason:
            problems.append(Problem(file, reason, column=where))
            return None
    if spec.table is None:
        if fam.table is TableUse.REQUIRED:
            problems.append(Problem(file, f"family {fam.name} needs a [rules.table]", column=where))
        return None
    if fam.table is TableUse.NONE:
        problems.append(Problem(file, f"family {fam.name} takes no table", column=where))
        return None
    refs = _param_keys(params if params is not None else NoParams())
    return check_table(
        fam, spec.table, rule_file=file, label=label, refs=refs, tables=tables, problems=problems
    )


def _param_keys(params: BaseModel) -> dict[str, frozenset[str]]:
    """The keys of each mapping parameter (``bands``, ``classes``, ``schemes``)."""
    keys: dict[str, frozenset[str]] = {}
    for name, value in params:
        if isinstance(value, Mapping):
            keys[name] = frozenset(str(key) for key in value)
    return keys


def freeze(value: object) -> Any:
    """A parameter value made immutable: mappings read-only and sorted, lists tuples, codes str."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in sorted(value.items())})
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(freeze(v) for v in value)
    if isinstance(value, str):
        return str(value)  # a StrEnum code becomes its plain value
    return value


def _duplicates(rules: list[Rule]) -> list[Problem]:
    first: dict[str, Rule] = {}
    problems = []
    for rule in rules:
        if rule.rule_id in first:
            reason = f"duplicate rule id: also in {first[rule.rule_id].source_file}"
            problems.append(Problem(rule.source_file, reason, column=f"rule {rule.rule_id}.id"))
        else:
            first[rule.rule_id] = rule
    return problems
