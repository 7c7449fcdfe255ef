"""The persons and institutions of a generated month, as NumPy columns.

Persons: sex, birth date (drawn so that the person stays in one age group over the whole window
generated, history included), scheme (60% employees 310, 40% residents 390), a home institution
for outpatient care. About 40% of the persons are *inpatients*: each is admitted at most once per
pass over them, and has no outpatient visit elsewhere, so that readmissions and overlapping visits
appear only where the anomalies put them.

Institutions are the demo catalogue's (8, of levels 三级甲等 to 无等级, including one pharmacy that
has no visits here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.catalog.model import Institution
from yibao.demo.month_arrow import ids
from yibao.demo.month_codes import AGE_GROUPS, TIERS

__all__ = ["Institutions", "People", "make_institutions", "make_people"]

_AGE_SHARES = (0.04, 0.10, 0.03, 0.42, 0.11, 0.30)
_INSUTYPES = ("310", "390")


@dataclass(frozen=True, slots=True)
class People:
    """Every person of the month, by index."""

    psn_no: Any
    #: 0 male, 1 female
    sex: Any
    birth_day: Any
    age_group: Any
    #: 0 employee (310), 1 resident (390)
    scheme: Any
    home: Any
    outpatients: Any
    inpatients: Any

    @property
    def insutypes(self) -> Any:
        return pa.array(_INSUTYPES, type=pa.string())


@dataclass(frozen=True, slots=True)
class Institutions:
    """The institutions visits go to."""

    code: Any
    hosp_lv: Any
    admdvs: Any
    tier: Any
    hospitals: Any
    clinics: Any

    def __len__(self) -> int:
        return len(self.code)


def make_institutions(found: Mapping[str, Institution]) -> Institutions:
    """The demo institutions that see patients (not the pharmacy), in code order."""
    usable = [found[c] for c in sorted(found) if found[c].kind != "pharmacy"]
    tiers = [list(TIERS).index(i.tier) for i in usable]
    hospitals = [n for n, i in enumerate(usable) if i.kind == "hospital"]
    return Institutions(
        code=pa.array([i.fixmedins_code for i in usable], type=pa.string()),
        hosp_lv=pa.array([str(i.hosp_lv) for i in usable], type=pa.string()),
        admdvs=pa.array([i.admdvs for i in usable], type=pa.string()),
        tier=np.array(tiers, dtype=np.int8),
        hospitals=np.array(hospitals, dtype=np.int64),
        clinics=np.arange(len(usable), dtype=np.int64),
    )


def make_people(
    count: int, *, first_day: int, last_day: int, places: Institutions, rng: np.random.Generator
) -> People:
    """``count`` persons whose age group holds from ``first_day`` to ``last_day`` (day numbers)."""
    group = rng.choice(len(AGE_GROUPS), size=count, p=_AGE_SHARES).astype(np.int8)
    low = np.array([g[0] for g in AGE_GROUPS])[group] + 3
    high = np.array([g[1] for g in AGE_GROUPS])[group] - 3 - (last_day - first_day)
    age_at_start = low + rng.random(count) * (high - low)
    birth = (first_day - age_at_start).astype(np.int32)
    employee_age = (group >= 3) & (group <= 5)
    scheme = np.where(employee_age & (rng.random(count) < 0.75), 0, 1).astype(np.int8)
    # busier institutions draw more patients: tier3 hospitals first
    weights = (places.tier.astype(float) + 1.0) ** 2
    home = rng.choice(len(places), size=count, p=weights / weights.sum()).astype(np.int64)
    inpatient = rng.random(count) < 0.4
    return People(
        psn_no=ids("9901", np.arange(1, count + 1), 10),
        sex=rng.integers(0, 2, size=count).astype(np.int8),
        birth_day=birth,
        age_group=group,
        scheme=scheme,
        home=home,
        outpatients=np.flatnonzero(~inpatient),
        inpatients=rng.permutation(np.flatnonzero(inpatient)),
    )
