"""A month of simulated outpatient traffic settled through the real settlement service, and the
batch audit's violations on some of its lines, for the monthly clearing tests.

Every draw comes from one ``random.Random(seed)``: the same seed gives the same month. Visits go
to the enabled hospitals of 990100, by employees (with their personal account) and residents,
with two to four catalogued lines each billed by one of three departments (every even visit by
A01); every 9th settlement
is reversed a day later. :func:`plant_violations` stores after-settlement (事后) violations as the
monthly batch would, for the lines chosen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, select

from yibao.audit.findings import Finding
from yibao.audit.model import Action, Grade, Moment
from yibao.audit.review_findings import record_findings
from yibao.catalog.tables import institutions
from yibao.kernel.money import fen
from yibao.registry.tables import enrolments
from yibao.settlement.model import FeeLine, Settlement
from yibao.settlement.visits import (
    Reference,
    SettleRequest,
    register_visit,
    reverse_settlement,
    settle_visit,
    upload_lines,
)
from yibao.store.engine import write_transaction

DEPARTMENTS = ("A01", "A02", "A03")


@dataclass(frozen=True, slots=True)
class Replayed:
    """The month's settlements (reversals included) and the lines settled, by visit."""

    settlements: tuple[Settlement, ...]
    lines: dict[str, tuple[FeeLine, ...]]
    institutions: tuple[str, ...]


def replay_month(
    engine: Engine, ref: Reference, *, period: str, visits: int, seed: int = 7
) -> Replayed:
    rng = random.Random(seed)
    year, month = int(period[:4]), int(period[5:])
    with engine.connect() as connection:
        hospitals = sorted(connection.execute(select(institutions.c.fixmedins_code).where(
            institutions.c.admdvs == "990100", institutions.c.remote_enabled.is_(True),
            institutions.c.fixmedins_code.like("H%"))).scalars())[:3]  # fmt: skip
        people = connection.execute(
            select(enrolments.c.psn_no, enrolments.c.insutype).where(
                enrolments.c.insuplc_admdvs == "990100", enrolments.c.insutype.in_(("310", "390")))
            .order_by(enrolments.c.psn_no)
        ).all()  # fmt: skip
    catalog = ref.view("990100", date(year, month, 1))
    codes = sorted(
        c for c, e in catalog.items() if e.price_ceilings and min(e.price_ceilings.values()) > 0
    )
    done: list[Settlement] = []
    lines: dict[str, tuple[FeeLine, ...]] = {}
    for n in range(visits):
        caller = hospitals[n % len(hospitals)]
        psn_no, insutype = people[rng.randrange(len(people))]
        when = datetime(year, month, 1 + n % 27, 8 + n % 9, rng.randrange(60))
        dept = DEPARTMENTS[0] if n % 2 == 0 else DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        visit_lines = tuple(
            _line(rng, i, catalog, codes, when, dept) for i in range(1, 2 + rng.randrange(3) + 1)
        )
        with write_transaction(engine) as connection:
            mdtrt_id = register_visit(connection, caller=caller, psn_no=psn_no, insutype=insutype, med_type="11",
                                      begntime=when, mdtrtarea_admvs="990100", msgid=f"M{n:08d}")  # fmt: skip
            upload_lines(connection, ref, caller=caller, mdtrt_id=mdtrt_id, lines=visit_lines,
                         chrg_bchno=f"B{n}", where="2204.feedetail")  # fmt: skip
            request = SettleRequest(
                mdtrt_id, psn_no, insutype, insutype == "310", False, None, "02", "2207"
            )
            settled = settle_visit(connection, ref, caller=caller, request=request, commit=True,
                                   msgid=f"S{n:08d}", now=when + timedelta(minutes=30))  # fmt: skip
        done.append(settled)
        lines[mdtrt_id] = visit_lines
        if n % 9 == 8:
            with write_transaction(engine) as connection:
                done.append(reverse_settlement(connection, caller=caller, mdtrt_id=mdtrt_id,
                                               setl_id=settled.setl_id, psn_no=psn_no, msgid=f"R{n:08d}",
                                               now=when + timedelta(days=1)))  # fmt: skip
    return Replayed(tuple(done), lines, tuple(hospitals))


def _line(
    rng: random.Random, index: int, catalog: dict, codes: list[str], when: datetime, dept: str
) -> FeeLine:  # type: ignore[type-arg]
    entry = catalog[codes[rng.randrange(len(codes))]]
    price = min(entry.price_ceilings.values())
    count = Decimal(1 + rng.randrange(4))
    return FeeLine(str(index), entry.code, f"HIS{index}", count, price, fen(price * count), when,
                   "1", None, "", dept, {"A01": "内科", "A02": "外科", "A03": "儿科"}[dept])  # fmt: skip


def plant_violations(
    connection: Connection, replayed: Replayed, picks: list[tuple[str, str, str, Decimal | None]], *, now: datetime,
    period: str,
) -> list[int]:  # fmt: skip
    """Store 事后 violations: (mdtrt_id, feedetl_sn, family, amount or the line's amount)."""
    found = []
    for mdtrt_id, sn, family, amount in picks:
        line = next(x for x in replayed.lines[mdtrt_id] if x.feedetl_sn == sn)
        psn_no = next(
            s.visit.person.psn_no for s in replayed.settlements if s.visit.mdtrt_id == mdtrt_id
        )
        found.append(Finding(
            f"TEST-{family}", f"测试规则（{family}）", family, Grade.VIOLATION, Action.WARN, mdtrt_id, psn_no, sn,
            line.det_item_fee_sumamt if amount is None else amount, line.fee_ocur_time.date(),
            f"{line.med_list_codg} 违反{family}", "测试依据",
        ))  # fmt: skip
    return list(record_findings(connection, found, moment=Moment.AFTER, reference="batch-test", now=now,
                                period=period).finding_ids)  # fmt: skip
