"""Audit rule-base use cases: check a rule base directory, import the national batches.

Entry points (the ``yibao audit`` commands) call these and print the result; nothing here knows
about the command line. The rule base shipped with the package is
``audit/rulebase/`` (today the generated national rules in ``rulebase/national/``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from yibao.audit.formats import load_rule_base
from yibao.audit.model import RuleBase
from yibao.audit.national import DEFAULT_BEGIN, import_national
from yibao.audit.national_report import ImportReport

__all__ = [
    "RuleBaseCheck",
    "check_rule_base",
    "import_national_rules",
    "shipped_rule_base_dir",
]


@dataclass(frozen=True, slots=True)
class RuleBaseCheck:
    """What ``yibao audit check`` reports of a valid rule base."""

    directory: str
    rule_base: RuleBase

    def summary(self) -> str:
        families = Counter(rule.family for rule in self.rule_base)
        rows = sum(len(rule.table) for rule in self.rule_base if rule.table is not None)
        lines = [f"{self.directory}: {len(self.rule_base)} rule(s) valid, {rows} table rows"]
        for rule in self.rule_base:
            size = "" if rule.table is None else f", {len(rule.table)} rows"
            until = rule.end.isoformat() if rule.end else "…"
            lines.append(f"  {rule.rule_id} {rule.name} [{rule.family}, {rule.grade.label}, "
                         f"{rule.begin.isoformat()} – {until}{size}]")  # fmt: skip
        lines.append("  families: " + ", ".join(f"{f} {n}" for f, n in sorted(families.items())))
        return "\n".join(lines)


def shipped_rule_base_dir() -> Path:
    """The rule base shipped with the package."""
    return Path(str(resources.files("yibao.audit") / "rulebase"))


def check_rule_base(*, directory: Path) -> RuleBaseCheck:
    """Load ``directory`` as the engine would; :class:`RejectedFile` lists every problem."""
    return RuleBaseCheck(directory.as_posix(), load_rule_base(directory))


def import_national_rules(
    src_dir: Path, out_dir: Path, *, begin: date | None = None
) -> ImportReport:
    """Import the national batches of ``src_dir`` into ``out_dir`` (replaced whole)."""
    return import_national(src_dir, out_dir, begin=begin or DEFAULT_BEGIN)
