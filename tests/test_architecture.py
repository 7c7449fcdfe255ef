"""The layout rules of docs/adr/0002: import contracts, module size, a docstring on every module."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "src" / "yibao").rglob("*.py"))
GENERATED = {ROOT / "src" / "yibao" / "kernel" / "codes.py"} | set(
    (ROOT / "src" / "yibao" / "store" / "migrations" / "versions").glob("*.py")
)
MAX_LINES = 400


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed in this environment"
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_what_it_is_for(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring and len(docstring) > 20, f"{path} has no module docstring"


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if p not in GENERATED], ids=lambda p: str(p.relative_to(ROOT))
)
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path} has {lines} lines (limit {MAX_LINES})"


def test_only_the_money_module_rounds() -> None:
    money = ROOT / "src" / "yibao" / "kernel" / "money.py"
    offenders = [
        str(path.relative_to(ROOT))
        for path in SOURCES
        if path != money
        and any(word in path.read_text(encoding="utf-8") for word in (".quantize(", "ROUND_"))
    ]
    assert offenders == []
