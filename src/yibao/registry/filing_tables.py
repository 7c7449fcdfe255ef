"""Filing tables: 门诊慢特病备案, 人员定点备案, 转院备案 and 异地就医备案, each with its validity and revocation.

A filing is never deleted: revoking one (2504, 2506, 2502) stamps ``revoked_at`` and the
institution's memo, so the agency can see what was valid on any past day. The fields of the
interface that decide nothing here (contact, identifying institution and doctor, agent …) are kept
as sent in ``particulars``.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Index, String, Table

from yibao.store.base import metadata

__all__ = ["chronic_filings", "designated_filings", "referral_filings", "remote_filings"]

chronic_filings = Table(
    "chronic_filings",
    metadata,
    Column("filing_id", String(30), primary_key=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("opsp_dise_code", String(30), nullable=False),
    Column("opsp_dise_name", String(300), nullable=False),
    #: the institution the person must use for this disease (None: any designated one)
    Column("fixmedins_code", String(12)),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("filed_by", String(12), nullable=False),
    Column("filed_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("memo", String(500), nullable=False, default=""),
    #: the interface's other fields as sent (tel, addr, identifying institution, agent …)
    Column("particulars", JSON, nullable=False, default=dict),
    Index("ix_chronic_filings_psn_no", "psn_no"),
)

designated_filings = Table(
    "designated_filings",
    metadata,
    Column("filing_id", String(30), primary_key=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("filed_by", String(12), nullable=False),
    Column("filed_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("memo", String(500), nullable=False, default=""),
    #: the interface's other fields as sent (tel, addr, identifying institution, agent …)
    Column("particulars", JSON, nullable=False, default=dict),
    Index("ix_designated_filings_psn_no", "psn_no"),
)

referral_filings = Table(
    "referral_filings",
    metadata,
    Column("trt_dcla_detl_sn", String(30), primary_key=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(6)),
    Column("diag_code", String(20), nullable=False),
    Column("diag_name", String(100), nullable=False),
    Column("from_fixmedins_code", String(12), nullable=False),
    Column("reflin_medins_no", String(12), nullable=False),
    Column("reflin_medins_name", String(200), nullable=False),
    Column("mdtrtarea_admdvs", String(6), nullable=False),
    Column("refl_type", String(30), nullable=False),
    Column("refl_date", Date, nullable=False),
    Column("refl_rea", String(100), nullable=False),
    Column("refl_opnn", String(200), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("filed_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("memo", String(500), nullable=False, default=""),
    #: the interface's other fields as sent (tel, addr, identifying institution, agent …)
    Column("particulars", JSON, nullable=False, default=dict),
    Index("ix_referral_filings_psn_no", "psn_no"),
)

remote_filings = Table(
    "remote_filings",
    metadata,
    Column("filing_id", String(30), primary_key=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    #: the insuring region that accepted the filing (参保地)
    Column("insuplc_admdvs", String(6), nullable=False),
    #: where care is filed for (就医地): a city (``980100``) or a whole province (``980000``)
    Column("mdtrtarea_admdvs", String(6), nullable=False),
    Column("filing_type", String(20), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    #: ``person`` (portal, API) or ``agency`` (the insuring region's window)
    Column("filed_by", String(10), nullable=False),
    Column("operator", String(50), nullable=False),
    Column("filed_at", DateTime, nullable=False),
    #: the filing this one renews (it begins the day after that one ends)
    Column("renews", String(30)),
    Column("withdrawn_at", DateTime),
    Column("memo", String(500), nullable=False, default=""),
    Index("ix_remote_filings_psn_no", "psn_no"),
)
