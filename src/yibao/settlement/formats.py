"""The visit document: one visit in the NHSA shape, as ``yibao settle --visit FILE`` reads it.

Nodes keep the interface's names (``docs/visit-format.md`` has a full example):

* ``fixmedins_code``, ``mdtrtarea_admvs`` (就医地), ``insuplc_admdvs`` (参保地), ``inf_time``;
* ``person``: 1101's ``baseinfo``, the ``insuinfo`` of the visit's insurance type, ``idetinfo[]``;
* ``year_state``: the person's yearly counters before the visit and the account balance ``balc``;
* ``mdtrtinfo`` (2201/2401), ``diseinfo[]``, ``feedetail[]`` (2204/2301) and ``data`` (2207/2304);
* or, instead of ``feedetail`` + ``data``, ``transactions[]``: the visit's calls in order
  (2204/2301 upload lines, 2206/2303 pre-settle, 2207/2304 settle, 2208/2305 reverse the latest
  settlement, 2402 discharge), which is how mid-stay settlement and refund lines are written.

JSON numbers are read as ``Decimal`` by the caller; a Python ``float`` is refused. Every problem
is reported with its path (``feedetail.3.pric``) and nothing is settled from a bad document.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from yibao.kernel.codes import (
    AcctUsedFlag,
    Gend,
    HospApprFlag,
    InsuType,
    MdtrtCertType,
    MedType,
    MidSetlFlag,
    PsnIdetType,
    PsnType,
)
from yibao.kernel.dates import parse_date, parse_datetime
from yibao.kernel.errors import (
    InvalidValue,
    Problem,
    RejectedFile,
    unusable_document,
    validation_problems,
)
from yibao.kernel.money import fen, to_decimal

__all__ = ["VisitDocument", "load_visit_file", "parse_visit_document"]


def _number(kind: str) -> BeforeValidator:
    def convert(value: object) -> Decimal:
        try:
            return to_decimal(value, field="value", kind=kind)
        except InvalidValue as exc:
            raise ValueError(exc.reason) from None

    return BeforeValidator(convert)


def _when(parse: object) -> BeforeValidator:
    def convert(value: object) -> object:
        try:
            return parse(value, field="value")  # type: ignore[operator]
        except InvalidValue as exc:
            raise ValueError(exc.reason) from None

    return BeforeValidator(convert)


Amount = Annotated[Decimal, _number("amount")]
Price = Annotated[Decimal, _number("price")]
Count = Annotated[Decimal, _number("count")]
Day = Annotated[date, _when(parse_date)]
Moment = Annotated[datetime, _when(parse_datetime)]
Code6 = Annotated[str, Field(pattern=r"^\d{6}$")]
Flag = Literal["0", "1"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class BaseInfo(_Node):
    psn_no: str = Field(min_length=1, max_length=30)
    psn_cert_type: str = Field(default="01", max_length=6)
    certno: str = Field(default="", max_length=50)
    psn_name: str = Field(min_length=1, max_length=50)
    gend: Gend
    brdy: Day


class InsuInfo(_Node):
    insutype: InsuType
    psn_type: PsnType
    cvlserv_flag: Flag = "0"
    insuplc_admdvs: Code6


class IdetInfo(_Node):
    psn_idet_type: PsnIdetType
    begntime: Moment
    endtime: Moment | None = None


class PersonNode(_Node):
    baseinfo: BaseInfo
    insuinfo: InsuInfo
    idetinfo: list[IdetInfo] = []


_COUNTER_KEY = (
    r"^(admissions|inscp|(deductible|pool):(outpatient|chronic|inpatient)|(fund|layer):\d{6})$"
)


class YearStateNode(_Node):
    year: int = Field(ge=2000, le=2100)
    balc: Annotated[Amount, Field(ge=0)] = Decimal("0.00")
    accumulators: dict[
        Annotated[str, Field(pattern=_COUNTER_KEY)], Annotated[Amount, Field(ge=0)]
    ] = {}

    @model_validator(mode="after")
    def _whole_admissions(self) -> YearStateNode:
        admissions = self.accumulators.get("admissions")
        if admissions is not None and admissions != admissions.to_integral_value():
            raise ValueError("accumulators.admissions: a count of admissions is a whole number")
        return self


class MdtrtInfo(_Node):
    mdtrt_id: str = Field(min_length=1, max_length=30)
    psn_no: str = Field(min_length=1, max_length=30)
    insutype: InsuType
    med_type: MedType
    begntime: Moment
    endtime: Moment | None = None
    mdtrt_cert_type: MdtrtCertType = MdtrtCertType.ID_CARD

    @model_validator(mode="after")
    def _in_order(self) -> MdtrtInfo:
        if self.endtime is not None and self.endtime < self.begntime:
            raise ValueError("endtime: discharge is before admission (begntime)")
        return self


class DiseInfo(_Node):
    diag_type: str = Field(default="1", max_length=3)
    maindiag_flag: Flag = "0"
    diag_srt_no: int = Field(default=1, ge=1)
    diag_code: str = Field(min_length=1, max_length=30)
    diag_name: str = Field(default="", max_length=100)


class FeeDetail(_Node):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    med_list_codg: str = Field(min_length=1, max_length=50)
    medins_list_codg: str = Field(default="", max_length=150)
    det_item_fee_sumamt: Amount
    cnt: Count
    pric: Price
    fee_ocur_time: Moment
    hosp_appr_flag: HospApprFlag = HospApprFlag.NOT_REQUIRED
    init_feedetl_sn: str | None = Field(default=None, max_length=30)
    med_list_name: str = Field(default="", max_length=200)
    bilg_dept_codg: str | None = Field(default=None, max_length=30)
    bilg_dept_name: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _amount_is_price_times_count(self) -> FeeDetail:
        if self.pric < 0:
            raise ValueError("pric: a price cannot be negative")
        if self.cnt == 0:
            raise ValueError("cnt: a count of 0 is not a fee line")
        expected = fen(self.pric * self.cnt)
        if self.det_item_fee_sumamt != expected:
            raise ValueError(
                f"det_item_fee_sumamt: {self.det_item_fee_sumamt} ≠ pric × cnt = {expected}"
            )
        if self.cnt < 0 and not self.init_feedetl_sn:
            raise ValueError("init_feedetl_sn: a refund line (negative cnt) must name its original")
        return self


class SettleData(_Node):
    psn_no: str = Field(min_length=1, max_length=30)
    mdtrt_id: str = Field(min_length=1, max_length=30)
    insutype: InsuType
    medfee_sumamt: Amount | None = None
    acct_used_flag: AcctUsedFlag = AcctUsedFlag.NO
    mid_setl_flag: MidSetlFlag = MidSetlFlag.NO
    mdtrt_cert_type: MdtrtCertType = MdtrtCertType.ID_CARD
    psn_setlway: str = "01"


class DischargeInfo(_Node):
    endtime: Moment


_SETTLE = {"2206", "2207", "2303", "2304"}
_REVERSE = {"2208", "2305"}
_UPLOAD = {"2204", "2301"}


class Transaction(_Node):
    infno: Literal["2204", "2301", "2206", "2207", "2303", "2304", "2208", "2305", "2402"]
    inf_time: Moment | None = None
    feedetail: list[FeeDetail] = []
    data: SettleData | None = None
    dscginfo: DischargeInfo | None = None

    @model_validator(mode="after")
    def _has_its_node(self) -> Transaction:
        if self.infno in _UPLOAD and not self.feedetail:
            raise ValueError(f"feedetail: {self.infno} needs at least one fee line")
        if self.infno in _SETTLE and self.data is None:
            raise ValueError(f"data: {self.infno} needs the settlement input node 'data'")
        if self.infno == "2402" and self.dscginfo is None:
            raise ValueError("dscginfo: 2402 needs the discharge node 'dscginfo'")
        return self


class VisitDocument(_Node):
    """A whole visit document, validated."""

    title: str = ""
    fixmedins_code: str = Field(min_length=1, max_length=30)
    mdtrtarea_admvs: Code6
    insuplc_admdvs: Code6 | None = None
    inf_time: Moment | None = None
    filing_type: str | None = None
    person: PersonNode
    year_state: YearStateNode
    mdtrtinfo: MdtrtInfo
    diseinfo: list[DiseInfo] = []
    feedetail: list[FeeDetail] = []
    data: SettleData | None = None
    transactions: list[Transaction] = []

    @model_validator(mode="after")
    def _consistent(self) -> VisitDocument:
        if self.transactions and (self.feedetail or self.data):
            raise ValueError("give either 'feedetail' + 'data' or 'transactions', not both")
        if not self.transactions and (not self.feedetail or self.data is None):
            raise ValueError("'feedetail' and 'data' are required (or 'transactions')")
        psn_no = self.person.baseinfo.psn_no
        if self.mdtrtinfo.psn_no != psn_no:
            raise ValueError(
                f"mdtrtinfo.psn_no: {self.mdtrtinfo.psn_no} is not the person {psn_no}"
            )
        if self.mdtrtinfo.insutype != self.person.insuinfo.insutype:
            raise ValueError("mdtrtinfo.insutype: differs from person.insuinfo.insutype")
        for step in self.steps():
            data = step.data
            if data is not None and (
                data.psn_no != psn_no or data.mdtrt_id != self.mdtrtinfo.mdtrt_id
            ):
                raise ValueError(f"data: psn_no/mdtrt_id of {step.infno} differ from mdtrtinfo")
            if data is not None and data.insutype != self.mdtrtinfo.insutype:
                raise ValueError(f"data.insutype: {data.insutype} differs from mdtrtinfo.insutype")
        return self

    def steps(self) -> list[Transaction]:
        """The visit's calls in order (the simple form is one upload and one settlement)."""
        if self.transactions:
            return self.transactions
        upload = "2301" if self.mdtrtinfo.med_type.startswith("2") else "2204"
        settle = "2304" if upload == "2301" else "2207"
        return [
            Transaction(infno=upload, feedetail=self.feedetail),
            Transaction(infno=settle, data=self.data),
        ]


def parse_visit_document(raw: object, *, source: str) -> VisitDocument:
    """Validate a decoded JSON visit document; :class:`RejectedFile` names every bad field."""
    try:
        return VisitDocument.model_validate(raw)
    except ValidationError as exc:
        raise RejectedFile(validation_problems(source, exc.errors())) from None


def load_visit_file(path: Path) -> VisitDocument:
    """Read a visit document from a JSON file; numbers are read as exact decimals."""
    source = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectedFile([Problem(source, f"cannot read the file: {exc}")]) from None
    try:
        raw = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise RejectedFile(
            [Problem(source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        ) from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, deep nesting
        raise unusable_document(source, "JSON", exc) from None
    return parse_visit_document(raw, source=source)
