"""What an HIS sends: institutions, persons, fee lines and the ``input`` of each transaction.

Shared by ``yibao bench gateway`` and ``yibao simulate`` (through :mod:`yibao.bench.client`). Like
the client, it imports nothing of the gateway: these are the inputs an HIS vendor would build
from docs/gateway-protocol.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from yibao.kernel.money import ZERO, fen

__all__ = [
    "OUTPATIENT_ITEMS",
    "SPLIT",
    "FeeItem",
    "Institution",
    "Person",
    "admit_input",
    "discharge_input",
    "fee_lines",
    "record_input",
    "register_input",
    "reverse_input",
    "reverse_message_input",
    "settle_input",
    "split_sums",
    "total",
]

NOW = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class Institution:
    """A designated institution and its gateway credential (one entry of ``yibao demo info``)."""

    fixmedins_code: str
    fixmedins_name: str
    paasid: str
    token: str
    admdvs: str

    @classmethod
    def from_info(cls, row: Mapping[str, Any]) -> Institution:
        return cls(row["fixmedins_code"], row["fixmedins_name"], row["paasid"], row["token"],
                   row["admdvs"])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    """An insured person as the HIS knows them after 1101."""

    psn_no: str
    insutype: str
    insuplc_admdvs: str

    @classmethod
    def from_info(cls, row: Mapping[str, Any]) -> Person:
        return cls(row["psn_no"], row["insutype"], row["insuplc_admdvs"])

    @property
    def has_account(self) -> bool:
        """Employees (310) have a personal account the settlement may draw on."""
        return self.insutype == "310"


@dataclass(frozen=True, slots=True)
class FeeItem:
    """A catalogue code charged at a price and a count (the count may be negative: a refund)."""

    code: str
    pric: Decimal
    cnt: Decimal

    @property
    def amount(self) -> Decimal:
        return fen(self.pric * self.cnt)


#: codes of the demo catalogue (src/yibao/demo/data/catalog/README.md): 甲/乙/丙 drugs, items with
#: price ceilings (some charged above them), a restricted drug approved by the hospital
OUTPATIENT_ITEMS = tuple(FeeItem(code, Decimal(pric), Decimal(cnt)) for code, pric, cnt in (
    ("XG01AFK079A008010100225", "12.50", "2"),  # 克霉唑阴道片, 甲类
    ("ZA14AAX0455010100286", "18.30", "1"),  # 小儿七星茶颗粒, 乙类 0.10
    ("XB05BAF150B002010100269", "46.00", "1"),  # 复方氨基酸注射液, 乙类 0.20
    ("XG04BET001A001010100299", "9.60", "3"),  # 他达拉非片, 丙类
    ("002503020030000", "65.00", "1"),  # 糖化血红蛋白测定, 乙类, ceiling 60.00 at 三级
    ("001102000030000", "10.00", "1"),  # 急诊诊查费, 乙类 0.20
    ("ZA12CAD0073010100142", "23.40", "2"),  # 丹参注射液, restricted
    ("003105120040000", "120.00", "1"),  # 儿童前牙树脂冠修复, 丙类
    ("001109000010000", "45.00", "1"),  # 普通病房床位费, 甲类, ceiling 50.00 at 三级
    ("001102000050000", "8.00", "1"),  # 住院诊查费, 甲类
))  # fmt: skip


def total(items: list[dict[str, Any]]) -> Decimal:
    """The sum of the ``det_item_fee_sumamt`` of fee lines built by :func:`fee_lines`."""
    return sum((Decimal(item["det_item_fee_sumamt"]) for item in items), ZERO)


SPLIT = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


def split_sums(results: list[dict[str, Any]]) -> dict[str, Decimal]:
    """The four components of the ``result[]`` rows of 2204/2301 answers, summed (2303 sends them)."""
    sums = dict.fromkeys(SPLIT, ZERO)
    for row in results:
        sums["fulamt_ownpay_amt"] += Decimal(row["fulamt_ownpay_amt"])
        sums["overlmt_selfpay"] += Decimal(row["overlmt_amt"])
        sums["preselfpay_amt"] += Decimal(row["preselfpay_amt"])
        sums["inscp_scp_amt"] += Decimal(row["inscp_scp_amt"])
    return sums


def fee_lines(
    mdtrt_id: str, psn_no: str, items: list[FeeItem], *, first_sn: int = 1, med_type: str = "11",
    refunds: Mapping[int, str] | None = None, when: datetime | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The ``feedetail`` entries of 2204/2301, numbered from ``first_sn``.

    ``refunds`` maps a position in ``items`` to the ``feedetl_sn`` of the line it refunds.
    """
    now = f"{when or datetime.now():{NOW}}"
    return [
        {"feedetl_sn": str(sn), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1",
         "med_list_codg": item.code, "medins_list_codg": f"HIS-{item.code[-6:]}",
         "det_item_fee_sumamt": format(item.amount, "f"), "cnt": format(item.cnt, "f"),
         "pric": format(item.pric, "f"), "fee_ocur_time": now, "bilg_dept_codg": "D01",
         "bilg_dept_name": "内科", "bilg_dr_codg": "DR1", "bilg_dr_name": "医生",
         "hosp_appr_flag": "1", "rx_circ_flag": "0", "med_type": med_type,
         **({"init_feedetl_sn": refunds[i]} if refunds and i in refunds else {})}
        for i, (sn, item) in enumerate(zip(range(first_sn, first_sn + len(items)), items, strict=True))
    ]  # fmt: skip


def register_input(person: Person) -> dict[str, Any]:
    """2201: an outpatient registration now."""
    return {"data": {
        "psn_no": person.psn_no, "insutype": person.insutype, "begntime": f"{datetime.now():{NOW}}",
        "mdtrt_cert_type": "02", "mdtrt_cert_no": person.psn_no, "ipt_otp_no": "OP1",
        "atddr_no": "DR1", "dr_name": "医生", "dept_code": "D01", "dept_name": "内科", "caty": "A03",
    }}  # fmt: skip


def record_input(mdtrt_id: str, person: Person) -> dict[str, Any]:
    """2203: care type 11 (普通门诊) and one diagnosis."""
    now = f"{datetime.now():{NOW}}"
    return {
        "mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": "11", "begntime": now},
        "diseinfo": [_diagnosis(person.psn_no, "J06.900", "急性上呼吸道感染", now)],
    }  # fmt: skip


def settle_input(infno: str, mdtrt_id: str, person: Person, medfee: Decimal, *,
                 mid_stay: bool = False, split: Mapping[str, Decimal] | None = None,
                 ) -> dict[str, Any]:  # fmt: skip
    """2206/2207/2303/2304 (the account used when the person has one).

    ``split``: the line split's sums (:func:`split_sums`), which 2303 requires.
    """
    return {"data": {
        "psn_no": person.psn_no, "mdtrt_id": mdtrt_id, "insutype": person.insutype,
        "mdtrt_cert_type": "02", "mdtrt_cert_no": person.psn_no, "psn_setlway": "01",
        "med_type": "11" if infno.startswith("22") else "21", "chrg_bchno": "B1",
        "acct_used_flag": "1" if person.has_account else "0",
        "mid_setl_flag": "1" if mid_stay else "0", "medfee_sumamt": format(medfee, "f"),
        **{name: format(value, "f") for name, value in (split or {}).items()},
    }}  # fmt: skip


def reverse_input(mdtrt_id: str, setl_id: str, person: Person) -> dict[str, Any]:
    """2208 / 2305: the settlement in force of the visit."""
    return {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": person.psn_no}}


def admit_input(person: Person) -> dict[str, Any]:
    """2401: an admission now (care type 21 普通住院)."""
    now = f"{datetime.now():{NOW}}"
    return {"mdtrtinfo": {
        "psn_no": person.psn_no, "insutype": person.insutype, "begntime": now, "med_type": "21",
        "mdtrt_cert_type": "02", "mdtrt_cert_no": person.psn_no, "ipt_no": "IP1", "atddr_no": "DR1",
        "chfpdr_name": "医生", "adm_diag_dscr": "肺炎", "adm_dept_codg": "D02", "adm_dept_name": "呼吸内科",
        "adm_bed": "3", "dscg_maindiag_code": "J18.900", "dscg_maindiag_name": "肺炎",
    }, "diseinfo": [_diagnosis(person.psn_no, "J18.900", "肺炎", now)]}  # fmt: skip


def discharge_input(mdtrt_id: str, person: Person) -> dict[str, Any]:
    """2402: discharge now."""
    now = f"{datetime.now():{NOW}}"
    return {"dscginfo": {
        "mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "insutype": person.insutype, "endtime": now,
        "dscg_dept_codg": "D02", "dscg_dept_name": "呼吸内科", "dscg_way": "1",
    }, "diseinfo": [_diagnosis(person.psn_no, "J18.900", "肺炎", now)]}  # fmt: skip


def reverse_message_input(person: Person, omsgid: str, oinfno: str) -> dict[str, Any]:
    """2601: the original message by its ``msgid`` and ``infno``."""
    return {"data": {"psn_no": person.psn_no, "omsgid": omsgid, "oinfno": oinfno}}


def _diagnosis(psn_no: str, code: str, name: str, now: str) -> dict[str, str]:
    return {"psn_no": psn_no, "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": "1",
            "diag_code": code, "diag_name": name, "diag_dept": "内科", "dise_dor_no": "DR1",
            "dise_dor_name": "医生", "diag_time": now, "vali_flag": "1"}  # fmt: skip
