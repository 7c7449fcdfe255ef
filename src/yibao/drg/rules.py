"""Load the CHS-DRG 1.1 rule files and dictionaries from ``data/`` once per process, and group with them.

The files ship in the repository's ``data/chs_drg_1.1`` and ``data/icd_yibao`` (provenance in
``data/drg/SOURCES.md``); :func:`load_rules` reads and compiles them on first use and keeps the
result (``functools.cache``), so :func:`yibao.drg.grouper.group` costs only the lookups of the
pure grouper.
"""

from __future__ import annotations

import functools
from pathlib import Path

from yibao.drg.model import Rules
from yibao.drg.parse import RULE_FILES, compile_rules
from yibao.kernel.errors import InvalidValue

__all__ = ["DATA_DIR", "load_rules", "read_rules"]

DATA_DIR = Path(__file__).resolve().parents[3] / "data"
"""The repository's ``data/`` directory (src/yibao/drg/rules.py → four levels up)."""


def read_rules(data_dir: Path = DATA_DIR) -> Rules:
    """Read and compile every rule file now (no cache): what the benchmark times."""
    rules_dir = data_dir / "chs_drg_1.1"
    icd_dir = data_dir / "icd_yibao"
    try:
        texts = {name: (rules_dir / name).read_text(encoding="utf-8") for name in RULE_FILES}
        diagnoses = (icd_dir / "icd10_yibao_v2_diagnosis.tsv").read_text(encoding="utf-8")
        procedures = (icd_dir / "icd9cm3_yibao_v2_procedure.tsv").read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidValue(str(data_dir), f"cannot read the DRG rule files: {exc}") from None
    return compile_rules(texts, diagnoses=diagnoses, procedures=procedures)


@functools.cache
def load_rules(data_dir: Path = DATA_DIR) -> Rules:
    """The compiled rules, built on the first call of the process and kept."""
    return read_rules(data_dir)
