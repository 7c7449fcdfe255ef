"""A month of simulated cross-region traffic (异地就医) for the clearing demo and its tests.

Three regions (:data:`REGIONS`): 990100 and 990200 in province 99, 980100 in province 98, with
patients going every way between them (:data:`FLOWS`, visits per care → insuring region).
Every draw is SHA-256 of the seed and a key, so the same seed gives the same month on any
machine and Python version. Each visit settles once (``final``); every 7th first settles mid-stay
(``mid_stay`` + ``final``); every 9th is reversed (``final`` + ``reversal``), and every 18th of
those settled again. Amounts are exact fen: the funds pay a ratio of the bill, rounded by
:func:`~yibao.kernel.money.apply_ratio`, the personal account part of the rest.

:func:`simulate_month` is pure and returns the receivables; :func:`store_month` writes them as
real rows, with what they hang on (regions, one institution per region, persons, visits,
settlements), so the clearing reads them as it reads settlement's own.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Table, insert, select

from yibao.catalog.tables import institutions, regions
from yibao.crossregion.clearing_values import parse_period
from yibao.kernel.money import ZERO, apply_ratio
from yibao.registry.tables import persons
from yibao.settlement.tables import region_receivables, settlements, visits
from yibao.store.types import ScaledDecimal

__all__ = [
    "FLOWS",
    "REGIONS",
    "SimulatedMonth",
    "SimulatedReceivable",
    "simulate_month",
    "store_month",
]

#: admdvs → (name, province)
REGIONS = {"990100": ("示例市", "99"), "990200": ("示例二市", "99"), "980100": ("邻省示例市", "98")}
#: (care region, insuring region) → visits in the month
FLOWS = {
    ("990100", "990200"): 31, ("990200", "990100"): 23, ("990100", "980100"): 17,
    ("980100", "990100"): 26, ("990200", "980100"): 9, ("980100", "990200"): 14,
}  # fmt: skip
_RATIOS = [Decimal(r) for r in ("0.55", "0.60", "0.70", "0.75", "0.80", "0.85", "0.90")]
_PERSONS = 40
_AMOUNTS = [c.name for c in settlements.columns if isinstance(c.type, ScaledDecimal)]


@dataclass(frozen=True, slots=True)
class SimulatedReceivable:
    """One settlement of the month and what the insuring region owes for it."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    fixmedins_code: str
    care_admdvs: str
    insu_admdvs: str
    kind: str
    setl_time: datetime
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    reverses: str | None = None

    @property
    def amount(self) -> Decimal:
        """Funds plus personal account: what the care region advanced."""
        return self.fund_pay_sumamt + self.acct_pay

    @property
    def pay_loc(self) -> str:
        """2 省内异地, 3 跨省异地."""
        return "2" if REGIONS[self.care_admdvs][1] == REGIONS[self.insu_admdvs][1] else "3"


@dataclass(frozen=True, slots=True)
class SimulatedMonth:
    """The month's receivables, in settlement order."""

    period: str
    receivables: tuple[SimulatedReceivable, ...]


def institution_of(region: str) -> str:
    """The one simulated institution of a region."""
    return f"H{region}S0001"


def person_of(region: str, n: int) -> str:
    """The ``n``-th simulated person insured in a region."""
    return f"SP{region}{n:04d}"


def _draw(seed: str, *key: object) -> int:
    digest = hashlib.sha256("\x1f".join(map(str, (seed, *key))).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _fen(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)


def simulate_month(period: str, *, seed: str = "clearing") -> SimulatedMonth:
    """The month's receivables for :data:`FLOWS` (pure, deterministic)."""
    month = parse_period(period)
    year, mon = int(month[:4]), int(month[5:])
    days = calendar.monthrange(year, mon)[1]
    found: list[SimulatedReceivable] = []
    for (care, insu), count in FLOWS.items():
        for n in range(count):
            mdtrt_id = f"S{year:04d}{mon:02d}{care}{insu}{n:03d}"
            found.extend(
                _visit(seed, mdtrt_id, (care, insu), n, first=date(year, mon, 1), days=days)
            )
    return SimulatedMonth(month, tuple(sorted(found, key=lambda r: (r.setl_time, r.setl_id))))


def _visit(
    seed: str, mdtrt_id: str, flow: tuple[str, str], n: int, *, first: date, days: int
) -> Iterator[SimulatedReceivable]:
    """One visit's settlements: final; mid-stay and final; or final, reversal (and again)."""
    care, insu = flow

    def draw(*key: object) -> int:
        return _draw(seed, mdtrt_id, *key)

    start = datetime(first.year, first.month, 1 + draw("day") % (days - 2), 8 + draw("hour") % 10)
    base = {"mdtrt_id": mdtrt_id, "psn_no": person_of(insu, draw("psn") % _PERSONS),
            "fixmedins_code": institution_of(care), "care_admdvs": care, "insu_admdvs": insu}  # fmt: skip

    def settle(k: int, at: datetime, kind: str = "final") -> SimulatedReceivable:
        medfee = 5000 + draw("fee", k) % 3_000_000
        fund = apply_ratio(_fen(medfee), _RATIOS[draw("ratio", k) % len(_RATIOS)])
        acct = (
            min(_fen(medfee) - fund, _fen(draw("acct", k) % 60_000))
            if draw("uses", k) % 3
            else ZERO
        )
        return SimulatedReceivable(f"{mdtrt_id}-S{k}", kind=kind, setl_time=at, medfee_sumamt=_fen(medfee),
                                   fund_pay_sumamt=fund, acct_pay=acct, **base)  # fmt: skip

    if n % 7 == 3:
        yield settle(1, start, "mid_stay")
        yield settle(2, start + timedelta(days=1, hours=5))
        return
    first_final = settle(1, start)
    yield first_final
    if n % 9 == 4:
        yield SimulatedReceivable(
            f"{mdtrt_id}-R1", kind="reversal", setl_time=start + timedelta(hours=3),
            medfee_sumamt=-first_final.medfee_sumamt, fund_pay_sumamt=-first_final.fund_pay_sumamt,
            acct_pay=-first_final.acct_pay, reverses=first_final.setl_id, **base,
        )  # fmt: skip
        if n % 18 == 4:
            yield settle(2, start + timedelta(days=1))


def store_month(connection: Connection, month: SimulatedMonth) -> int:
    """Write the month as rows (regions, institutions and persons only when missing); the number
    of receivables written."""
    _missing(connection, regions, regions.c.admdvs, [
        {"admdvs": code, "name": name, "province": province} for code, (name, province) in REGIONS.items()
    ])  # fmt: skip
    _missing(connection, institutions, institutions.c.fixmedins_code, [
        {"fixmedins_code": institution_of(code), "fixmedins_name": f"{name}模拟医院", "hosp_lv": "01",
         "admdvs": code, "kind": "hospital", "demo": True, "remote_enabled": True}
        for code, (name, _) in REGIONS.items()
    ])  # fmt: skip
    _missing(connection, persons, persons.c.psn_no, [
        {"psn_no": person_of(code, n), "psn_cert_type": "01", "certno": f"{code}19800101{n:04d}",
         "psn_name": f"模拟{code}-{n}", "gend": "1" if n % 2 else "2", "brdy": date(1980, 1, 1),
         "naty": "01"}
        for code in REGIONS for n in range(_PERSONS)
    ])  # fmt: skip
    reversed_by = {r.reverses: r.setl_id for r in month.receivables if r.reverses}
    by_visit: dict[str, list[SimulatedReceivable]] = {}
    for r in month.receivables:
        by_visit.setdefault(r.mdtrt_id, []).append(r)
    connection.execute(insert(visits), [{
        "mdtrt_id": mdtrt_id, "fixmedins_code": rs[0].fixmedins_code, "psn_no": rs[0].psn_no,
        "insutype": "310", "med_type": "21" if rs[0].kind == "mid_stay" else "11",
        "begntime": rs[0].setl_time - timedelta(hours=2), "endtime": rs[-1].setl_time,
        "mdtrtarea_admvs": rs[0].care_admdvs, "insuplc_admdvs": rs[0].insu_admdvs, "ipt_no": None,
        "status": "open" if rs[-1].kind == "reversal" else "settled", "created_msgid": f"sim-{mdtrt_id}",
    } for mdtrt_id, rs in by_visit.items()])  # fmt: skip
    connection.execute(
        insert(settlements), [_settlement(r, reversed_by.get(r.setl_id)) for r in month.receivables]
    )
    connection.execute(insert(region_receivables), [{
        "setl_id": r.setl_id, "mdtrt_id": r.mdtrt_id, "psn_no": r.psn_no,
        "fixmedins_code": r.fixmedins_code, "care_admdvs": r.care_admdvs, "insu_admdvs": r.insu_admdvs,
        "pay_loc": r.pay_loc, "kind": r.kind, "setl_time": r.setl_time, "period": month.period,
        "medfee_sumamt": r.medfee_sumamt, "fund_pay_sumamt": r.fund_pay_sumamt,
        "acct_pay": r.acct_pay, "amount": r.amount,
    } for r in month.receivables])  # fmt: skip
    return len(month.receivables)


def _missing(
    connection: Connection, table: Table, key: Column[Any], rows: list[dict[str, object]]
) -> None:
    have = set(connection.execute(select(key)).scalars())
    new = [row for row in rows if row[key.name] not in have]
    if new:
        connection.execute(insert(table), new)


def _settlement(r: SimulatedReceivable, reversed_by: str | None) -> dict[str, object]:
    """A settlements row consistent with the receivable (the funds are all basic pool)."""
    psn_part = r.medfee_sumamt - r.fund_pay_sumamt
    row: dict[str, object] = dict.fromkeys(_AMOUNTS, ZERO)
    row.update({
        "setl_id": r.setl_id, "mdtrt_id": r.mdtrt_id, "psn_no": r.psn_no,
        "fixmedins_code": r.fixmedins_code, "insutype": "310", "kind": r.kind,
        "setl_time": r.setl_time, "policy_region": r.insu_admdvs, "policy_version": "sim",
        "reverses": r.reverses, "reversed_by": reversed_by, "msgid": f"sim-{r.setl_id}",
        "medfee_sumamt": r.medfee_sumamt, "inscp_scp_amt": r.medfee_sumamt,
        "hifp_pay": r.fund_pay_sumamt, "fund_pay_sumamt": r.fund_pay_sumamt,
        "psn_part_amt": psn_part, "acct_pay": r.acct_pay, "psn_cash_pay": psn_part - r.acct_pay,
        "pool_prop_selfpay": ZERO, "document": "{}",
    })  # fmt: skip
    return row
