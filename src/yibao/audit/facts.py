"""The fact tables the audit engine reads, as Arrow tables, and a builder from Python records.

The tables, each an Arrow schema whose fields carry a docstring (``field.metadata[b"doc"]``):

* ``lines`` — one row per fee line, denormalised with its person, visit and institution, so that
  a family's SQL is one join to its knowledge table. Ages are computed here on the fee date
  (``age_years`` / ``age_months`` / ``age_days``, completed units) and dates are also given as day
  numbers (``fee_day``) and the time as epoch seconds (``fee_epoch_s``), so that the SQL needs no
  date arithmetic and runs unchanged on DuckDB and Spark.
* ``visits`` — one row per visit (就诊, ``mdtrt_id``).
* ``diagnoses`` — one row per diagnosis of a visit.
* ``labs`` and ``records`` — the clinical evidence of a visit: lab results and documents
  (screenings, operation and nursing records), as 3101/3102 carry them (``docs/audit-rules.md``).
* ``stock`` — an institution's purchases per code and month (进销存), for the batch run.

Money and quantities are Arrow decimals (amount DECIMAL(16,2), price DECIMAL(16,6), count
DECIMAL(16,4)), never floats: :func:`build_facts` refuses a float, naming the field. Refund lines
are expected netted before the facts are built (the families count positive quantities).

Used by tests, and later by 3101/3102 (one visit plus the person's recent history) and the
monthly batch (which writes the same schemas to Parquet).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from yibao.kernel.money import to_decimal

__all__ = [
    "DIAGNOSES",
    "LABS",
    "LINES",
    "RECORDS",
    "STOCK",
    "VISITS",
    "DiagnosisRecord",
    "DocumentRecord",
    "Facts",
    "FeeLineRecord",
    "LabRecord",
    "StockRecord",
    "VisitRecord",
    "age_on",
    "build_facts",
]

_EPOCH = date(1970, 1, 1)
AMOUNT = pa.decimal128(16, 2)
PRICE = pa.decimal128(16, 6)
COUNT = pa.decimal128(16, 4)


def _f(name: str, kind: Any, doc: str, *, nullable: bool = False) -> Any:
    return pa.field(name, kind, nullable=nullable, metadata={b"doc": doc.encode()})


_VISIT_FIELDS = (
    _f("mdtrt_id", pa.string(), "就诊ID: the visit"),
    _f("psn_no", pa.string(), "人员编号: the insured person"),
    _f("gend", pa.string(), "性别 code (1 男, 2 女); null when unknown", nullable=True),
    _f("brdy", pa.date32(), "出生日期; null when unknown", nullable=True),
    _f("insutype", pa.string(), "险种类型 of the visit (310, 390, 510 …)"),
    _f("med_type", pa.string(), "医疗类别 of the visit (11, 13, 21 …)"),
    _f("fixmedins_code", pa.string(), "定点医药机构编号: the institution"),
    _f("hosp_lv", pa.string(), "医院等级 code of the institution (kernel.codes.HospLv, 01–14)"),
    _f("admdvs", pa.string(), "医保区划 (6 digits) where the visit is settled"),
    _f("visit_begin", pa.date32(), "开始日期 (admission or visit date)"),
    _f("visit_end", pa.date32(), "结束日期 (discharge); null while open", nullable=True),
)

#: one row per visit
VISITS = pa.schema(_VISIT_FIELDS)

#: one row per fee line, with its visit's columns (denormalised)
LINES = pa.schema(
    (
        *_VISIT_FIELDS,
        _f("age_years", pa.int32(), "completed years on the fee date", nullable=True),
        _f("age_months", pa.int32(), "completed months on the fee date", nullable=True),
        _f("age_days", pa.int32(), "days since birth on the fee date", nullable=True),
        _f("feedetl_sn", pa.string(), "费用明细流水号: the line, unique within the visit"),
        _f("code", pa.string(), "national code (医保目录编码 mapped to the national code)"),
        _f("name", pa.string(), "name of the drug, item or material as billed"),
        _f("cnt", COUNT, "数量 billed (N16,4)"),
        _f("pric", PRICE, "单价 (N16,6)"),
        _f("amount", AMOUNT, "明细项目费用总额 (N16,2)"),
        _f("fee_date", pa.date32(), "费用发生日期"),
        _f("fee_day", pa.int32(), "fee_date as days since 1970-01-01 (for day windows)"),
        _f("fee_time", pa.timestamp("s"), "费用发生时间, when known", nullable=True),
        _f("fee_epoch_s", pa.int64(), "fee_time as epoch seconds (for hour windows)", nullable=True),
        _f("med_chrgitm_type", pa.string(), "医疗收费项目类别", nullable=True),
        _f("rx_no", pa.string(), "处方号 (prescription_limit)", nullable=True),
        _f("medc_days", pa.int32(), "用药天数 (prescription_limit, discharge_medication)",
           nullable=True),
        _f("order_cnt", COUNT, "医嘱数量 (quantity_unit)", nullable=True),
        _f("order_unit", pa.string(), "医嘱单位 (quantity_unit)", nullable=True),
        _f("billed_unit", pa.string(), "计价单位 (quantity_unit)", nullable=True),
        _f("dscg_med_flag", pa.bool_(), "出院带药标志 (discharge_medication)", nullable=True),
        _f("pric_uplmt", PRICE, "the catalogue's price ceiling for the institution's tier "
           "(price_ceiling with ceilings = 'catalog'); null when none", nullable=True),
        _f("tcmdrug_used_way", pa.string(), "中药使用方式 (1 复方, 2 单方)", nullable=True),
        _f("doses", pa.int32(), "剂数 of a herbal prescription (prescription_limit)",
           nullable=True),
    )
)  # fmt: skip

#: one row per diagnosis of a visit
DIAGNOSES = pa.schema(
    (
        _f("mdtrt_id", pa.string(), "就诊ID"),
        _f("diag_code", pa.string(), "诊断代码 (ICD-10)"),
        _f("diag_type", pa.string(), "诊断类别 (1 西医主要 …)"),
        _f("maindiag_flag", pa.bool_(), "主诊断标志"),
    )
)


#: one row per lab result of a visit (indication)
LABS = pa.schema(
    (
        _f("mdtrt_id", pa.string(), "就诊ID of the visit the report belongs to"),
        _f("psn_no", pa.string(), "人员编号"),
        _f("test_code", pa.string(), "检验项目代码 as the rules name it (ALB, WBC …)"),
        _f("test_name", pa.string(), "检验项目名称", nullable=True),
        _f("value", COUNT, "numeric result (N16,4); null when not numeric", nullable=True),
        _f("unit", pa.string(), "unit of the result (g/L …)", nullable=True),
        _f("report_date", pa.date32(), "报告日期"),
        _f("report_day", pa.int32(), "report_date as days since 1970-01-01"),
    )
)  # fmt: skip

#: one row per clinical document of a visit (nutrition_screening, phantom_billing, bed_blocking)
RECORDS = pa.schema(
    (
        _f("mdtrt_id", pa.string(), "就诊ID"),
        _f("psn_no", pa.string(), "人员编号"),
        _f("doc_type", pa.string(), "document type as the rules name it (NRS2002, 手术记录 …)"),
        _f("doc_date", pa.date32(), "the date the document records"),
        _f("doc_day", pa.int32(), "doc_date as days since 1970-01-01"),
        _f("code", pa.string(), "the fee code the document supports, when it names one",
           nullable=True),
    )
)  # fmt: skip

#: one row per institution, code and month of purchases (进销存, stock_mismatch)
STOCK = pa.schema(
    (
        _f("fixmedins_code", pa.string(), "定点医药机构编号"),
        _f("code", pa.string(), "national code bought"),
        _f("period", pa.string(), "the month bought, YYYY-MM"),
        _f("quantity", COUNT, "quantity bought, in billed units (N16,4)"),
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LabRecord:
    """One lab result of a visit."""

    test_code: str
    value: Decimal | None
    report_date: date
    unit: str | None = None
    test_name: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One clinical document of a visit (a screening, an operation record, a nursing record)."""

    doc_type: str
    doc_date: date
    code: str | None = None


@dataclass(frozen=True, slots=True)
class StockRecord:
    """What an institution bought of a code in a month."""

    fixmedins_code: str
    code: str
    period: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class FeeLineRecord:
    """One fee line as the caller knows it; quantities and money as Decimal (or int/str)."""

    feedetl_sn: str
    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    fee_date: date
    fee_time: datetime | None = None
    med_chrgitm_type: str | None = None
    rx_no: str | None = None
    medc_days: int | None = None
    order_cnt: Decimal | None = None
    order_unit: str | None = None
    billed_unit: str | None = None
    dscg_med_flag: bool | None = None
    pric_uplmt: Decimal | None = None
    tcmdrug_used_way: str | None = None
    doses: int | None = None


@dataclass(frozen=True, slots=True)
class DiagnosisRecord:
    """One diagnosis of a visit."""

    diag_code: str
    diag_type: str = "1"
    maindiag_flag: bool = False


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """One visit with its person, institution, lines and diagnoses."""

    mdtrt_id: str
    psn_no: str
    gend: str | None
    brdy: date | None
    insutype: str
    med_type: str
    fixmedins_code: str
    hosp_lv: str
    admdvs: str
    begin: date
    end: date | None = None
    lines: tuple[FeeLineRecord, ...] = ()
    diagnoses: tuple[DiagnosisRecord, ...] = ()
    labs: tuple[LabRecord, ...] = ()
    documents: tuple[DocumentRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Facts:
    """The Arrow tables the engine registers, each under its field's name."""

    lines: Any
    visits: Any
    diagnoses: Any
    labs: Any
    records: Any
    stock: Any


def age_on(brdy: date, day: date) -> tuple[int, int, int]:
    """Completed years, completed months and days of life on ``day``.

    A month (and a year) is complete on the same day of month; when the month has no such day
    (born on the 31st, or on 29 February in a common year), on the 1st of the next month.
    """
    if day < brdy:
        raise ValueError(f"fee date {day} is before the birth date {brdy}")
    months = (day.year - brdy.year) * 12 + day.month - brdy.month
    if day.day < brdy.day:
        months -= 1
    years = day.year - brdy.year - ((day.month, day.day) < (brdy.month, brdy.day))
    return years, months, (day - brdy).days


def _visit_row(visit: VisitRecord) -> dict[str, Any]:
    return {
        "mdtrt_id": visit.mdtrt_id,
        "psn_no": visit.psn_no,
        "gend": visit.gend,
        "brdy": visit.brdy,
        "insutype": visit.insutype,
        "med_type": visit.med_type,
        "fixmedins_code": visit.fixmedins_code,
        "hosp_lv": visit.hosp_lv,
        "admdvs": visit.admdvs,
        "visit_begin": visit.begin,
        "visit_end": visit.end,
    }


def _line_row(visit: VisitRecord, line: FeeLineRecord, base: dict[str, Any]) -> dict[str, Any]:
    where = f"visit {visit.mdtrt_id}, line {line.feedetl_sn}"
    ages: tuple[int | None, ...] = (None, None, None)
    if visit.brdy is not None:
        try:
            ages = age_on(visit.brdy, line.fee_date)
        except ValueError as exc:
            raise ValueError(f"{where}, fee_date: {exc}") from None
    order_cnt = line.order_cnt
    return {
        **base,
        "age_years": ages[0],
        "age_months": ages[1],
        "age_days": ages[2],
        "feedetl_sn": line.feedetl_sn,
        "code": line.code,
        "name": line.name,
        "cnt": to_decimal(line.cnt, field=f"{where}, cnt", kind="count"),
        "pric": to_decimal(line.pric, field=f"{where}, pric", kind="price"),
        "amount": to_decimal(line.amount, field=f"{where}, amount"),
        "fee_date": line.fee_date,
        "fee_day": (line.fee_date - _EPOCH).days,
        "fee_time": line.fee_time,
        "fee_epoch_s": _epoch_seconds(line.fee_time),
        "med_chrgitm_type": line.med_chrgitm_type,
        "rx_no": line.rx_no,
        "medc_days": line.medc_days,
        "order_cnt": None
        if order_cnt is None
        else to_decimal(order_cnt, field=f"{where}, order_cnt", kind="count"),
        "order_unit": line.order_unit,
        "billed_unit": line.billed_unit,
        "dscg_med_flag": line.dscg_med_flag,
        "pric_uplmt": None
        if line.pric_uplmt is None
        else to_decimal(line.pric_uplmt, field=f"{where}, pric_uplmt", kind="price"),
        "tcmdrug_used_way": line.tcmdrug_used_way,
        "doses": line.doses,
    }


def _epoch_seconds(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    # a naive fee time is local (Beijing) wall-clock time; only differences are used
    return int(moment.replace(tzinfo=UTC).timestamp())


def _lab_row(visit: VisitRecord, lab: LabRecord) -> dict[str, Any]:
    value = lab.value
    if value is not None:
        where = f"visit {visit.mdtrt_id}, lab {lab.test_code}, value"
        value = to_decimal(value, field=where, kind="count")
    return {"mdtrt_id": visit.mdtrt_id, "psn_no": visit.psn_no, "test_code": lab.test_code,
            "test_name": lab.test_name, "value": value, "unit": lab.unit,
            "report_date": lab.report_date, "report_day": (lab.report_date - _EPOCH).days}  # fmt: skip


def build_facts(visits: Iterable[VisitRecord], stock: Iterable[StockRecord] = ()) -> Facts:
    """The Arrow fact tables of ``visits``; a bad value raises naming the visit, line and field."""
    visit_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    diagnosis_rows: list[dict[str, Any]] = []
    lab_rows: list[dict[str, Any]] = []
    record_rows: list[dict[str, Any]] = []
    for visit in visits:
        lab_rows.extend(_lab_row(visit, lab) for lab in visit.labs)
        record_rows.extend(
            {"mdtrt_id": visit.mdtrt_id, "psn_no": visit.psn_no, "doc_type": d.doc_type,
             "doc_date": d.doc_date, "doc_day": (d.doc_date - _EPOCH).days, "code": d.code}
            for d in visit.documents
        )  # fmt: skip
        base = _visit_row(visit)
        visit_rows.append(base)
        line_rows.extend(_line_row(visit, line, base) for line in visit.lines)
        diagnosis_rows.extend(
            {"mdtrt_id": visit.mdtrt_id, "diag_code": d.diag_code, "diag_type": d.diag_type,
             "maindiag_flag": d.maindiag_flag}
            for d in visit.diagnoses
        )  # fmt: skip
    return Facts(
        lines=pa.Table.from_pylist(line_rows, schema=LINES),
        visits=pa.Table.from_pylist(visit_rows, schema=VISITS),
        diagnoses=pa.Table.from_pylist(diagnosis_rows, schema=DIAGNOSES),
        labs=pa.Table.from_pylist(lab_rows, schema=LABS),
        records=pa.Table.from_pylist(record_rows, schema=RECORDS),
        stock=pa.Table.from_pylist(
            [
                {
                    "fixmedins_code": s.fixmedins_code,
                    "code": s.code,
                    "period": s.period,
                    "quantity": to_decimal(
                        s.quantity, field=f"stock {s.code} {s.period}, quantity", kind="count"
                    ),
                }
                for s in stock
            ],
            schema=STOCK,
        ),
    )
