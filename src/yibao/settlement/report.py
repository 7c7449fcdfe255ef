"""A replayed visit as JSON (what ``yibao settle`` prints) and as a few readable lines."""

from __future__ import annotations

from yibao.settlement.output import render_lines, render_settlement, render_state
from yibao.settlement.service import ReplayStep, VisitReplay

__all__ = ["replay_as_json", "replay_summary"]


def replay_as_json(replay: VisitReplay, *, trace: bool = True) -> dict[str, object]:
    """Every step with its NHSA output; the year state after the visit."""
    steps = [_step(step, trace=trace) for step in replay.steps]
    return {
        "mdtrt_id": replay.mdtrt_id,
        "steps": steps,
        "year_state": render_state(replay.state.accumulators, replay.state.balance, replay.year),
    }


def _step(step: ReplayStep, *, trace: bool) -> dict[str, object]:
    out: dict[str, object] = {"infno": step.infno}
    if step.settlement is not None:
        output = render_settlement(step.settlement)
        if not trace:
            extra = output["yibao"]
            assert isinstance(extra, dict)
            extra.pop("trace")
        out["output"] = output
        out["committed"] = step.committed
    if step.lines:
        out["result"] = render_lines(step.lines)
    return out


def replay_summary(replay: VisitReplay) -> list[str]:
    """One line per settlement: who paid what, in words a clerk reads at the desk."""
    lines = []
    for step in replay.steps:
        s = step.settlement
        if s is None:
            continue
        a = s.amounts
        what = {"final": "结算", "mid_stay": "中途结算", "reversal": "结算撤销"}[s.kind.value]
        if not step.committed:
            what = "预结算"
        funds = "，".join(f"{row.fund_pay_type.label} {row.fund_payamt}" for row in s.funds)
        lines.append(
            f"{step.infno} {what} {s.setl_id}：医疗费 {a.medfee_sumamt} 元；{funds}；"
            f"个人账户 {a.acct_pay}，现金 {a.psn_cash_pay}（政策 {s.policy_region} {s.policy_version}）"
        )
    return lines
