"""What the import of the national batches found: counts, refused rows, notes, loose ends.

An :class:`ImportReport` has one :class:`BatchReport` per batch: the source files, the rows read,
the rules and table rows written, the distinct codes, every refused row with its reason, every
row read with a choice made (a note), and the drug rules and codes that did not join. It renders
as the README of the generated rule base, so the shipped files always say how they were made.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SOURCE", "BatchReport", "ImportReport", "RowIssue", "render_readme"]

SOURCE = (
    "jdzwq/MediModel `数据字典/两库整理/` @ 573b603d13a83f8e8d44d054aa0da80e8afd048e "
    "(copied to `data/two_libraries/`, see `data/reference/SOURCES.md`)"
)
COMMAND = "yibao audit import-national data/two_libraries/csv src/yibao/audit/rulebase/national"
PYTHON = (
    ".venv/bin/python -c 'from pathlib import Path; from yibao.audit.service import "
    'import_national_rules as f; print(f(Path("data/two_libraries/csv"), '
    'Path("src/yibao/audit/rulebase/national")).summary())\''
)


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A source row and what happened to it."""

    file: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}: {self.reason}"


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One batch's import."""

    batch: str
    library: str
    restriction: str
    sources: tuple[str, ...]
    sheet1_rows: int
    sheet2_rows: int | None
    rules: tuple[str, ...]
    table_rows: int
    distinct_codes: int
    refused: tuple[RowIssue, ...] = ()
    notes: tuple[RowIssue, ...] = ()
    #: sheet1 rows (drug rules) none of whose name has a code in sheet2
    rules_without_codes: tuple[RowIssue, ...] = ()
    #: sheet2 rows (codes) whose drug name has no rule in sheet1
    codes_without_rule: tuple[RowIssue, ...] = ()
    #: the counts of docs/audit.md §2 (sheet1 rows, sheet2 rows)
    expected: tuple[int, int | None] = (0, None)
    #: False for a table of pairs, whose rows hold two codes each
    one_code_per_row: bool = True

    @property
    def title(self) -> str:
        return f"{self.batch} {self.library} {self.restriction}"

    @property
    def counts_agree(self) -> bool:
        return (self.sheet1_rows, self.sheet2_rows) == self.expected

    def differences(self) -> list[str]:
        """How what was imported differs from the count of ``docs/audit.md`` §2, and why."""
        found = []
        if not self.counts_agree:
            found.append(f"rows read {self.sheet1_rows}/{self.sheet2_rows} are not the "
                         f"{self.expected[0]}/{self.expected[1]} of docs/audit.md")  # fmt: skip
        counted = self.sheet1_rows if self.sheet2_rows is None else self.sheet2_rows
        if self.table_rows != counted:
            reasons = "; ".join(f"row {issue.row}: {issue.reason}" for issue in self.refused)
            found.append(f"docs/audit.md counts {counted} rows but {self.table_rows} are rules "
                         f"({counted - self.table_rows} refused: {reasons})")  # fmt: skip
        if self.one_code_per_row and self.distinct_codes < self.table_rows:
            found.append(f"{self.table_rows} rows hold {self.distinct_codes} distinct codes: "
                         "a code recurs in several rows")  # fmt: skip
        return found

    def summary(self) -> str:
        codes = "" if self.sheet2_rows is None else f" + {self.sheet2_rows} code rows"
        return (f"{self.title}: {self.sheet1_rows} rows{codes} read; {', '.join(self.rules)}: "
                f"{self.table_rows} table rows, {self.distinct_codes} distinct codes, "
                f"{len(self.refused)} refused, {len(self.notes)} notes")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The import of every batch, and the files written."""

    out_dir: str
    batches: tuple[BatchReport, ...]
    files: tuple[str, ...]

    @property
    def rules(self) -> int:
        return sum(len(batch.rules) for batch in self.batches)

    @property
    def refused(self) -> tuple[RowIssue, ...]:
        return tuple(issue for batch in self.batches for issue in batch.refused)

    def batch(self, title_part: str) -> BatchReport:
        """The batch whose title contains ``title_part`` (``第六批``, ``第一批 药品 限定性别``)."""
        found = [b for b in self.batches if title_part in b.title]
        if len(found) != 1:
            raise KeyError(f"{title_part!r} names {len(found)} batches")
        return found[0]

    def summary(self) -> str:
        head = (f"{self.out_dir}: {self.rules} rules from {len(self.batches)} batches, "
                f"{len(self.files)} files; {len(self.refused)} source rows refused")  # fmt: skip
        lines = [head, *(f"  {batch.summary()}" for batch in self.batches)]
        lines += [f"  refused: {issue}" for issue in self.refused]
        return "\n".join(lines)


def render_readme(report: ImportReport) -> str:
    """The README.md of the generated directory: provenance, how to regenerate, what was found."""
    lines = [
        "# National audit rules (两库), generated",
        "",
        "GENERATED FILES: do not edit by hand. `national.toml` holds one rule per national batch",
        "(and a second rule for batch 4's nutrition-screening condition); `tables/` holds their",
        "knowledge tables, one row per code. The format is in `docs/audit-rules.md`.",
        "",
        f"**Source:** {SOURCE}. That these lists match the rule batches NHSA published is",
        "**unverified** (not checked against nhsa.gov.cn); the repository has no LICENSE file.",
        "Effective dates are not in the source: every rule begins on the date the import is given.",
        "",
        "**Regenerate** (from the repository root):",
        "",
        f"    {COMMAND}",
        "",
        "or, without the command line:",
        "",
        f"    {PYTHON}",
        "",
        "`tests/unit/test_audit_national.py` fails when these files differ from a fresh import.",
        "",
        "## Counts",
        "",
        "| batch | rule(s) | sheet1 rows | sheet2 rows | table rows | distinct codes | refused "
        "| docs/audit.md | rows agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for b in report.batches:
        s2 = "" if b.sheet2_rows is None else str(b.sheet2_rows)
        exp = "/".join(str(n) for n in b.expected if n is not None)
        lines.append(f"| {b.title} | {', '.join(b.rules)} | {b.sheet1_rows} | {s2} | "
                     f"{b.table_rows} | {b.distinct_codes} | {len(b.refused)} | {exp} | "
                     f"{'yes' if b.counts_agree else 'NO'} |")  # fmt: skip
    lines += [
        "",
        "Rows read count every data row of the CSV (blank and footnote rows included), which is",
        "how `docs/audit.md` §2 counts them; refused rows are listed below and are not in a table.",
        "",
        "## What differs from docs/audit.md §2",
        "",
    ]
    differences = [f"- {b.title}: {text}" for b in report.batches for text in b.differences()]
    lines += differences or ["Nothing."]
    lines += _section("Rows refused", report, "refused")
    lines += _section("Rows read with a choice made", report, "notes")
    lines += _section("Drug rules (sheet1) with no code in sheet2", report, "rules_without_codes")
    lines += _section("Codes (sheet2) with no rule in sheet1", report, "codes_without_rule")
    return "\n".join(lines) + "\n"


def _section(title: str, report: ImportReport, attribute: str) -> list[str]:
    lines = ["", f"## {title}", ""]
    found = False
    for batch in report.batches:
        issues: tuple[RowIssue, ...] = getattr(batch, attribute)
        for issue in issues:
            lines.append(f"- {issue}")
            found = True
    if not found:
        lines.append("None.")
    return lines
