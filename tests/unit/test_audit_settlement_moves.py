"""settlement.split.apply_audit and audit.realtime: a self-pay finding moves exactly its amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import FeeLineRecord, VisitRecord, build_facts
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.realtime import RealtimeAuditor
from yibao.settlement.model import LineSplit
from yibao.settlement.split import AuditMove, apply_audit

D = Decimal
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "audit-examples"


def split(sn: str, det: str, full: str, over: str, pre: str, prop: str) -> LineSplit:
    inscp = D(det) - D(full) - D(over) - D(pre)
    return LineSplit(sn, D(det), D(1), D(det), None, D(prop), D(full), D(over), D(pre), inscp,
                     "02", "09", "0", "")  # fmt: skip


def parts(s: LineSplit) -> tuple[Decimal, ...]:
    return s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt


def test_a_move_goes_to_full_self_pay_and_the_rest_is_split_again() -> None:
    lines = (
        split("1", "100.00", "0", "10.00", "9.00", "0.10"),
        split("2", "50.00", "0", "0", "0", "0"),
    )
    moved, applied = apply_audit(lines, [AuditMove("1", D("33.33"), "R1", "t")])
    # rest 66.67: 超限价 10.00 kept, 先行自付 (66.67 − 10.00) × 10% = 5.667 → 5.67
    assert parts(moved[0]) == (D("33.33"), D("10.00"), D("5.67"), D("51.00"))
    assert sum(parts(moved[0])) == D("100.00")
    assert moved[1] == lines[1]
    assert applied == (AuditMove("1", D("33.33"), "R1", "t"),)
    assert "智能审核R1：33.33元全自费" in moved[0].memo


def test_moves_on_one_line_take_at_most_what_the_line_still_pays() -> None:
    lines = (split("1", "20.00", "5.00", "0", "0", "0"),)
    moved, applied = apply_audit(
        lines, [AuditMove("1", D("10.00"), "R1", "a"), AuditMove("1", D("10.00"), "R2", "b")]
    )
    assert parts(moved[0]) == (D("20.00"), D("0"), D("0.00"), D("0.00"))
    assert [m.amount for m in applied] == [D("10.00"), D("5.00")]
    assert apply_audit(lines, [AuditMove("9", D("1"), "R1", "x")]) == (lines, ())


def test_skipping_families_no_line_matches_finds_the_same_as_running_them_all() -> None:
    rule_base = load_rule_base(EXAMPLES)
    day = date(2026, 3, 2)
    codes = ["XL02BBA326A001010102180", "001103000010000", "001102000030000", "001102000050000",
             "002503020030000", "X-NOT-IN-ANY-RULE"]  # fmt: skip
    lines = tuple(FeeLineRecord(str(i), c, "名称", D(2), D("10"), D("20.00"), day)
                  for i, c in enumerate(codes))  # fmt: skip
    visit = VisitRecord("M1", "P1", "2", date(1980, 1, 1), "310", "21", "H1", "05", "990101",
                        day, lines=lines)  # fmt: skip
    auditor = RealtimeAuditor(rule_base)
    with AuditEngine(rule_base) as engine:
        full = engine.evaluate(build_facts([visit]), moment=Moment.DURING, day=day)
    fast = auditor.audit(visit, moment=Moment.DURING, day=day)
    auditor.close()
    assert fast.findings == full.findings
    assert {f.rule_id for f in full.findings} >= {"EX-SEX", "EX-PAIR", "EX-FREQUENCY"}
    assert len(auditor.families(["X-NOT-IN-ANY-RULE"])) < len(auditor.engine.compiled.queries)
