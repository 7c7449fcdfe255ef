"""Settlement tables: visits, diagnoses, fee lines with their split, settlements, fund rows, counters.

A settlement row carries the queryable ``setlinfo`` amounts as columns and the whole record (lines,
trace, the visit's running totals) as a JSON document, so a later mid-stay, final or reversal
rebuilds exactly what the engine needs. ``year_counters`` holds a person's yearly counters, one row
per counter, moved only inside the transaction that stores the settlement.
``region_receivables`` holds one row per settlement of a person insured in another region (异地就医):
what the care region advanced for the insuring region, written in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from yibao.store.base import metadata
from yibao.store.types import Amount, Count, Price, Ratio

__all__ = [
    "diagnoses",
    "fee_lines",
    "operations",
    "region_receivables",
    "settlement_funds",
    "settlements",
    "visits",
    "year_counters",
]

visits = Table(
    "visits",
    metadata,
    Column("mdtrt_id", String(30), primary_key=True),
    # no foreign key: a manual claim's visit may be at an institution outside the deployment (0008)
    Column("fixmedins_code", String(30), nullable=False),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("med_type", String(6), nullable=False),
    Column("begntime", DateTime, nullable=False),
    Column("endtime", DateTime),
    Column("mdtrtarea_admvs", String(6), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("ipt_no", String(30)),
    Column("status", String(12), nullable=False),
    Column("created_msgid", String(30), nullable=False),
    Index("ix_visits_fixmedins_code_begntime", "fixmedins_code", "begntime"),
    Index("ix_visits_psn_no", "psn_no"),
)

diagnoses = Table(
    "diagnoses",
    metadata,
    Column("mdtrt_id", String(30), ForeignKey("visits.mdtrt_id"), primary_key=True),
    Column("diag_srt_no", Integer, primary_key=True),
    Column("diag_type", String(3), nullable=False),
    Column("maindiag_flag", String(1), nullable=False),
    Column("diag_code", String(30), nullable=False),
    Column("diag_name", String(100), nullable=False),
)

operations = Table(
    "operations",
    metadata,
    Column("mdtrt_id", String(30), ForeignKey("visits.mdtrt_id"), primary_key=True),
    Column("oprn_srt_no", Integer, primary_key=True),
    Column("oprn_oprt_code", String(30), nullable=False),
    Column("oprn_oprt_name", String(500), nullable=False),
    Column("main_oprn_flag", String(1), nullable=False),
)

fee_lines = Table(
    "fee_lines",
    metadata,
    Column("mdtrt_id", String(30), ForeignKey("visits.mdtrt_id"), primary_key=True),
    Column("feedetl_sn", String(30), primary_key=True),
    Column("line_no", Integer, nullable=False),
    Column("chrg_bchno", String(30), nullable=False, default=""),
    Column("init_feedetl_sn", String(30)),
    Column("med_list_codg", String(50), nullable=False),
    Column("medins_list_codg", String(150), nullable=False),
    Column("det_item_fee_sumamt", Amount(), nullable=False),
    Column("cnt", Count(), nullable=False),
    Column("pric", Price(), nullable=False),
    Column("fee_ocur_time", DateTime, nullable=False),
    Column("hosp_appr_flag", String(1), nullable=False),
    Column("fulamt_ownpay_amt", Amount(), nullable=False),
    Column("overlmt_amt", Amount(), nullable=False),
    Column("preselfpay_amt", Amount(), nullable=False),
    Column("inscp_scp_amt", Amount(), nullable=False),
    Column("selfpay_prop", Ratio(), nullable=False),
    Column("chrgitm_lv", String(2), nullable=False),
    Column("status", String(10), nullable=False),
    Column("setl_id", String(40)),
    #: 开单科室, as 2204/2301 send it (issue F: deductions and consequences name the department)
    Column("bilg_dept_codg", String(30)),
    Column("bilg_dept_name", String(100)),
)

_AMOUNTS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "hifdm_pay",
    "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "acct_mulaid_pay",
    "psn_cash_pay", "hosp_part_amt", "balc",
)  # fmt: skip

settlements = Table(
    "settlements",
    metadata,
    Column("setl_id", String(40), primary_key=True),
    Column("mdtrt_id", String(30), ForeignKey("visits.mdtrt_id"), nullable=False, index=True),
    Column("psn_no", String(30), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("setl_time", DateTime, nullable=False),
    Column("policy_region", String(6), nullable=False),
    Column("policy_version", String(30), nullable=False),
    Column("reverses", String(40)),
    Column("reversed_by", String(40)),
    Column("msgid", String(30), nullable=False),
    *(Column(name, Amount(), nullable=False) for name in _AMOUNTS),
    Column("pool_prop_selfpay", Ratio(), nullable=False),
    Column("document", Text, nullable=False),
    Index("ix_settlements_fixmedins_code_setl_time", "fixmedins_code", "setl_time"),
)

settlement_funds = Table(
    "settlement_funds",
    metadata,
    Column("setl_id", String(40), ForeignKey("settlements.setl_id"), primary_key=True),
    Column("fund_pay_type", String(10), primary_key=True),
    Column("inscp_scp_amt", Amount(), nullable=False),
    Column("crt_payb_lmt_amt", Amount()),
    Column("fund_payamt", Amount(), nullable=False),
    Column("setl_proc_info", Text, nullable=False),
)

year_counters = Table(
    "year_counters",
    metadata,
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), primary_key=True),
    Column("insutype", String(6), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("counter", String(30), primary_key=True),
    Column("value", Amount(), nullable=False),
)

region_receivables = Table(
    "region_receivables",
    metadata,
    Column("setl_id", String(40), ForeignKey("settlements.setl_id"), primary_key=True),
    Column("mdtrt_id", String(30), nullable=False),
    Column("psn_no", String(30), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    #: the creditor: the region where care happened (就医地), which paid the institution
    Column("care_admdvs", String(6), nullable=False),
    #: the debtor: the person's insuring region (参保地)
    Column("insu_admdvs", String(6), nullable=False),
    #: 支付地点类别: 2 省内异地, 3 跨省异地
    Column("pay_loc", String(1), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("setl_time", DateTime, nullable=False),
    #: the clearing month, ``YYYY-MM`` of ``setl_time``
    Column("period", String(7), nullable=False),
    Column("medfee_sumamt", Amount(), nullable=False),
    Column("fund_pay_sumamt", Amount(), nullable=False),
    Column("acct_pay", Amount(), nullable=False),
    #: what the insuring region owes: its funds' share plus the person's account (negative for a
    #: reversal, which mirrors the settlement it reverses)
    Column("amount", Amount(), nullable=False),
    Index("ix_region_receivables_period_regions", "period", "care_admdvs", "insu_admdvs"),
)
