"""Shared set-up of the DRG history tests: the demo regions loaded and the employees of 990100."""

from __future__ import annotations

from sqlalchemy import Engine, select

from yibao.catalog.service import demo_store
from yibao.demo.load import load_demo
from yibao.registry.tables import enrolments
from yibao.settlement.visits import Reference, load_reference


def demo_employees(engine: Engine, *, persons: int = 120) -> tuple[Reference, list[str]]:
    """Load the demo into ``engine``; the settlement reference and 990100's employees (310)."""
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=persons)
    with engine.connect() as connection:
        ref = load_reference(connection)
        people = (
            connection.execute(
                select(enrolments.c.psn_no)
                .where(enrolments.c.insutype == "310", enrolments.c.insuplc_admdvs == "990100")
                .order_by(enrolments.c.psn_no)
            )
            .scalars()
            .all()
        )
    return ref, list(people)
