"""A chunk of generated visits as the Arrow fact tables of ``audit.facts`` (exact schemas).

Groups are expanded into one fee line per day of their run, sorted by visit, day and hour, and
numbered within their visit (``feedetl_sn``); the visit's person and institution columns are
repeated on every line (the ``lines`` table is denormalised); amounts are quantity × price in
fen, exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.audit.facts import COUNT, DIAGNOSES, LABS, LINES, RECORDS, VISITS
from yibao.demo import month_arrow as arrow
from yibao.demo.month_codes import CARES, CodeBook
from yibao.demo.month_people import Institutions, People
from yibao.demo.month_visits import DOCS, ICD, TESTS, UNITS, Chunk

__all__ = ["ChunkTables", "chunk_tables"]

_DAY_S = 86_400
_STR = pa.string()


@dataclass(frozen=True, slots=True)
class ChunkTables:
    """The tables of one chunk; ``fee_day`` of every line, to split lines by month."""

    lines: Any
    fee_day: Any
    visits: Any
    diagnoses: Any
    labs: Any
    records: Any


@dataclass(frozen=True, slots=True)
class _Context:
    chunk: Chunk
    book: CodeBook
    people: People
    places: Institutions
    prefix: str


def _vocab(values: Sequence[str]) -> Any:
    return pa.array(list(values), type=_STR)


def _visit_columns(ctx: _Context) -> dict[str, Any]:
    v, people, places = ctx.chunk.visits, ctx.people, ctx.places
    person, inst = v["person"], v["inst"]
    return {
        "mdtrt_id": arrow.ids(ctx.prefix, v["number"], 9),
        "psn_no": people.psn_no.take(pa.array(person)),
        "gend": arrow.take(_vocab(("1", "2")), people.sex[person]),
        "brdy": arrow.dates(people.birth_day[person]),
        "insutype": arrow.take(people.insutypes, people.scheme[person]),
        "med_type": arrow.take(_vocab(CARES), v["care"]),
        "fixmedins_code": places.code.take(pa.array(inst)),
        "hosp_lv": places.hosp_lv.take(pa.array(inst)),
        "admdvs": places.admdvs.take(pa.array(inst)),
        "visit_begin": arrow.dates(v["begin"]),
        "visit_end": arrow.dates(v["begin"] + v["length"] - 1),
    }


def _expand(groups: dict[str, Any], begin: Any) -> tuple[dict[str, Any], Any]:
    """One row per day of each group's run, sorted by visit, day, hour; and the fee days."""
    run = groups["run"].astype(np.int64)
    at = np.repeat(np.arange(len(run)), run)
    offset = np.arange(len(at)) - np.repeat(np.cumsum(run) - run, run)
    rows = {name: np.asarray(values)[at] for name, values in groups.items()}
    fee_day = begin[rows["visit"]] + rows["start"] + offset
    order = np.lexsort((rows["hour"], fee_day, rows["visit"]))
    return {name: values[order] for name, values in rows.items()}, fee_day[order]


def _serial(visit: Any) -> Any:
    """1, 2, … within each visit (rows sorted by visit)."""
    first = np.r_[True, visit[1:] != visit[:-1]]
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, len(visit)])
    return np.arange(len(visit)) - np.repeat(starts, counts) + 1


def _line_columns(ctx: _Context, rows: dict[str, Any], fee_day: Any) -> dict[str, Any]:
    book, v = ctx.book, ctx.chunk.visits
    visit, code = rows["visit"], rows["code"]
    tier = v["tier"][visit]
    price = np.where(rows["price"] >= 0, rows["price"], book.price_fen[tier, code])
    ceiling = book.ceiling_fen[tier, code]
    serial = _serial(visit)
    seconds = fee_day * _DAY_S + rows["hour"] * 3600 + (serial * 7 % 60) * 60
    years, months, days = arrow.ages(ctx.people.birth_day[v["person"][visit]], fee_day)
    medc, billed, ordered = rows["medc_days"], rows["billed_unit"], rows["order_unit"]
    order_cnt = np.where(rows["order_cnt"] >= 0, rows["order_cnt"], rows["cnt"] * 10_000)
    return {
        "age_years": arrow.integers(years), "age_months": arrow.integers(months),
        "age_days": arrow.integers(days),
        "feedetl_sn": arrow.ids("", serial, 1),
        "code": arrow.take(book.code_array(), code), "name": arrow.take(book.name_array(), code),
        "cnt": arrow.count(rows["cnt"]), "pric": arrow.price(price),
        "amount": arrow.money(rows["cnt"] * price),
        "fee_date": arrow.dates(fee_day), "fee_day": arrow.integers(fee_day),
        "fee_time": arrow.timestamps(seconds), "fee_epoch_s": arrow.integers(seconds, pa.int64()),
        "med_chrgitm_type": arrow.take(_vocab(book.fee_type), code),
        "medc_days": arrow.integers(medc, valid=medc >= 0),
        "order_cnt": arrow.decimals(order_cnt, COUNT, valid=ordered >= 0),
        "order_unit": arrow.take(_vocab(UNITS), np.maximum(ordered, 0), valid=ordered >= 0),
        "billed_unit": arrow.take(_vocab(UNITS), np.maximum(billed, 0), valid=billed >= 0),
        "dscg_med_flag": arrow.bools(rows["dscg"]),
        "pric_uplmt": arrow.price(np.maximum(ceiling, 0), valid=ceiling >= 0),
        "tcmdrug_used_way": pa.nulls(len(visit), _STR), "doses": pa.nulls(len(visit), pa.int32()),
    }  # fmt: skip


def _rx(mdtrt: Any, rx: Any) -> Any:
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    numbered = pc.binary_join_element_wise(mdtrt, "R1", "")
    return pc.if_else(pa.array(rx), numbered, pa.scalar(None, _STR))


def _small(ctx: _Context, visit_cols: dict[str, Any]) -> tuple[Any, Any, Any]:
    begin = ctx.chunk.visits["begin"]
    d = ctx.chunk.diagnoses.joined()
    at = pa.array(d["visit"].astype(np.int64))
    diagnoses = arrow.table(DIAGNOSES, {
        "mdtrt_id": visit_cols["mdtrt_id"].take(at), "diag_code": arrow.take(_vocab(ICD), d["icd"]),
        "diag_type": pa.array(np.full(len(at), "1"), type=_STR),
        "maindiag_flag": arrow.bools(d["main"])})  # fmt: skip
    lab = ctx.chunk.labs.joined()
    at, day = pa.array(lab["visit"].astype(np.int64)), begin[lab["visit"]] + lab["day"]
    labs = arrow.table(LABS, {
        "mdtrt_id": visit_cols["mdtrt_id"].take(at), "psn_no": visit_cols["psn_no"].take(at),
        "test_code": arrow.take(_vocab([t[0] for t in TESTS]), lab["test"]),
        "test_name": arrow.take(_vocab([t[1] for t in TESTS]), lab["test"]),
        "value": arrow.decimals(lab["value"], COUNT),
        "unit": arrow.take(_vocab([t[2] for t in TESTS]), lab["test"]),
        "report_date": arrow.dates(day), "report_day": arrow.integers(day)})  # fmt: skip
    rec = ctx.chunk.records.joined()
    at, day = pa.array(rec["visit"].astype(np.int64)), begin[rec["visit"]] + rec["day"]
    code = rec["code"]
    records = arrow.table(RECORDS, {
        "mdtrt_id": visit_cols["mdtrt_id"].take(at), "psn_no": visit_cols["psn_no"].take(at),
        "doc_type": arrow.take(_vocab(DOCS), rec["doc"]), "doc_date": arrow.dates(day),
        "doc_day": arrow.integers(day),
        "code": arrow.take(ctx.book.code_array(), np.maximum(code, 0), valid=code >= 0)})  # fmt: skip
    return diagnoses, labs, records


def chunk_tables(
    chunk: Chunk, *, book: CodeBook, people: People, places: Institutions, prefix: str
) -> ChunkTables:
    """The Arrow tables of ``chunk``; visit ids are ``prefix`` + a 9-digit number."""
    ctx = _Context(chunk, book, people, places, prefix)
    visit_cols = _visit_columns(ctx)
    rows, fee_day = _expand(chunk.groups.joined(), chunk.visits["begin"])
    at = pa.array(rows["visit"].astype(np.int64))
    columns = {name: values.take(at) for name, values in visit_cols.items()}
    columns.update(_line_columns(ctx, rows, fee_day))
    columns["rx_no"] = _rx(columns["mdtrt_id"], rows["rx"])
    lines = arrow.table(LINES, columns)
    diagnoses, labs, records = _small(ctx, visit_cols)
    return ChunkTables(lines, fee_day, arrow.table(VISITS, visit_cols), diagnoses, labs, records)
