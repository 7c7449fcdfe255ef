"""Generated visits for benchmarks and demos: random but reproducible from a seed.

Lines draw from the region's catalogue in force (every class, some above their ceiling, some
codes not listed at all); persons vary in insurance type, retirement, civil-servant status and
special identity, so a batch of visits touches every step of the engine. A person is insured in
the region of the institution (a local visit) unless ``insuplc_admdvs`` names another region.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from yibao.catalog.model import CatalogEntry, Institution
from yibao.kernel.codes import HospApprFlag, PsnIdetType
from yibao.kernel.money import fen
from yibao.settlement.model import FeeLine, Person, Visit

__all__ = ["generate_visit", "generate_visits"]

_CENT = Decimal("0.01")


def generate_visit(
    rng: random.Random,
    *,
    number: int,
    catalog: Mapping[str, CatalogEntry],
    codes: list[str],
    institution: Institution,
    lines: int,
    day: date,
    inpatient: bool = True,
    insuplc_admdvs: str | None = None,
) -> Visit:
    """One visit of ``lines`` fee lines for a random person insured in ``insuplc_admdvs``.

    The default is the institution's region: a local visit.
    """
    insutype = rng.choice(("310", "390"))
    admitted = datetime(day.year, day.month, day.day, 8, 0)
    person = _person(rng, number, insutype, insuplc_admdvs or institution.admdvs)
    fee_lines = tuple(_line(rng, i, catalog, codes, admitted) for i in range(1, lines + 1))
    return Visit(
        mdtrt_id=f"GEN{number:08d}",
        person=person,
        institution=institution,
        insutype=insutype,
        med_type="21" if inpatient else "11",
        begntime=admitted,
        endtime=admitted + timedelta(days=rng.randint(1, 20)) if inpatient else None,
        mdtrtarea_admvs=institution.admdvs,
        lines=fee_lines,
        acct_used_flag=insutype == "310" and rng.random() < 0.7,
    )


def generate_visits(
    *,
    catalog: Mapping[str, CatalogEntry],
    institutions: list[Institution],
    count: int,
    lines: int,
    day: date,
    seed: int = 20261124,
) -> list[Visit]:
    """``count`` visits at random institutions, reproducible for one seed."""
    rng = random.Random(seed)
    codes = sorted(catalog)
    return [
        generate_visit(rng, number=n, catalog=catalog, codes=codes,
                       institution=rng.choice(institutions), lines=lines, day=day)
        for n in range(count)
    ]  # fmt: skip


def _person(rng: random.Random, number: int, insutype: str, insuplc_admdvs: str) -> Person:
    employee = insutype == "310"
    retired = employee and rng.random() < 0.3
    identities: frozenset[PsnIdetType] = frozenset()
    if not employee and rng.random() < 0.15:
        identities = frozenset({rng.choice(list(PsnIdetType))})
    return Person(
        psn_no=f"GP{number:010d}",
        psn_name="演示参保人",
        gend=rng.choice(("1", "2")),
        brdy=date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28)),
        psn_cert_type="01",
        certno="",
        insutype=insutype,
        psn_type=("1201" if retired else "1101") if employee else "1501",
        cvlserv_flag=employee and rng.random() < 0.1,
        insuplc_admdvs=insuplc_admdvs,
        identities=identities,
    )


def _line(
    rng: random.Random,
    index: int,
    catalog: Mapping[str, CatalogEntry],
    codes: list[str],
    when: datetime,
) -> FeeLine:
    unlisted = rng.random() < 0.02
    code = f"UNLISTED{index:04d}" if unlisted else rng.choice(codes)
    entry = None if unlisted else catalog[code]
    ceilings = list(entry.price_ceilings.values()) if entry else []
    base = max(ceilings) if ceilings else Decimal(rng.randint(100, 50000)) * _CENT
    price = fen(base * Decimal(rng.choice(("0.8", "1", "1", "1.2"))))
    count = Decimal(rng.randint(1, 10))
    flag = HospApprFlag.APPROVED if rng.random() < 0.7 else HospApprFlag.NOT_REQUIRED
    return FeeLine(
        feedetl_sn=str(index),
        med_list_codg=code,
        medins_list_codg=f"HIS{index:05d}",
        cnt=count,
        pric=price,
        det_item_fee_sumamt=fen(price * count),
        fee_ocur_time=when,
        hosp_appr_flag=flag.value,
    )
