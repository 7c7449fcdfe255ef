"""Realistic random cases drawn from the compiled rules, for the benchmark and the 1M-row CSV.

Pure (a seeded ``random.Random``): main diagnoses come from the MDC 主诊表s, procedures from the
ADRG procedure lists (and the operating-room list), other diagnoses from the MCC / CC lists; about
3 % are newborns with a birth weight, about 2 % are invalid (an unknown code, no age_days at age
0, a negative stay). The shape of the mix is fixed by the seed, so two runs draw the same cases.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from yibao.drg.model import Case, Rules

__all__ = ["Pools", "draw_cases", "pools"]


@dataclass(frozen=True, slots=True)
class Pools:
    """The code lists cases are drawn from (sorted tuples, so a seed gives the same cases)."""

    main_dx: tuple[tuple[str, str], ...]
    """(MDC, code) pairs: a case's procedures are drawn from its own MDC's ADRGs."""
    newborn_dx: tuple[str, ...]
    procedures: Mapping[str, tuple[str, ...]]
    others: tuple[str, ...]
    or_procedures: tuple[str, ...]


def pools(rules: Rules) -> Pools:
    """Gather the code lists once (a second or so less per run than per case)."""
    known = rules.diagnoses
    main = sorted({(m, c) for m, codes in rules.mdc_main.items() for c in codes if c in known})
    by_mdc: dict[str, tuple[str, ...]] = {}
    for mdc, adrgs in rules.adrgs.items():
        px: set[str] = set()
        for rule in adrgs:
            px |= rule.main_px or frozenset()
            for listed in rule.all_px:
                px |= listed
        by_mdc[mdc] = tuple(sorted(p for p in px if p in rules.procedures))
    return Pools(
        main_dx=tuple(pair for pair in main if pair[0] != "MDCP"),
        newborn_dx=tuple(sorted(c for c in rules.mdc_main.get("MDCP", ()) if c in known)),
        procedures=by_mdc,
        others=tuple(sorted(c for c in (*rules.mcc, *rules.cc) if c in known)),
        or_procedures=tuple(sorted(rules.or_procedures)),
    )


def draw_cases(rules: Rules, count: int, *, seed: int = 1) -> Iterator[Case]:
    """``count`` cases, lazily (a million need not be held in memory)."""
    rng = random.Random(seed)
    codes = pools(rules)
    for i in range(count):
        yield _case(rng, codes, f"C{i:07d}")


def _case(rng: random.Random, codes: Pools, case_id: str) -> Case:
    roll = rng.random()
    newborn = roll < 0.03
    mdc, main = ("MDCP", rng.choice(codes.newborn_dx)) if newborn else rng.choice(codes.main_dx)
    others = tuple(rng.choice(codes.others) for _ in range(rng.choice((0, 0, 1, 2, 3, 5))))
    procedures: tuple[str, ...] = ()
    if rng.random() < 0.45:
        own = codes.procedures.get(mdc) or codes.or_procedures
        pool = own if rng.random() < 0.85 else codes.or_procedures
        procedures = tuple(rng.choice(pool) for _ in range(rng.choice((1, 1, 2, 3))))
    age = 0 if newborn else rng.randint(1, 95)
    days = rng.randint(0, 28) if newborn else None
    weight = rng.randint(800, 4500) if newborn else None
    los = rng.randint(1, 30)
    if roll > 0.98:
        return _invalid(rng, case_id, main)
    return Case(case_id, rng.choice("12"), age, days, weight, los, "1", (main, *others), procedures)


def _invalid(rng: random.Random, case_id: str, main: str) -> Case:
    kind = rng.randrange(3)
    if kind == 0:
        return Case(case_id, "1", 40, None, None, 3, "1", (main, "X99.999"), ())
    if kind == 1:
        return Case(case_id, "2", 0, None, 3000, 3, "1", (main,), ())
    return Case(case_id, "1", 40, None, None, -1, "1", (main,), ())
