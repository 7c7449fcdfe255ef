"""Small builders for engine tests: catalogue entries, institutions, persons, lines and visits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from yibao.catalog.model import CatalogEntry, Institution
from yibao.kernel.codes import ChrgitmLv, HospLv, ListType, PsnIdetType
from yibao.kernel.money import fen
from yibao.kernel.tiers import HospitalTier
from yibao.policy.model import Policy
from yibao.policy.service import demo_policy_dir, load_policy_book
from yibao.settlement.model import FeeLine, Person, Visit

D = Decimal
DAY = datetime(2026, 3, 10, 9, 0)


def entry(
    code: str,
    lv: str = "01",
    prop: str = "0",
    *,
    ceilings: dict[HospitalTier, str] | None = None,
    restricted: bool = False,
) -> CatalogEntry:
    return CatalogEntry(
        code=code,
        name=f"测试{code}",
        list_type=ListType.WESTERN_MEDICINE,
        chrgitm_lv=ChrgitmLv(lv),
        med_chrgitm_type="09",
        admdvs="990100",
        selfpay_prop=D(prop),
        price_ceilings={t: D(v) for t, v in (ceilings or {}).items()},
        restricted=restricted,
        restriction="限二级及以上医疗机构" if restricted else "",
        begndate=date(2024, 1, 1),
        enddate=None,
    )


CATALOG = {
    "A": entry("A"),
    "B10": entry("B10", "02", "0.10"),
    "B20": entry("B20", "02", "0.20"),
    "C": entry("C", "03"),
    "R": entry("R", "02", "0.10", restricted=True),
    "L": entry("L", "01", ceilings={HospitalTier.TIER3: "50", HospitalTier.TIER2: "45"}),
}

HOSPITALS = {
    HospitalTier.TIER3: Institution(
        "H99010000001", "三级医院", HospLv.TIER3_A, "990100", "hospital"
    ),
    HospitalTier.TIER2: Institution(
        "H99010000003", "二级医院", HospLv.TIER2_A, "990100", "hospital"
    ),
    HospitalTier.TIER1: Institution(
        "H99010000005", "一级医院", HospLv.TIER1_A, "990100", "hospital"
    ),
    HospitalTier.PRIMARY: Institution("H99010000006", "社区", HospLv.UNGRADED, "990100", "primary"),
}


def demo_policy(year: int = 2026) -> Policy:
    return load_policy_book(directory=demo_policy_dir()).in_force("990100", date(year, 6, 1))


def person(
    insutype: str = "310",
    psn_type: str = "1101",
    *,
    civil_servant: bool = False,
    identities: tuple[PsnIdetType, ...] = (),
) -> Person:
    return Person(
        psn_no="P0001",
        psn_name="测试",
        gend="1",
        brdy=date(1970, 1, 1),
        psn_cert_type="01",
        certno="",
        insutype=insutype,
        psn_type=psn_type,
        cvlserv_flag=civil_servant,
        insuplc_admdvs="990100",
        identities=frozenset(identities),
    )


def line(
    sn: str,
    code: str,
    pric: str,
    cnt: str = "1",
    *,
    refund_of: str | None = None,
    approved: bool = False,
) -> FeeLine:
    price, count = D(pric), D(cnt)
    return FeeLine(
        feedetl_sn=sn,
        med_list_codg=code,
        medins_list_codg=f"HIS-{code}",
        cnt=count,
        pric=price,
        det_item_fee_sumamt=fen(price * count),
        fee_ocur_time=DAY,
        hosp_appr_flag="1" if approved else "0",
        init_feedetl_sn=refund_of,
    )


def visit(
    lines: tuple[FeeLine, ...],
    *,
    who: Person | None = None,
    tier: HospitalTier = HospitalTier.TIER3,
    med_type: str = "21",
    account: bool = False,
    mid_stay: bool = False,
    mdtrt_id: str = "M0001",
) -> Visit:
    who = who or person()
    return Visit(
        mdtrt_id=mdtrt_id,
        person=who,
        institution=HOSPITALS[tier],
        insutype=who.insutype,
        med_type=med_type,
        begntime=DAY,
        endtime=None if mid_stay else DAY,
        mdtrtarea_admvs="990100",
        lines=lines,
        acct_used_flag=account,
        mid_setl_flag=mid_stay,
    )
