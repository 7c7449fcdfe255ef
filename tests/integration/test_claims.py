"""Manual reimbursement (手工报销, ADR 0015) on SQLite and PostgreSQL with the demo regions loaded:
a claim from the failure record to the payment, third-party liability, documents, bad input,
deadlines."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from tests.support.databases import migrated_engine
from yibao.catalog.repository import region_codes
from yibao.catalog.service import demo_store
from yibao.crossregion.claim_tables import claim_documents, claim_lines, claims
from yibao.crossregion.claims import (
    clear_liability,
    decide,
    file_claim,
    get_claim,
    list_claims,
    request_more,
    resubmit,
    take,
)
from yibao.crossregion.claims_documents import add_document, read_document
from yibao.crossregion.claims_failures import issue_failure
from yibao.crossregion.claims_model import MAX_DOCUMENT_BYTES, ClaimConflict, ClaimState
from yibao.crossregion.claims_records import ClaimFile
from yibao.crossregion.claims_settle import pay_claim, settle_claim
from yibao.demo.load import load_demo
from yibao.kernel.errors import InvalidValue, NotFound, YibaoError
from yibao.registry.remote_filings import file_remote
from yibao.registry.tables import accounts, enrolments, persons
from yibao.settlement import codec
from yibao.settlement.model import Settlement
from yibao.settlement.tables import (
    fee_lines,
    region_receivables,
    settlements,
    visits,
    year_counters,
)
from yibao.settlement.visits import Reference, load_reference
from yibao.store.engine import write_transaction

D = Decimal
NOT_ENABLED = "H98010000003"  # 邻省市第二人民医院, 980100, 二级 (06), not enabled for 异地联网
NETWORKED = "H98010000001"  # 邻省市第一人民医院, 980100, 三级 (02), enabled
NOW = datetime(2026, 4, 1, 9, 30)
BEGIN, END = date(2026, 3, 2), date(2026, 3, 8)

#: the worked example's fee list (ADR 0015): code, name, cnt, pric, amount
FEE_LIST = [
    ("001109000010000", "普通病房床位费", "6", "60.00", "360.00"),
    ("XB05BAF150B002010100269", "复方氨基酸注射液(18AA)", "40", "38.50", "1540.00"),
    ("XG04BET001A001010100299", "他达拉非片", "2", "120.00", "240.00"),
    ("XG01AFK079A008010100225", "克霉唑阴道片", "5", "12.30", "61.50"),
    ("002503020030000", "糖化血红蛋白测定", "1", "80.00", "80.00"),
]


def minimal_pdf(note: str = "invoice") -> bytes:
    """A small valid PDF (one empty page) whose cross-reference offsets are exact."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        f"<< /Title ({note}) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def minimal_png(shade: int = 0) -> bytes:
    """A valid 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes([0, shade]))) + chunk(b"IEND", b""))  # fmt: skip


ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database migrated to head with the demo regions (990100, 990200, 980100) loaded."""
    with migrated_engine(request, tmp_path_factory, "claims") as engine:
        yield from _prepared(engine)


def _prepared(engine: Engine) -> Iterator[Engine]:
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=300)
    yield engine


@pytest.fixture(scope="module")
def ref(engine: Engine) -> Reference:
    with engine.connect() as connection:
        return load_reference(connection)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "var"


#: the persons each database's tests have taken
_USED: dict[str, set[str]] = {}


def employee(engine: Engine) -> str:
    """An in-service employee (310, 1101) of 990100 no other test has used, without a civil-servant
    subsidy: a fresh year of counters."""
    e = enrolments.c
    with engine.connect() as connection:
        found = connection.execute(
            select(e.psn_no).where(e.insutype == "310", e.psn_type == "1101", e.cvlserv_flag.is_(False),
                                   e.insuplc_admdvs == "990100").order_by(e.psn_no)
        ).scalars().all()  # fmt: skip
    used = _USED.setdefault(str(engine.url), set())
    psn_no = next(p for p in found if p not in used)
    used.add(psn_no)
    return psn_no


def person_name(connection: Connection, psn_no: str) -> str:
    return str(
        connection.execute(
            select(persons.c.psn_name).where(persons.c.psn_no == psn_no)
        ).scalar_one()
    )


def failure(connection: Connection, psn_no: str, *, code: str = NOT_ENABLED, reason: str = "not_enabled",
            total: str = "2281.50", med_type: str = "21") -> str:  # fmt: skip
    record = issue_failure(connection, data={
        "fixmedins_code": code, "psn_no": psn_no, "psn_name": person_name(connection, psn_no),
        "certno": "", "insuplc_admdvs": "990100", "med_type": med_type, "begndate": BEGIN.isoformat(),
        "enddate": END.isoformat(), "medfee_sumamt": total, "reason": reason,
        "detail": "本院未开通跨省异地就医直接结算" if reason == "not_enabled" else "医保网络中断",
    }, issued_by="收费处 李四", now=NOW)  # fmt: skip
    return record.failure_no


def claim_data(psn_no: str, failure_no: str | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "psn_no": psn_no, "insutype": "310",
        "diagnoses": [{"diag_code": "K35.800", "diag_name": "急性阑尾炎"}],
        "lines": [{"code": c, "name": n, "cnt": q, "pric": p, "amount": a} for c, n, q, p, a in FEE_LIST],
        "injury_cause": "none",
    }  # fmt: skip
    if failure_no is not None:
        data["failure_no"] = failure_no
    return {**data, **extra}


def upload(connection: Connection, root: Path, claim_no: str, doc_type: str, content: bytes,
           name: str = "scan.pdf", at: datetime = NOW) -> None:  # fmt: skip
    add_document(connection, root=root, claim_no=claim_no, doc_type=doc_type, content=content,
                 filename=name, actor="参保人", now=at)  # fmt: skip


def complete(connection: Connection, root: Path, claim_no: str, at: datetime = NOW) -> None:
    upload(
        connection, root, claim_no, "invoice", minimal_pdf(f"invoice {claim_no}"), "发票.pdf", at
    )
    upload(connection, root, claim_no, "fee_list", minimal_pdf(f"fees {claim_no}"), "清单.pdf", at)
    upload(connection, root, claim_no, "discharge_summary", minimal_png(7), "出院小结.png", at)


def referral_filing(connection: Connection, psn_no: str) -> None:
    file_remote(connection, psn_no=psn_no, mdtrtarea_admdvs="980100", filing_type="referral",
                begndate=date(2026, 3, 1), enddate=date(2026, 3, 31), filed_by="agency",
                operator="窗口", now=datetime(2026, 2, 27, 10), regions=region_codes(connection))  # fmt: skip


def counters(connection: Connection, psn_no: str) -> dict[str, Decimal]:
    rows = connection.execute(
        select(year_counters.c.counter, year_counters.c.value).where(
            year_counters.c.psn_no == psn_no, year_counters.c.year == 2026)
    )  # fmt: skip
    return {r.counter: r.value for r in rows}


def assert_identities(s: Settlement) -> None:
    a = s.amounts
    assert (
        a.medfee_sumamt
        == a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt
    )
    assert a.fund_pay_sumamt == sum((f.fund_payamt for f in s.funds), D(0))
    assert a.psn_part_amt == a.medfee_sumamt - a.fund_pay_sumamt - a.hosp_part_amt
    assert a.psn_part_amt == a.acct_pay + a.psn_cash_pay
    assert all(v >= 0 for v in a.as_dict().values())


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def test_a_claim_from_the_failure_record_to_the_payment(
    engine: Engine, ref: Reference, root: Path
) -> None:
    psn_no = employee(engine)
    with write_transaction(engine) as connection:
        referral_filing(connection, psn_no)
        balance = connection.execute(
            select(accounts.c.balance).where(accounts.c.psn_no == psn_no)
        ).scalar()
        failure_no = failure(connection, psn_no)
        filed = file_claim(connection, data=claim_data(psn_no, failure_no), filed_by="person",
                           operator="国家医保服务平台", now=NOW)  # fmt: skip
    c = filed.claim
    assert (c.state, c.fixmedins_code, c.care_admdvs, c.hosp_lv, c.reason, c.insuplc_admdvs) == (
        ClaimState.FILED, NOT_ENABLED, "980100", "06", "not_enabled", "990100")  # fmt: skip
    assert c.medfee_sumamt == D("2281.50") and c.due_on is None and filed.deadline == "none"
    # the registry's referral filing is the proof: no filing_proof is asked for
    assert [d.value for d in filed.missing] == ["invoice", "fee_list", "discharge_summary"]
    later = NOW + timedelta(days=2)
    with write_transaction(engine) as connection:
        complete(connection, root, c.claim_no, at=later)
        taken = take(connection, claim_no=c.claim_no, clerk="经办 王五", now=later)
        approved = decide(connection, claim_no=c.claim_no, clerk="经办 王五", outcome="approve",
                          reason="材料齐全，备案有效", now=later)  # fmt: skip
        claim, s = settle_claim(connection, ref, claim_no=c.claim_no, clerk="经办 王五", now=later)
    assert taken.due_on == later.date() + timedelta(days=30) and taken.complete_on == later.date()
    assert approved.state is ClaimState.APPROVED
    a = s.amounts
    # the insuring region's catalogue (第14条), 二级 ceilings: 床位费 over its 45.00 ceiling by 15.00
    # a day, 他达拉非片 丙类; 600 deductible; 88% less 10 points for the referral filing = 78%
    assert (a.medfee_sumamt, a.fulamt_ownpay_amt, a.overlmt_selfpay, a.preselfpay_amt, a.inscp_scp_amt) == (
        D("2281.50"), D("240.00"), D("116.00"), D("313.40"), D("1612.10"))  # fmt: skip
    assert (a.act_pay_dedc, a.hifp_pay, a.fund_pay_sumamt, a.psn_part_amt, a.acct_pay, a.psn_cash_pay) == (
        D("600.00"), D("789.44"), D("789.44"), D("1492.06"), D("0.00"), D("1492.06"))  # fmt: skip
    assert_identities(s)
    assert s.visit.filing_type == "referral" and s.visit.pay_loc.value == "3"
    assert s.trace[0].step == "manual_claim" and "参保地 990100 的目录" in s.trace[0].text
    assert not any(step.step == "place_of_care" for step in s.trace)
    assert (claim.state, claim.catalog_admdvs, claim.filing_type, claim.payable) == (
        ClaimState.SETTLED, "990100", "referral", D("789.44"))  # fmt: skip
    with engine.connect() as connection:
        moved = counters(connection, psn_no)
        stored = codec.decode(json.loads(connection.execute(
            select(settlements.c.document).where(settlements.c.setl_id == s.setl_id)).scalar_one()))  # fmt: skip
        visit_row = connection.execute(select(visits).where(visits.c.mdtrt_id == c.claim_no)).one()
        after = connection.execute(
            select(accounts.c.balance).where(accounts.c.psn_no == psn_no)
        ).scalar()
    assert moved["admissions"] == 1 and moved["fund:310100"] == D("789.44")
    assert moved["inscp"] == D("1612.10") and stored.amounts == a
    assert (visit_row.status, visit_row.fixmedins_code, visit_row.mdtrtarea_admvs) == (
        "settled",
        NOT_ENABLED,
        "980100",
    )
    assert after == balance  # the account paid nothing
    assert count(engine, fee_lines, fee_lines.c.mdtrt_id == c.claim_no) == 5
    assert count(engine, region_receivables, region_receivables.c.setl_id == s.setl_id) == 0
    with write_transaction(engine) as connection:
        paid = pay_claim(connection, claim_no=c.claim_no, paid_on=later.date(), bank_ref="ICBC20260403000123",
                         actor="财务 赵六", now=later)  # fmt: skip
        again = _refused(lambda: pay_claim(connection, claim_no=c.claim_no, paid_on=later.date(),
                                           bank_ref="x", actor="y", now=later))  # fmt: skip
    assert (paid.state, paid.paid_amount, paid.bank_ref) == (
        ClaimState.PAID,
        D("789.44"),
        "ICBC20260403000123",
    )
    assert again == "state"
    with engine.connect() as connection:
        final = get_claim(connection, c.claim_no, today=later.date())
        _, content = read_document(connection, root=root, claim_no=c.claim_no, doc_no=3)
    assert [(s.kind.value, s.actor) for s in final.steps] == [
        ("filed", "国家医保服务平台"), ("document_added", "参保人"), ("document_added", "参保人"),
        ("document_added", "参保人"), ("taken", "经办 王五"), ("approved", "经办 王五"),
        ("settled", "经办 王五"), ("paid", "财务 赵六")]  # fmt: skip
    assert (
        final.deadline == "met"
        and final.failure is not None
        and final.failure.failure_no == failure_no
    )
    assert content == minimal_png(7) and final.documents[2].media_type == "image/png"
    assert (root / final.documents[0].path).read_bytes() == minimal_pdf(f"invoice {c.claim_no}")


def _refused(call: Any) -> str:
    try:
        call()
    except YibaoError as exc:
        return str(getattr(exc, "field", exc.message.partition(":")[0]))
    raise AssertionError("not refused")


def third_party_claim(engine: Engine, root: Path, cause: str) -> str:
    psn_no = employee(engine)
    with write_transaction(engine) as connection:
        referral_filing(connection, psn_no)
        filed = file_claim(connection, data=claim_data(psn_no, failure(connection, psn_no), injury_cause=cause),
                           filed_by="agency", operator="窗口 陈", now=NOW)  # fmt: skip
        complete(connection, root, filed.claim.claim_no)
        take(connection, claim_no=filed.claim.claim_no, clerk="经办 王五", now=NOW)
    return filed.claim.claim_no


def test_a_traffic_accident_is_refused_for_third_party_liability_with_the_reason(
    engine: Engine, ref: Reference, root: Path
) -> None:  # fmt: skip
    claim_no = third_party_claim(engine, root, "traffic_accident")
    with write_transaction(engine) as connection:
        done = decide(
            connection,
            claim_no=claim_no,
            clerk="经办 王五",
            outcome="approve",
            reason=None,
            now=NOW,
        )
    assert (done.state, done.refusal_code) == (ClaimState.REFUSED, "third_party_liability")
    assert done.decision_reason is not None and "第三方责任（交通事故）" in done.decision_reason
    assert "《社会保险法》第三十条" in done.decision_reason
    with engine.connect() as connection:
        file = get_claim(connection, claim_no, today=NOW.date())
    assert file.steps[-1].kind.value == "refused" and file.steps[-1].detail == {
        "refusal_code": "third_party_liability"
    }
    assert file.deadline == "met"
    with write_transaction(engine) as connection:
        assert (
            _refused(lambda: settle_claim(connection, ref, claim_no=claim_no, clerk="x", now=NOW))
            == "state"
        )
    assert count(engine, settlements, settlements.c.mdtrt_id == claim_no) == 0


def test_liability_papers_showing_no_third_party_clear_the_claim(
    engine: Engine, ref: Reference, root: Path
) -> None:
    claim_no = third_party_claim(engine, root, "work_injury")
    with write_transaction(engine) as connection:
        no_papers = _refused(lambda: clear_liability(connection, claim_no=claim_no, clerk="经办 王五",
                                                     finding="x", now=NOW))  # fmt: skip
    assert no_papers == "documents"
    with write_transaction(engine) as connection:
        upload(
            connection,
            root,
            claim_no,
            "liability_papers",
            minimal_pdf("不予认定工伤决定书"),
            "决定书.pdf",
        )
        shown = "人社局《不予认定工伤决定书》：非工作时间、非工作场所受伤，不属工伤"
        clear_liability(connection, claim_no=claim_no, clerk="经办 王五", finding=shown, now=NOW)
        done = decide(
            connection,
            claim_no=claim_no,
            clerk="经办 王五",
            outcome="approve",
            reason=None,
            now=NOW,
        )
        claim, s = settle_claim(connection, ref, claim_no=claim_no, clerk="经办 王五", now=NOW)
    assert done.state is ClaimState.APPROVED and claim.state is ClaimState.SETTLED
    assert s.amounts.fund_pay_sumamt == D("789.44")  # the same fee list, the same rules
    assert_identities(s)


def test_a_refusal_states_its_reason(engine: Engine, root: Path) -> None:
    claim_no = third_party_claim(engine, root, "none")
    with write_transaction(engine) as connection:
        assert _refused(lambda: decide(connection, claim_no=claim_no, clerk="k", outcome="refuse",
                                       reason=" ", now=NOW)) == "reason"  # fmt: skip
        assert _refused(lambda: decide(connection, claim_no=claim_no, clerk="k", outcome="refuse",
                                       reason="x", refusal_code="because", now=NOW)) == "refusal_code"  # fmt: skip
        done = decide(connection, claim_no=claim_no, clerk="k", outcome="refuse", reason="发票为复印件",
                      refusal_code="documents_missing", now=NOW)  # fmt: skip
    assert (done.state, done.refusal_code, done.decision_reason) == (
        ClaimState.REFUSED, "documents_missing", "发票为复印件")  # fmt: skip


def test_network_failure_uses_the_care_regions_catalogue_and_without_a_filing_other_temporary(
    engine: Engine, ref: Reference, root: Path
) -> None:  # fmt: skip
    psn_no = employee(engine)
    with write_transaction(engine) as connection:
        failure_no = failure(connection, psn_no, code=NETWORKED, reason="network")
        filed = file_claim(connection, data=claim_data(psn_no, failure_no), filed_by="person", operator="APP",
                           now=NOW)  # fmt: skip
        claim_no = filed.claim.claim_no
        assert "filing_proof" in [d.value for d in filed.missing]
        complete(connection, root, claim_no)
        take(connection, claim_no=claim_no, clerk="k", now=NOW)
        missing = _refused(lambda: decide(connection, claim_no=claim_no, clerk="k", outcome="approve",
                                          reason=None, now=NOW))  # fmt: skip
    assert missing == "documents"
    with write_transaction(engine) as connection:
        upload(connection, root, claim_no, "filing_proof", minimal_png(200), "备案截图.png")
        decide(connection, claim_no=claim_no, clerk="k", outcome="approve", reason=None, now=NOW)
        claim, s = settle_claim(connection, ref, claim_no=claim_no, clerk="k", now=NOW)
    assert (claim.catalog_admdvs, claim.filing_type) == ("980100", "other_temporary")
    tadalafil = next(line for line in s.lines if line.feedetl_sn == "3")
    # 980100's catalogue: 乙类 with 10% self-pay (丙类 at home)
    assert (tadalafil.chrgitm_lv, tadalafil.preselfpay_amt, tadalafil.fulamt_ownpay_amt) == (
        "02",
        D("24.00"),
        D("0.00"),
    )
    assert any(step.step == "place_of_care" for step in s.trace)
    assert_identities(s)


def test_bad_documents_are_refused_and_nothing_is_kept(engine: Engine, root: Path) -> None:
    psn_no = employee(engine)
    with write_transaction(engine) as connection:
        claim_no = file_claim(connection, data=claim_data(psn_no, failure(connection, psn_no)), filed_by="person",
                              operator="APP", now=NOW).claim.claim_no  # fmt: skip
    cases = [
        ("invoice", ZIP, "content", "a zip file (application/zip)"),
        ("invoice", EXE, "content", "application/x-msdownload"),
        ("invoice", b"just some text\n", "content", "not a known file type"),
        ("invoice", b"", "content", "the file is empty"),
        (
            "invoice",
            b"%PDF-1.4\n" + b"0" * MAX_DOCUMENT_BYTES,
            "content",
            "over the limit of 10485760 bytes",
        ),
        ("receipt", minimal_pdf(), "doc_type", "not a document type"),
    ]
    for doc_type, content, field, words in cases:
        with pytest.raises(InvalidValue) as refused, write_transaction(engine) as connection:
            upload(connection, root, claim_no, doc_type, content)
        assert refused.value.field == field and words in refused.value.reason, refused.value
    with pytest.raises(InvalidValue) as declared, write_transaction(engine) as connection:
        add_document(connection, root=root, claim_no=claim_no, doc_type="invoice", content=minimal_pdf(),
                     filename="a.png", actor="p", now=NOW, declared="image/png")  # fmt: skip
    assert declared.value.field == "media_type"
    assert count(engine, claim_documents, claim_documents.c.claim_no == claim_no) == 0
    assert not (root / "claims").exists() or not any((root / "claims").rglob("*"))
    with write_transaction(engine) as connection:
        upload(connection, root, claim_no, "invoice", minimal_pdf("one"))
    with pytest.raises(ClaimConflict) as twice, write_transaction(engine) as connection:
        upload(connection, root, claim_no, "other", minimal_pdf("one"), "copy.pdf")
    assert twice.value.field == "content" and "already document 1" in twice.value.reason
    assert count(engine, claim_documents, claim_documents.c.claim_no == claim_no) == 1
    assert len(list((root / "claims" / claim_no).iterdir())) == 1
    with pytest.raises(NotFound), write_transaction(engine) as connection:
        upload(connection, root, "SGBX-NONE", "invoice", minimal_pdf("x"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"code": "X", "name": "n", "cnt": "2", "pric": "1.00", "amount": "3.00"}]}, "lines[0].amount"),
        ({"lines": [{"code": "X", "name": "n", "cnt": 2.5, "pric": "1.00", "amount": "2.50"}]}, "lines[0].cnt"),
        ({"lines": [{"code": "X", "name": "n", "cnt": "-1", "pric": "1.00", "amount": "-1.00"}]}, "lines[0].cnt"),
        ({"lines": [{"code": "", "name": "n", "cnt": "1", "pric": "1.00", "amount": "1.00"}]}, "lines[0].code"),
        ({"lines": [{"code": "X", "name": "n", "cnt": "1", "pric": "1", "amount": "1", "colour": "red"}]},
         "lines[0].colour"),
        ({"med_type": "99x"}, "med_type"),
        ({"insutype": "999"}, "insutype"),
        ({"insutype": "390"}, "insutype"),
        ({"enddate": "2026-03-01"}, "enddate"),
        ({"enddate": "2026-03-08T10"}, "enddate"),
        ({"begndate": "2026-13-01"}, "begndate"),
        ({"injury_cause": "dog_bite"}, "injury_cause"),
        ({"diagnoses": []}, "diagnoses"),
        ({"diagnoses": [{"diag_code": "K35"}]}, "diagnoses[0].diag_name"),
        ({"medfee_sumamt": "1.00"}, "medfee_sumamt"),
        ({"fixmedins_code": "H98010000001"}, "fixmedins_code"),
        ({"surprise": 1}, "surprise"),
        ({"psn_no": "99019999999999"}, "failure_no"),  # a record of another person
        ({"psn_no": "99019999999999", "failure_no": None, "fixmedins_code": NOT_ENABLED, "fixmedins_name": "x",
          "hosp_lv": "06", "care_admdvs": "980100", "med_type": "21"}, "psn_no"),
        ({"failure_no": "JSSB-NONE"}, "failure_no"),
    ],
)  # fmt: skip
def test_bad_claims_name_the_field_and_store_nothing(
    engine: Engine, change: dict[str, Any], field: str
) -> None:
    psn_no = employee(engine)
    with write_transaction(engine) as connection:
        failure_no = failure(connection, psn_no)
    before = count(engine, claims), count(engine, claim_lines)
    data = claim_data(psn_no, failure_no, begndate=BEGIN.isoformat(), enddate=END.isoformat())
    data.update(change)
    with pytest.raises(YibaoError) as refused, write_transaction(engine) as connection:
        file_claim(connection, data=data, filed_by="person", operator="APP", now=NOW)
    assert str(refused.value).startswith(f"[{refused.value.code}] {field}: "), refused.value
    assert (count(engine, claims), count(engine, claim_lines)) == before


def test_a_claim_without_a_record_needs_the_institution_and_is_noted(
    engine: Engine, ref: Reference
) -> None:
    psn_no = employee(engine)
    bare = claim_data(psn_no, med_type="21", begndate=BEGIN.isoformat(), enddate=END.isoformat())
    with pytest.raises(InvalidValue) as refused, write_transaction(engine) as connection:
        file_claim(connection, data=bare, filed_by="person", operator="APP", now=NOW)
    assert refused.value.field == "fixmedins_code"
    local = {**bare, "fixmedins_code": "H99010000001", "fixmedins_name": "示范市第一人民医院",
             "hosp_lv": "02", "care_admdvs": "990100"}  # fmt: skip
    with pytest.raises(InvalidValue) as at_home, write_transaction(engine) as connection:
        file_claim(connection, data=local, filed_by="person", operator="APP", now=NOW)
    assert at_home.value.field == "care_admdvs"
    elsewhere = {**local, "fixmedins_code": "H44030000009", "fixmedins_name": "某市人民医院",
                 "care_admdvs": "440300", "med_type": "13"}  # fmt: skip
    with write_transaction(engine) as connection:
        filed = file_claim(connection, data=elsewhere, filed_by="agency", operator="窗口", now=NOW)
    assert filed.claim.failure_no is None and "未附结算失败记录" in filed.steps[0].text
    # emergency care needs no filing proof; an outpatient visit no discharge summary
    assert [d.value for d in filed.required] == ["invoice", "fee_list"]


def test_care_at_an_institution_outside_the_deployment_settles_from_the_claim(
    engine: Engine, ref: Reference, root: Path
) -> None:
    """深圳 (440300) is no region of this deployment: the claim names the institution, its level and
    region, the insuring region's catalogue splits the lines and emergency care counts as filed."""
    psn_no = employee(engine)
    data = claim_data(psn_no, med_type="13", begndate=END.isoformat(), enddate=END.isoformat(),
                      fixmedins_code="H44030000009", fixmedins_name="某市人民医院", hosp_lv="02",
                      care_admdvs="440300")  # fmt: skip
    with write_transaction(engine) as connection:
        claim_no = file_claim(
            connection, data=data, filed_by="agency", operator="窗口", now=NOW
        ).claim.claim_no
        upload(connection, root, claim_no, "invoice", minimal_pdf(claim_no))
        upload(connection, root, claim_no, "fee_list", minimal_png(3))
        take(connection, claim_no=claim_no, clerk="k", now=NOW)
        decide(connection, claim_no=claim_no, clerk="k", outcome="approve", reason=None, now=NOW)
        assert counters(connection, psn_no) == {}
        claim, s = settle_claim(connection, ref, claim_no=claim_no, clerk="k", now=NOW)
    assert "H44030000009" not in ref.institutions
    assert (claim.state, claim.catalog_admdvs, claim.filing_type) == (
        ClaimState.SETTLED, "990100", "emergency")  # fmt: skip
    assert (s.visit.institution.fixmedins_name, s.visit.institution.admdvs, s.visit.pay_loc.value) == (
        "某市人民医院", "440300", "3")  # fmt: skip
    assert_identities(s)
    a = s.amounts
    # 990100's 三级 outpatient pooling: 1,000 deductible, 50% less 10 points for emergency care
    assert (a.medfee_sumamt, a.inscp_scp_amt, a.act_pay_dedc, a.fund_pay_sumamt, a.acct_pay) == (
        D("2281.50"), D("1647.50"), D("1000.00"), D("259.00"), D("0.00"))  # fmt: skip
    assert claim.payable == D("259.00") == (a.inscp_scp_amt - a.act_pay_dedc) * D("0.40")
    with engine.connect() as connection:
        row = connection.execute(select(visits).where(visits.c.mdtrt_id == claim_no)).one()
        moved = counters(connection, psn_no)
    assert (row.status, row.fixmedins_code, row.mdtrtarea_admvs) == (
        "settled",
        "H44030000009",
        "440300",
    )
    assert moved["inscp"] == a.inscp_scp_amt
    assert sum((v for k, v in moved.items() if k.startswith("fund:")), D(0)) == a.fund_pay_sumamt
    assert count(engine, fee_lines, fee_lines.c.mdtrt_id == claim_no) == 5


def test_failure_records_must_fit_the_institution(engine: Engine) -> None:
    psn_no = employee(engine)
    cases = [
        ({"code": NOT_ENABLED, "reason": "network"}, "reason"),
        ({"code": NETWORKED, "reason": "not_enabled"}, "reason"),
        ({"code": NETWORKED, "reason": "no_filing", "med_type": "13"}, "reason"),
        ({"code": "H00000000000", "reason": "network"}, "fixmedins_code"),
        ({"total": "12.345"}, "medfee_sumamt"),
    ]
    for kwargs, field in cases:
        with pytest.raises(YibaoError) as refused, write_transaction(engine) as connection:
            failure(connection, psn_no, **kwargs)
        assert str(refused.value).split("] ", 1)[1].startswith(f"{field}: "), refused.value
    with write_transaction(engine) as connection:
        failure_no = failure(connection, psn_no)
        file_claim(
            connection,
            data=claim_data(psn_no, failure_no),
            filed_by="person",
            operator="APP",
            now=NOW,
        )
    with pytest.raises(ClaimConflict) as twice, write_transaction(engine) as connection:
        file_claim(
            connection,
            data=claim_data(psn_no, failure_no),
            filed_by="person",
            operator="APP",
            now=NOW,
        )
    assert twice.value.field == "failure_no"


def test_the_deadline_runs_from_complete_documents_stops_for_more_and_is_listed(
    engine: Engine, root: Path
) -> None:
    psn_no, other = employee(engine), employee(engine)
    start = datetime(2026, 3, 10, 9)
    with write_transaction(engine) as connection:
        late = file_claim(connection, data=claim_data(psn_no, failure(connection, psn_no)), filed_by="person",
                          operator="APP", now=NOW).claim.claim_no  # fmt: skip
        soon = file_claim(connection, data=claim_data(other, failure(connection, other)), filed_by="person",
                          operator="APP", now=NOW).claim.claim_no  # fmt: skip
        referral_filing(connection, psn_no)
        referral_filing(connection, other)
        complete(connection, root, late, at=start)
        complete(connection, root, soon, at=start + timedelta(days=8))
    assert_due(engine, late, date(2026, 4, 9))
    assert_due(engine, soon, date(2026, 4, 17))
    day = date(2026, 4, 12)  # late is 3 days overdue, soon is due in 5 days
    with engine.connect() as connection:
        overdue = [x.claim.claim_no for x in list_claims(connection, today=day, deadline="overdue")]
        due_soon = [
            x.claim.claim_no for x in list_claims(connection, today=day, deadline="due_soon")
        ]
        statuses = {
            x.claim.claim_no: x.deadline for x in list_claims(connection, today=day, psn_no=psn_no)
        }
    assert late in overdue and soon not in overdue and soon in due_soon and late not in due_soon
    assert statuses[late] == "overdue"
    asked_on = datetime(2026, 4, 12, 10)
    with write_transaction(engine) as connection:
        take(connection, claim_no=late, clerk="k", now=asked_on)
        asked = request_more(
            connection, claim_no=late, clerk="k", what="请补充发票原件", now=asked_on
        )
    assert (asked.state, asked.due_on, asked.complete_on) == (ClaimState.MORE_REQUESTED, None, None)
    with engine.connect() as connection:
        assert late not in [
            x.claim.claim_no for x in list_claims(connection, today=day, deadline="overdue")
        ]
    back = datetime(2026, 4, 20, 15)
    with write_transaction(engine) as connection:
        upload(connection, root, late, "invoice", minimal_pdf("original"), "发票原件.pdf", at=back)
        again = resubmit(connection, claim_no=late, actor="参保人", note="已补发票原件", now=back)
    assert (again.state, again.due_on) == (ClaimState.FILED, date(2026, 5, 20))
    with engine.connect() as connection:
        assert (
            _refused(lambda: list_claims(connection, today=day, deadline="soonish")) == "deadline"
        )
        assert _refused(lambda: list_claims(connection, today=day, states=["lost"])) == "state"


def assert_due(engine: Engine, claim_no: str, due: date) -> None:
    with engine.connect() as connection:
        file: ClaimFile = get_claim(connection, claim_no, today=NOW.date())
    assert file.claim.due_on == due and file.missing == ()


def test_steps_the_state_does_not_allow_are_refused(
    engine: Engine, ref: Reference, root: Path
) -> None:
    psn_no = employee(engine)
    with write_transaction(engine) as connection:
        claim_no = file_claim(connection, data=claim_data(psn_no, failure(connection, psn_no)), filed_by="person",
                              operator="APP", now=NOW).claim.claim_no  # fmt: skip
    for call in (
        lambda c: decide(c, claim_no=claim_no, clerk="k", outcome="approve", reason=None, now=NOW),
        lambda c: settle_claim(c, ref, claim_no=claim_no, clerk="k", now=NOW),
        lambda c: request_more(c, claim_no=claim_no, clerk="k", what="x", now=NOW),
        lambda c: resubmit(c, claim_no=claim_no, actor="p", note="", now=NOW),
    ):
        with pytest.raises(ClaimConflict) as refused, write_transaction(engine) as connection:
            call(connection)
        assert refused.value.field == "state" and "filed" in refused.value.reason
    with pytest.raises(InvalidValue) as bad, write_transaction(engine) as connection:
        decide(connection, claim_no=claim_no, clerk="k", outcome="maybe", reason=None, now=NOW)
    assert bad.value.field == "outcome"
    with pytest.raises(NotFound) as missing, engine.connect() as connection:
        get_claim(connection, "SGBX-NONE", today=NOW.date())
    assert str(missing.value).endswith("claim_no: no claim SGBX-NONE")
