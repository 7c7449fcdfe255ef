"""The codes a generated month bills, and which persons, visits and institutions may use each one.

:class:`CodeBook` indexes every code of the demo catalogue (real national codes and names) plus
the codes the rule bases' tables name that the catalogue lacks (the examples' illustrative codes),
with a price in fen per institution tier and the catalogue ceiling (``pric_uplmt``).

Every drug of the demo catalogue comes from a restriction batch of the national rules (两库), so
a code drawn at random would break a rule on most lines. The book therefore reads the rule bases
and builds **pools**: for each stratum (sex × age group × kind of care × institution tier) the
codes that no line rule forbids there (``sex``, ``age``, ``med_type``, ``inst_level``), without
the codes only used on purpose (``insutype``, limits per day or cycle, operations, pairs of
``duplicate_pair`` sharing a colour, and the codes of the examples' families). Items that form a
``duplicate_pair`` get a colour such that no two codes of one colour make a pair; a visit draws
its items from one colour. Violations are then injected deliberately (``month_anomalies``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.audit.model import Rule, RuleBase
from yibao.audit.params import age_in_days
from yibao.catalog.model import CatalogEntry
from yibao.kernel.tiers import HospitalTier

__all__ = ["AGE_GROUPS", "CARES", "CodeBook", "Pools", "build_code_book", "stratum_of"]

_YEAR = 365.25
#: age groups in days [from, below): no rule band boundary falls inside one
AGE_GROUPS: tuple[tuple[float, float], ...] = (
    (28.0, 3 * _YEAR), (3 * _YEAR, 16 * _YEAR), (16 * _YEAR, 18 * _YEAR),
    (18 * _YEAR, 55 * _YEAR), (55 * _YEAR, 60 * _YEAR), (60 * _YEAR, 95 * _YEAR),
)  # fmt: skip
#: kinds of care and their med_type: outpatient, emergency, inpatient, chronic outpatient
CARES = ("11", "13", "21", "14")
TIERS = (HospitalTier.PRIMARY, HospitalTier.TIER1, HospitalTier.TIER2, HospitalTier.TIER3)
_STRATA = 2 * len(AGE_GROUPS) * len(CARES) * len(TIERS)
#: families whose codes are billed only on purpose, never drawn at random
_ON_PURPOSE = frozenset(("insutype", "frequency", "cycle", "course", "main_secondary_operation",
                         "bundled", "split_billing", "indication", "quantity_unit",
                         "price_ceiling", "phantom_billing"))  # fmt: skip
KIND_WEST, KIND_TCM, KIND_ITEM, KIND_MATERIAL = 0, 1, 2, 3


def stratum_of(gend: Any, age_group: Any, care: Any, tier: Any) -> Any:
    """The stratum number of arrays of (sex 0/1, age group, care, tier rank 0–3)."""
    return ((gend * len(AGE_GROUPS) + age_group) * len(CARES) + care) * len(TIERS) + tier


@dataclass(frozen=True, slots=True)
class Pools:
    """Index lists of codes, one per key, flattened: key k holds ``flat[start[k]:start[k]+size[k]]``."""

    flat: Any
    start: Any
    size: Any

    def draw(self, keys: Any, rng: np.random.Generator) -> Any:
        """One code index per key; the front of each (shuffled) pool is drawn more often."""
        u = rng.random(len(keys))
        at = (self.size[keys] * u * u).astype(np.int64)
        return self.flat[self.start[keys] + at]


@dataclass(slots=True)
class CodeBook:
    """Every code the generator may bill, with its prices, limits and pools."""

    codes: list[str]
    names: list[str]
    kind: Any
    fee_type: list[str]
    #: price in fen by tier rank (0 primary … 3 tier3) and code
    price_fen: Any
    #: catalogue ceiling in fen by tier rank and code; -1 where none
    ceiling_fen: Any
    pay_max_days: Any
    nutrition: Any
    index: dict[str, int] = field(default_factory=dict)
    #: codes no line rule restricts by sex, age or tier, and those allowed for inpatients
    plain: Any = None
    inpatient_ok: Any = None
    drugs: Pools | None = None
    daily_drugs: Pools | None = None
    items: Pools | None = None
    colours: int = 1
    #: the table rows of every rule of a family, for the anomalies
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    rules: dict[str, list[Rule]] = field(default_factory=dict)

    _arrays: tuple[Any, Any, int] | None = None

    def code_array(self) -> Any:
        return self._vocabulary()[0]

    def name_array(self) -> Any:
        return self._vocabulary()[1]

    def _vocabulary(self) -> tuple[Any, Any, int]:
        if self._arrays is None or self._arrays[2] != len(self.codes):
            self._arrays = (pa.array(self.codes, type=pa.string()),
                            pa.array(self.names, type=pa.string()), len(self.codes))  # fmt: skip
        return self._arrays

    def of(self, codes: Iterable[str]) -> Any:
        """The indices of ``codes`` (every one must be in the book)."""
        return np.array([self.index[c] for c in codes], dtype=np.int64)

    def add(self, code: str, name: str) -> int:
        """The index of ``code``, added (priced from its shape) when the catalogue lacks it."""
        found = self.index.get(code)
        if found is not None:
            return found
        self.index[code] = len(self.codes)
        self.codes.append(code)
        self.names.append(name)
        kind = KIND_MATERIAL if code.startswith("C") else KIND_ITEM if code.isdigit() else (
            KIND_WEST if code.startswith("X") else KIND_TCM)  # fmt: skip
        self.kind = np.append(self.kind, np.int8(kind))
        self.fee_type.append({KIND_WEST: "09", KIND_TCM: "11", KIND_ITEM: "04"}.get(kind, "08"))
        base = 2000 + (sum(code.encode()) * 7919) % 30000
        self.price_fen = np.append(self.price_fen, np.full((4, 1), base), axis=1)
        self.ceiling_fen = np.append(self.ceiling_fen, np.full((4, 1), -1), axis=1)
        self.pay_max_days = np.append(self.pay_max_days, np.int32(0))
        self.nutrition = np.append(self.nutrition, False)
        if self.plain is not None:
            self.plain = np.append(self.plain, True)
            self.inpatient_ok = np.append(self.inpatient_ok, True)
        return self.index[code]


def _kind(entry: CatalogEntry) -> int:
    return {"101": KIND_WEST, "102": KIND_TCM, "201": KIND_ITEM}.get(str(entry.list_type),
                                                                    KIND_MATERIAL)  # fmt: skip


def _base_book(entries: Sequence[CatalogEntry], rng: np.random.Generator) -> CodeBook:
    n = len(entries)
    kind = np.array([_kind(e) for e in entries], dtype=np.int8)
    ceiling = np.full((4, n), -1, dtype=np.int64)
    for j, entry in enumerate(entries):
        for rank, tier in enumerate(TIERS):
            value = entry.ceiling(tier)
            if value is not None:
                ceiling[rank, j] = int(value * 100)
    # drugs 3–300 元, items 5–800 元, materials 50–3000 元; at or below the ceiling when set
    low = np.select([kind <= KIND_TCM, kind == KIND_ITEM], [300, 500], 5000)
    high = np.select([kind <= KIND_TCM, kind == KIND_ITEM], [30000, 80000], 300000)
    base = rng.integers(low, high)
    price = np.tile(base, (4, 1))
    share = rng.integers(85, 101, size=n)
    price = np.where(ceiling > 0, ceiling * share // 100, price)
    return CodeBook(
        codes=[e.code for e in entries],
        names=[e.name for e in entries],
        kind=kind,
        fee_type=[e.med_chrgitm_type for e in entries],
        price_fen=price.astype(np.int64),
        ceiling_fen=ceiling,
        pay_max_days=np.zeros(n, dtype=np.int32),
        nutrition=np.zeros(n, dtype=bool),
        index={e.code: j for j, e in enumerate(entries)},
    )


@dataclass(slots=True)
class _Limits:
    """What the rule bases say of each code, as arrays over the book's codes."""

    sex: Any
    age_ok: Any
    care_ok: Any
    min_tier: Any
    on_purpose: Any
    pairs: list[tuple[int, int]]
    #: material prefixes included in an item's price; drug classes not to be stacked
    prefixes: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)


def _age_band_ok(spec: Mapping[str, Any]) -> Any:
    """A (sex, age group) mask: the whole group lies inside the band."""
    ok = np.zeros((2, len(AGE_GROUPS)), dtype=bool)
    for s, sex in enumerate(("male", "female")):
        low, high = spec.get("from", "0d"), spec.get("below")
        low_d = float(age_in_days(low if isinstance(low, str) else low[sex]))
        high_d = float("inf") if high is None else float(
            age_in_days(high if isinstance(high, str) else high[sex]))  # fmt: skip
        for g, (start, end) in enumerate(AGE_GROUPS):
            ok[s, g] = start >= low_d and end <= high_d
    return ok


def _limits(book: CodeBook, rules: Iterable[Rule]) -> _Limits:
    n = len(book.codes)
    lim = _Limits(np.full(n, -1, dtype=np.int8), np.ones((n, 2, len(AGE_GROUPS)), dtype=bool),
                  np.ones((n, len(CARES)), dtype=bool), np.zeros(n, dtype=np.int8),
                  np.zeros(n, dtype=bool), [])  # fmt: skip
    for rule in rules:
        rows = [] if rule.table is None else list(rule.table.records())
        book.tables.setdefault(rule.family, []).extend(rows)
        book.rules.setdefault(rule.family, []).append(rule)
        for row in rows:
            _read_row(book, lim, rule, row)
    return lim


#: table columns holding a code, and the column of its name
_CODE_COLUMNS = (("item_code", "item_name"), ("code_a", "name_a"), ("code_b", "name_b"))


def _read_row(book: CodeBook, lim: _Limits, rule: Rule, row: Mapping[str, str]) -> None:
    family = rule.family
    if family == "duplicate_pair":
        main = book.add(row["main_code"], row["main_name"])
        sub = book.add(row["sub_code"], row["sub_name"])
        _grow(book, lim)
        lim.pairs.append((main, sub))
        return
    for column, name in _CODE_COLUMNS:
        if column in row:
            lim.on_purpose[_added(book, lim, row[column], row[name])] = True
    if "consumable" in row:  # bundled: a material code or class prefix
        lim.prefixes.add(row["consumable"])
    if "drug_class" in row:  # same_class_stacking
        lim.classes.add(row["drug_class"])
    if "code" in row:
        _code_row(book, lim, rule, row, _added(book, lim, row["code"], row.get("name", "")))


def _added(book: CodeBook, lim: _Limits, code: str, name: str) -> int:
    j = book.add(code, name or code)
    _grow(book, lim)
    return j


def _code_row(book: CodeBook, lim: _Limits, rule: Rule, row: Mapping[str, str], j: int) -> None:
    family = rule.family
    params: Mapping[str, Any] = rule.params
    if family == "sex":
        lim.sex[j] = int(row["gend"]) - 1
    elif family == "age":
        lim.age_ok[j] &= _age_band_ok(params["bands"][row["band"]])
    elif family == "med_type":
        allowed = {m for key in row["allowed"].split("|") for m in params["classes"][key]}
        lim.care_ok[j] &= np.array([care in allowed for care in CARES])
    elif family == "inst_level":
        lim.min_tier[j] = max(lim.min_tier[j], [t.value for t in TIERS].index(row["min_tier"]))
    elif family == "pay_course":
        days = int(row["max_days"])
        old = book.pay_max_days[j]
        book.pay_max_days[j] = days if old == 0 else min(old, days)
    elif family == "nutrition_screening":
        book.nutrition[j] = True
    if family in _ON_PURPOSE:
        lim.on_purpose[j] = True


def _grow(book: CodeBook, lim: _Limits) -> None:
    missing = len(book.codes) - len(lim.sex)
    if missing <= 0:
        return
    lim.sex = np.append(lim.sex, np.full(missing, -1, dtype=np.int8))
    lim.age_ok = np.append(lim.age_ok, np.ones((missing, 2, len(AGE_GROUPS)), dtype=bool), axis=0)
    lim.care_ok = np.append(lim.care_ok, np.ones((missing, len(CARES)), dtype=bool), axis=0)
    lim.min_tier = np.append(lim.min_tier, np.zeros(missing, dtype=np.int8))
    lim.on_purpose = np.append(lim.on_purpose, np.ones(missing, dtype=bool))


def _colours(n: int, pairs: Sequence[tuple[int, int]]) -> Any:
    """A greedy colouring: no pair shares a colour; -1 for codes in no pair."""
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    colour = np.full(n, -1, dtype=np.int32)
    for node in sorted(neighbours, key=lambda k: -len(neighbours[k])):
        taken = {int(colour[m]) for m in neighbours[node]}
        colour[node] = next(c for c in range(len(taken) + 1) if c not in taken)
    return colour


def _pools(masks: list[Any], rng: np.random.Generator) -> Pools:
    chunks = [rng.permutation(np.flatnonzero(m)) for m in masks]
    sizes = np.array([len(c) for c in chunks], dtype=np.int64)
    if (sizes == 0).any():
        raise ValueError(f"{int((sizes == 0).sum())} empty code pools")
    start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return Pools(np.concatenate(chunks).astype(np.int64), start, sizes)


def _stratum_masks(lim: _Limits, base: Any) -> list[Any]:
    masks = []
    for s in range(2):
        for g in range(len(AGE_GROUPS)):
            for c in range(len(CARES)):
                for t in range(len(TIERS)):
                    m = base & ((lim.sex < 0) | (lim.sex == s)) & lim.age_ok[:, s, g]
                    masks.append(m & lim.care_ok[:, c] & (lim.min_tier <= t))
    return masks


def build_code_book(
    entries: Sequence[CatalogEntry],
    rule_bases: Sequence[RuleBase],
    *,
    fixed: Iterable[str] = (),
    seed: int,
) -> CodeBook:
    """The code book of ``entries`` with pools that respect every rule of ``rule_bases``."""
    rng = np.random.default_rng(seed)
    book = _base_book(entries, rng)
    lim = _limits(book, (rule for base in rule_bases for rule in base))
    kind = book.kind
    classes, prefixes = tuple(lim.classes), tuple(lim.prefixes)
    stacked = np.array([(k <= KIND_TCM and c[1:6] in classes) or c.startswith(prefixes or ("-",))
                        for c, k in zip(book.codes, kind, strict=True)])  # fmt: skip
    fixed_idx = {book.index[c] for c in fixed if c in book.index}
    touches_fixed = np.zeros(len(book.codes), dtype=bool)
    for a, b in lim.pairs:
        if a in fixed_idx:
            touches_fixed[b] = True
        if b in fixed_idx:
            touches_fixed[a] = True
    usable = ~lim.on_purpose & ~stacked & ~touches_fixed
    colour = _colours(len(book.codes), [(a, b) for a, b in lim.pairs if usable[a] and usable[b]])
    book.colours = max(1, int(colour.max()) + 1)
    book.plain = (lim.sex < 0) & lim.age_ok.all(axis=(1, 2)) & (lim.min_tier == 0)
    book.inpatient_ok = lim.care_ok[:, CARES.index("21")]
    drug = usable & (kind <= KIND_TCM) & ~book.nutrition
    book.drugs = _pools(_stratum_masks(lim, drug), rng)
    book.daily_drugs = _pools(_stratum_masks(lim, drug & (book.pay_max_days == 0)), rng)
    item = usable & (kind >= KIND_ITEM)
    item_masks = [m & ((colour < 0) | (colour == k)) for m in _stratum_masks(lim, item)
                  for k in range(book.colours)]  # fmt: skip
    book.items = _pools(item_masks, rng)
    assert len(item_masks) == _STRATA * book.colours
    return book
