"""What a batch run hands on: the findings as Parquet or JSON Lines, and the engine it ran on.

Findings files (``yibao audit run --out``): one row per finding with the rule, family, grade,
action, visit, person, line, fee date, amount at issue, ``vola_cont``, evidence and the values
the text was filled from (``detail``, a JSON object of text). Money is never a float: a Parquet
DECIMAL(16,2) column, a JSON string (``"12.50"``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from yibao.audit.batch import BatchEngine, DuckDBBatch
from yibao.audit.findings import Finding
from yibao.audit.formats import load_rule_base
from yibao.audit.model import RuleBase
from yibao.kernel.errors import InvalidValue

__all__ = [
    "FINDINGS",
    "EngineName",
    "check_findings_path",
    "finding_record",
    "load_rule_bases",
    "open_engine",
    "write_findings",
]

_S = pa.string()
#: the schema of a findings Parquet file
FINDINGS = pa.schema([
    ("rule_id", _S), ("rule_name", _S), ("family", _S), ("grade", _S), ("action", _S),
    ("mdtrt_id", _S), ("psn_no", _S), ("feedetl_sn", _S), ("fee_date", pa.date32()),
    ("amount", pa.decimal128(16, 2)), ("vola_cont", _S), ("evidence", _S), ("detail", _S),
])  # fmt: skip


class EngineName(StrEnum):
    """The engines a batch runs on."""

    DUCKDB = "duckdb"
    SPARK = "spark"


def load_rule_bases(directories: Sequence[Path]) -> RuleBase:
    """The rules of every directory as one rule base (a rule id used twice is refused)."""
    return RuleBase(rule for directory in directories for rule in load_rule_base(directory))


def open_engine(name: EngineName, rule_base: RuleBase) -> BatchEngine:
    """A DuckDB engine in process, or a local Spark session (started here, stopped on close)."""
    if name is EngineName.SPARK:
        from yibao.audit.spark import SparkAuditEngine

        try:
            return SparkAuditEngine(rule_base, memory="4g")
        except Exception as exc:  # no Java, or the JVM could not start
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidValue("--engine", f"spark could not start ({reason}); it needs Java 17 "
                               "or later: tools/java.sh ensure installs it") from None  # fmt: skip
    return DuckDBBatch(rule_base)


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as plain JSON values: money and dates as text."""
    return {
        "rule_id": finding.rule_id, "rule_name": finding.rule_name, "family": finding.family,
        "grade": str(finding.grade), "action": str(finding.action),
        "mdtrt_id": finding.mdtrt_id, "psn_no": finding.psn_no,
        "feedetl_sn": finding.feedetl_sn, "fee_date": finding.fee_date.isoformat(),
        "amount": format(finding.amount, "f"), "vola_cont": finding.vola_cont,
        "evidence": finding.evidence, "detail": dict(finding.detail),
    }  # fmt: skip


def check_findings_path(path: Path) -> Path:
    """``path`` when it names a ``.parquet`` or ``.jsonl`` (``.ndjson``) file; else refused."""
    if path.suffix.lower() not in (".parquet", ".jsonl", ".ndjson"):
        raise InvalidValue("--out", f"{path.name}: name a .parquet or .jsonl file")
    return path


def write_findings(findings: Sequence[Finding], path: Path) -> None:
    """Write ``findings`` to ``path``: ``.parquet``, or ``.jsonl`` / ``.ndjson`` (JSON Lines)."""
    check_findings_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        columns: dict[str, list[Any]] = {name: [] for name in FINDINGS.names}
        for f in findings:
            record = finding_record(f)
            record.update(fee_date=f.fee_date, amount=f.amount,
                          detail=json.dumps(record["detail"], ensure_ascii=False))  # fmt: skip
            for name in FINDINGS.names:
                columns[name].append(record[name])
        pq.write_table(pa.table(columns, schema=FINDINGS), path)
        return
    with path.open("w", encoding="utf-8") as out:
        for f in findings:
            out.write(json.dumps(finding_record(f), ensure_ascii=False) + "\n")
