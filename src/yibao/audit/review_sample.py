"""Draw a period's inpatient sample (住院抽审): at least 10% of each institution's settled stays.

National guidance asks the agency to check at least 10% of inpatient claims by hand. For each
institution with settled inpatient visits in the month (``review_sources``), the pure
:func:`~yibao.audit.review_model.draw_sample` picks ``ceil(share × visits)`` of them (at least one)
by the SHA-256 rank of seed and ``mdtrt_id``; each drawn visit gets a ``sample`` case, opened and
waiting for the institution's records, its amount at issue being what the funds paid for it.

One draw per institution and period: ``audit_samples`` keeps the seed, the share and the counts,
so the draw can be checked by repeating it. Drawing a period again leaves institutions already
drawn as they were (reported with the seed they were drawn with) and draws the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from yibao.audit.review_model import (
    MIN_SHARE,
    CaseReason,
    Period,
    check_share,
    draw_sample,
    text,
)
from yibao.audit.review_records import InstitutionSample, SampleDraw
from yibao.audit.review_sources import VisitClaim, settled_inpatient_visits
from yibao.audit.review_store import NewCase, open_cases
from yibao.audit.tables import cases, samples

__all__ = ["draw_inpatient_sample"]


def draw_inpatient_sample(
    connection: Connection,
    *,
    period: str,
    seed: str,
    actor: str,
    now: datetime,
    share: Decimal | str = MIN_SHARE,
    fixmedins_code: str | None = None,
) -> SampleDraw:
    """Draw the period's sample for every institution (or one) not drawn yet; open its cases."""
    month = Period.parse(period)
    chosen_seed = text(seed, field="seed", limit=64)
    who = text(actor, field="actor", limit=60)
    fraction = check_share(share)
    code = (
        None if fixmedins_code is None else text(fixmedins_code, field="fixmedins_code", limit=30)
    )
    claims = settled_inpatient_visits(connection, month, fixmedins_code=code)
    by_institution: dict[str, list[VisitClaim]] = {}
    for claim in claims:
        by_institution.setdefault(claim.fixmedins_code, []).append(claim)
    if code is not None:
        by_institution.setdefault(code, [])
    earlier = _earlier_draws(connection, str(month))
    results = []
    for institution in sorted(by_institution):
        population = by_institution[institution]
        if institution in earlier:
            results.append(_earlier(connection, str(month), institution, earlier[institution]))
            continue
        results.append(_draw(connection, month, institution, population, seed=chosen_seed,
                             share=fraction, actor=who, now=now))  # fmt: skip
    return SampleDraw(str(month), chosen_seed, fraction, tuple(results))


def _draw(
    connection: Connection, month: Period, institution: str, population: Sequence[VisitClaim],
    *, seed: str, share: Decimal, actor: str, now: datetime,
) -> InstitutionSample:  # fmt: skip
    by_id = {c.mdtrt_id: c for c in population}
    drawn = draw_sample(by_id, seed=seed, share=share)
    what = (f"inpatient sample {month}: {len(drawn)} of {len(population)} settled inpatient "
            f"visit(s), share {share}, seed {seed}")  # fmt: skip
    new = [NewCase(
        reason=CaseReason.SAMPLE, mdtrt_id=m, psn_no=by_id[m].psn_no, fixmedins_code=institution,
        period=str(month), amount_at_issue=by_id[m].fund_pay, actor=actor, text=what,
    ) for m in drawn]  # fmt: skip
    case_ids = open_cases(connection, new, now=now)
    if population:
        connection.execute(insert(samples), [{
            "period": str(month), "fixmedins_code": institution, "seed": seed, "share": share,
            "population": len(population), "drawn": len(drawn), "actor": actor, "drawn_at": now,
        }])  # fmt: skip
    return InstitutionSample(institution, len(population), drawn, tuple(case_ids))


def _earlier_draws(connection: Connection, period: str) -> dict[str, tuple[str, int]]:
    rows = connection.execute(
        select(samples.c.fixmedins_code, samples.c.seed, samples.c.population).where(
            samples.c.period == period
        )
    )
    return {r.fixmedins_code: (r.seed, int(r.population)) for r in rows}


def _earlier(
    connection: Connection, period: str, institution: str, draw: tuple[str, int]
) -> InstitutionSample:
    """An institution drawn before: its sample cases as they were opened."""
    c = cases.c
    rows = connection.execute(
        select(c.case_id, c.mdtrt_id)
        .where(c.reason == CaseReason.SAMPLE.value, c.period == period,
               c.fixmedins_code == institution)
        .order_by(c.case_id)
    ).all()  # fmt: skip
    seed, population = draw
    return InstitutionSample(
        institution,
        population,
        tuple(r.mdtrt_id for r in rows),
        tuple(int(r.case_id) for r in rows),
        earlier_seed=seed,
    )
