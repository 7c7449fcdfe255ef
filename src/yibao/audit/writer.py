"""Write rules as rule files: a TOML rule set and the CSV knowledge tables beside it.

The inverse of ``audit.formats``: ``load_rule_base`` of what :func:`rule_set_toml` and
:func:`write_table` write gives the same rules back. Output is deterministic (rules and keys in
a fixed order, ``\\n`` line ends), so generated rule bases diff cleanly and can be compared
byte for byte with a fresh generation.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from yibao.audit.model import KnowledgeTable, Moment, ParamValue, Rule

__all__ = ["rule_set_toml", "toml_value", "write_table"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_MOMENTS = tuple(Moment)


def toml_value(value: ParamValue) -> str:
    """One value in TOML: strings quoted, exact decimals, dates bare, mappings inline."""
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: ParamValue) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    elif isinstance(value, int | Decimal):
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        raise TypeError(f"cannot write {type(value).__name__} as TOML")
    return text


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def rule_set_toml(
    name: str, version: str, rules: Iterable[Rule], *, description: str = "", comment: str = ""
) -> str:
    """A rule file holding ``rules`` (sorted by id); tables are cited by ``table.file``."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += ["[ruleset]", f"name = {toml_value(name)}", f"version = {toml_value(version)}"]
    if description:
        lines.append(f"description = {toml_value(description)}")
    for rule in sorted(rules, key=lambda r: r.rule_id):
        lines += ["", *_rule_lines(rule)]
    return "\n".join(lines) + "\n"


def _rule_lines(rule: Rule) -> list[str]:
    head: dict[str, ParamValue] = {
        "id": rule.rule_id,
        "name": rule.name,
        "family": rule.family,
        "grade": str(rule.grade),
        "action": str(rule.action),
        "moments": tuple(str(m) for m in _MOMENTS if m in rule.moments),
        "begin": rule.begin,
        "end": rule.end,
        "vola_cont": rule.vola_cont,
        "off_regions": tuple(sorted(rule.off_regions)) or None,
        "off_levels": tuple(sorted(rule.off_levels)) or None,
    }
    lines = ["[[rules]]", *(f"{k} = {toml_value(v)}" for k, v in head.items() if v is not None)]
    if rule.params:
        lines += ["", "[rules.params]"]
        lines += [f"{_key(k)} = {toml_value(v)}" for k, v in rule.params.items() if v is not None]
    if rule.table is not None:
        table = rule.table
        lines += ["", "[rules.table]", f"name = {toml_value(table.name)}"]
        lines.append(f"file = {toml_value(table.file)}")
    ev = rule.evidence
    lines += ["", "[rules.evidence]", f"document = {toml_value(ev.document)}"]
    lines += [f"{k} = {toml_value(v)}" for k, v in (("batch", ev.batch), ("rows", ev.rows)) if v]
    return lines


def write_table(path: Path, table: KnowledgeTable) -> None:
    """Write a knowledge table as UTF-8 CSV: the header, then the rows in table order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(table.rows)
