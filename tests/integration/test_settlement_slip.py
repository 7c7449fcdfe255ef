"""The settlement slip (结算单) as a real PDF, on SQLite and PostgreSQL with the demo regions.

Visits are registered, charged and settled through the same services the gateway calls
(:mod:`yibao.settlement.visits`); the slip is printed from what they stored, then read back with
pypdfium2: page 1 rendered to an image (not blank) and the text extracted (the amounts as the slip
formats them, the Chinese labels, the person's name). The font check is provoked with an empty
fontconfig configuration; an unknown ``setl_id`` is refused by the CLI in one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import typer
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.support.databases import migrated_engine
from yibao.catalog.service import demo_store
from yibao.cli.settlement import app as settlement_app
from yibao.demo.load import load_demo
from yibao.documents.fonts import FontsMissing, chinese_fonts
from yibao.documents.pdf import masked, render_pdf, yuan
from yibao.registry.tables import accounts, enrolments, persons
from yibao.settlement.model import FeeLine, Settlement
from yibao.settlement.slip import load_slip, render_slip
from yibao.settlement.visits import (
    Diagnosis,
    Reference,
    SettleRequest,
    discharge,
    load_reference,
    record_visit_info,
    register_visit,
    reverse_settlement,
    settle_visit,
    upload_lines,
)
from yibao.store.engine import read_transaction, write_transaction

D = Decimal
HOSPITAL = "H99010000001"  # 示范市第一人民医院, 三级
ADMITTED = datetime.now().replace(microsecond=0) - timedelta(days=6)
#: an ordinary stay: a bed over its ceiling, a 甲类 and an infusion in quantity, a 丙类 drug
STAY = (
    ("001109000010000", "普通病房床位费", "6", "60.00"),
    ("XB05BAF150B002010100269", "复方氨基酸注射液(18AA)", "320", "38.50"),
    ("XG01AFK079A008010100225", "克霉唑阴道片", "5", "12.30"),
    ("XG04BET001A001010100299", "他达拉非片", "2", "120.00"),
)
PNG = Path("/tmp/yibao-settlement-slip.png")

#: tools/fonts.sh ensure, once a session (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("cjk_fonts")


@dataclass(frozen=True)
class Stored:
    """A database with stored settlements: an inpatient stay, and an outpatient visit reversed."""

    engine: Engine
    stay: Settlement
    outpatient: Settlement
    reversal: Settlement
    psn_name: str
    certno: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stored]:
    with migrated_engine(request, tmp_path_factory, "slip") as engine:
        yield from _prepared(engine)


def _prepared(engine: Engine) -> Iterator[Stored]:
    with write_transaction(engine) as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=120)
        e = enrolments.c
        person = connection.execute(
            select(persons.c.psn_no, persons.c.psn_name, persons.c.certno)
            .join(enrolments, e.psn_no == persons.c.psn_no)
            .join(accounts, accounts.c.psn_no == persons.c.psn_no)
            .where(e.insutype == "310", e.psn_type == "1101", e.insuplc_admdvs == "990100",
                   accounts.c.balance >= D("100.00"))
            .order_by(persons.c.psn_no)
        ).first()  # fmt: skip
        assert person is not None
        ref = load_reference(connection)
    stay = _settle(engine, ref, person.psn_no, med_type="21", lines=STAY, days=6)
    outpatient = _settle(engine, ref, person.psn_no, med_type="11", lines=STAY[2:3], days=0)
    with write_transaction(engine) as connection:
        reversal = reverse_settlement(connection, caller=HOSPITAL, mdtrt_id=outpatient.visit.mdtrt_id,
                                      setl_id=outpatient.setl_id, psn_no=person.psn_no, msgid="SLIP-R",
                                      now=datetime.now())  # fmt: skip
    yield Stored(engine, stay, outpatient, reversal, person.psn_name, person.certno)


def _settle(engine: Engine, ref: Reference, psn_no: str, *, med_type: str,
            lines: tuple[tuple[str, str, str, str], ...], days: int) -> Settlement:  # fmt: skip
    begin = ADMITTED if days else datetime.now().replace(microsecond=0) - timedelta(hours=1)
    fees = [
        FeeLine(f"SLIP{med_type}{n}", code, f"HIS-{code}", D(cnt), D(pric), (D(cnt) * D(pric)).quantize(D("0.01")),
                begin + timedelta(hours=1), "1", None, name)
        for n, (code, name, cnt, pric) in enumerate(lines, start=1)
    ]  # fmt: skip
    with write_transaction(engine) as connection:
        mdtrt_id = register_visit(connection, caller=HOSPITAL, psn_no=psn_no, insutype="310", med_type=med_type,
                                  begntime=begin, mdtrtarea_admvs="990100", msgid=f"SLIP-{med_type}",
                                  ipt_no=f"ZY{med_type}01" if days else None)  # fmt: skip
        record_visit_info(connection, caller=HOSPITAL, mdtrt_id=mdtrt_id, med_type=None, diagnoses=[
            Diagnosis(1, "1", "1", "E11.900", "2型糖尿病"), Diagnosis(2, "1", "0", "I10.x00", "高血压")])  # fmt: skip
        upload_lines(connection, ref, caller=HOSPITAL, mdtrt_id=mdtrt_id, lines=fees, chrg_bchno="B1",
                     where="2301.feedetail")  # fmt: skip
        if days:
            discharge(
                connection, caller=HOSPITAL, mdtrt_id=mdtrt_id, endtime=begin + timedelta(days=days)
            )
        request = SettleRequest(mdtrt_id, psn_no, "310", acct_used=True, mid_stay=False, medfee_sumamt=None,
                                mdtrt_cert_type="02", infno="2304" if days else "2207")  # fmt: skip
        return settle_visit(connection, ref, caller=HOSPITAL, request=request, commit=True,
                            msgid=f"SLIP-S{med_type}", now=datetime.now())  # fmt: skip


def _slip(stored: Stored, setl_id: str) -> bytes:
    with read_transaction(stored.engine) as connection:
        return render_slip(connection, setl_id, printed_on=date.today())


def _read(pdf: bytes, png: Path | None = None) -> tuple[str, int]:
    """All pages' text and the dark pixels of page 1, which is saved as ``png`` when given."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = "".join(page.get_textpage().get_text_range() for page in document)
        image = document[0].render(scale=2).to_pil()
        if png is not None:
            image.save(png)
        dark = sum(image.convert("L").histogram()[:128])
    finally:
        document.close()
    return text, dark


def test_slip_of_a_stay_shows_the_amounts_and_the_person(stored: Stored) -> None:
    s = stored.stay
    a = s.amounts
    assert a.medfee_sumamt > D("10000") and a.fund_pay_sumamt > 0  # thousands and a fund paying
    pdf = _slip(stored, s.setl_id)
    assert pdf.startswith(b"%PDF-")
    text, dark = _read(pdf, PNG)
    assert PNG.stat().st_size > 0 and dark > 1000, "page 1 is blank"
    for amount in (a.medfee_sumamt, a.fund_pay_sumamt, a.psn_cash_pay, a.hifp_pay, s.balc):
        assert yuan(amount) in text, amount
    assert "," in yuan(a.medfee_sumamt)
    for words in (
        "结算单",
        "统筹基金",
        "示范市医疗保障事业管理中心",
        stored.psn_name,
        "示范市第一人民医院",
        "21 普通住院",
        "2型糖尿病",
        "个人账户支付",
        "现金支付",
        "第 1 页 / 共",
        s.setl_id,
    ):
        assert words in text, words  # fmt: skip
    for fund in s.funds:
        assert fund.fund_pay_type.label in text and yuan(fund.fund_payamt) in text
    assert s.trace[0].text[:12] in text.replace("\r\n", "").replace("\n", "")


def test_slip_masks_the_certificate_number(stored: Stored) -> None:
    text, _ = _read(_slip(stored, stored.stay.setl_id))
    assert stored.certno not in text
    assert masked(stored.certno) in text and masked(stored.certno).endswith(stored.certno[-4:])
    with read_transaction(stored.engine) as connection:
        assert load_slip(connection, stored.stay.setl_id).certno == masked(stored.certno)


def test_slips_of_a_reversal_and_of_the_reversed_settlement(stored: Stored) -> None:
    text, dark = _read(_slip(stored, stored.reversal.setl_id))
    assert dark > 1000
    assert "结算撤销（冲正）" in text and stored.outpatient.setl_id in text
    assert yuan(-stored.outpatient.amounts.medfee_sumamt) in text
    assert yuan(stored.reversal.amounts.medfee_sumamt).startswith("-")
    text, _ = _read(_slip(stored, stored.outpatient.setl_id))
    assert f"本结算已由 {stored.reversal.setl_id} 撤销" in text and "11 普通门诊" in text


def test_money_is_printed_to_the_fen_with_thousands_separated() -> None:
    assert yuan(D("1234567.5")) == "1,234,567.50"
    assert yuan(D("-0.5")) == "-0.50"
    assert yuan(D("12")) == "12.00"
    assert yuan(None) == ""
    assert masked("11010519491231002X") == "**************002X"
    assert masked("123") == "***"


def test_no_chinese_font_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fontconfig with an empty configuration knows no font: printing stops with a clear error."""
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n', encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    assert chinese_fonts() == ()
    with pytest.raises(FontsMissing) as refused:
        render_pdf("base.html", {"agency": "示范市医疗保障事业管理中心", "title": "结算单", "number": "1",
                                 "date": "2026-01-01"})  # fmt: skip
    assert refused.value.message.startswith("fonts: no Chinese font (Noto CJK) is installed")
    assert "tools/fonts.sh ensure" in str(refused.value)
    monkeypatch.delenv("FONTCONFIG_FILE")
    assert chinese_fonts(), "the real configuration lists the fonts again"


def test_cli_writes_the_slip_and_refuses_an_unknown_setl_id(stored: Stored, tmp_path: Path) -> None:
    root = typer.Typer()
    root.add_typer(settlement_app, name="settlement")
    env = {"YIBAO_DATABASE_URL": stored.engine.url.render_as_string(hide_password=False),
           "YIBAO_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    out = tmp_path / "slip.pdf"
    done = CliRunner().invoke(
        root, ["settlement", "slip", stored.stay.setl_id, "--out", str(out)], env=env
    )
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF-") and stored.stay.setl_id in done.stdout
    missing = tmp_path / "missing.pdf"
    refused = CliRunner().invoke(
        root, ["settlement", "slip", "NO-SUCH-SETL", "--out", str(missing)], env=env
    )
    assert refused.exit_code != 0
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    assert refused.stderr.strip().splitlines() == [
        "error: [YB5001] setl_id: no settlement NO-SUCH-SETL"
    ]
    assert not missing.exists()
    empty = tmp_path / "fonts.conf"
    empty.write_text("<fontconfig></fontconfig>\n", encoding="utf-8")
    args = ["settlement", "slip", stored.stay.setl_id, "--out", str(missing)]
    no_fonts = CliRunner().invoke(root, args, env={**env, "FONTCONFIG_FILE": str(empty)})
    assert no_fonts.exit_code == FontsMissing.exit_code, no_fonts.output
    [line] = no_fonts.stderr.strip().splitlines()
    assert line.startswith("error: [YB7001] fonts: no Chinese font (Noto CJK) is installed")
    assert not missing.exists()
