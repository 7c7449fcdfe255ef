"""Golden cases: readable visit documents with the settlement a 医保 clerk expects, worked by hand.

Each file in ``cases/`` is a visit document (``yibao settle --visit FILE`` runs it as it is) with
two more nodes: ``explain`` — the hand calculation in words — and ``expect``:

* ``expect.steps``: a list of ``{"index": i, "setlinfo": {...}, "setldetail": [...],
  "result": [...], "trace": [...]}``; ``index`` is the position of the call in the visit's steps.
  Only the fields written are compared, as exact strings. ``setldetail`` rows are matched by
  ``fund_pay_type`` and must be all the rows; ``result`` rows by ``feedetl_sn``; each ``trace`` entry
  is a fragment that must appear in one trace step's text or clause.
* ``expect.year_state``: the counters and balance after the visit (all of them).
* ``expect.error``: instead of the above, a fragment of the refusal the visit must get.

The cases run against the demo region's policies and catalogue.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from yibao.bootstrap import bootstrap
from yibao.kernel.errors import YibaoError
from yibao.settlement.formats import load_visit_file
from yibao.settlement.report import replay_as_json
from yibao.settlement.service import replay_visit

CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))


@pytest.fixture(scope="module")
def services() -> Any:
    return bootstrap()


def _replay(path: Path, services: Any) -> dict[str, Any]:
    replay = replay_visit(
        document=load_visit_file(path),
        policies=services.policies,
        catalogs=services.catalog.catalogs,
        institutions=services.catalog.institutions,
    )
    return replay_as_json(replay)


def _check_step(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    output = actual.get("output", {})
    for name, value in expected.get("setlinfo", {}).items():
        assert output["setlinfo"][name] == value, f"{where} setlinfo.{name}"
    if "setldetail" in expected:
        got = {row["fund_pay_type"]: row for row in output["setldetail"]}
        want = {row["fund_pay_type"]: row for row in expected["setldetail"]}
        assert sorted(got) == sorted(want), f"{where} setldetail funds"
        for fund, row in want.items():
            for name, value in row.items():
                assert got[fund][name] == value, f"{where} setldetail {fund}.{name}"
    if "result" in expected:
        lines = {row["feedetl_sn"]: row for row in actual["result"]}
        for row in expected["result"]:
            for name, value in row.items():
                assert lines[row["feedetl_sn"]][name] == value, (
                    f"{where} result {row['feedetl_sn']}.{name}"
                )
    texts = [f"{t['text']} {t['clause'] or ''}" for t in output.get("yibao", {}).get("trace", [])]
    for fragment in expected.get("trace", []):
        assert any(fragment in text for text in texts), f"{where} trace lacks {fragment!r}"


def test_there_are_enough_cases_to_cover_every_rule() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_case(path: Path, services: Any) -> None:
    case = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    expect = case["expect"]
    assert case.get("explain"), "a golden case explains its calculation"
    if "error" in expect:
        with pytest.raises(YibaoError, match=expect["error"]):
            _replay(path, services)
        return
    actual = _replay(path, services)
    assert expect.get("steps"), "a golden case states what it expects"
    for step in expect["steps"]:
        _check_step(actual["steps"][step["index"]], step, f"{path.name} step {step['index']}")
    if "year_state" in expect:
        assert actual["year_state"] == expect["year_state"], "year state after the visit"
