"""Reconciliation and clearing through the gateway on SQLite and PostgreSQL (ADR 0018): 3201 对总账,
9101/9102 files, 3202 对明细账 with planted differences of every kind, bad files refused whole,
3203 清算申请 and 3204 清算撤销, manual claims left out. Settlements are real: visits settled (and
reversed) through the gateway, by gateways whose clocks stand in past months of 2026."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.gateway.support import HOSPITAL, count, envelope, headers, post
from tests.gateway.test_settlement_calls import (
    CLASS_A_DRUG,
    CLASS_C_DRUG,
    employee,
    line,
    settle_data,
)
from tests.integration.test_claims import (
    NOT_ENABLED,
    NOW,
    claim_data,
    complete,
    failure,
    referral_filing,
)
from yibao.clearing.reconcile_files import MAX_FILE_BYTES
from yibao.clearing.reconcile_tables import (
    clearing_applications,
    detail_reconciliations,
    exchange_files,
    total_reconciliations,
)
from yibao.crossregion.claims import decide, file_claim, take
from yibao.crossregion.claims_settle import settle_claim
from yibao.gateway.app import create_app
from yibao.gateway.pipeline import Gateway
from yibao.store.engine import write_transaction

D = Decimal
OTHER = "H99010000003"
FIGURES = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")


@dataclass
class His:
    """An institution's HIS calling a gateway whose clock runs ``offset`` behind the real one."""

    client: TestClient
    code: str
    offset: timedelta

    def now(self) -> datetime:
        return datetime.now() - self.offset

    def stamp(self) -> str:
        return f"{self.now():%Y-%m-%d %H:%M:%S}"

    def send(self, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
        body = envelope(infno, input_, code=self.code, inf_time=self.stamp())
        answer: dict[str, Any] = post(
            self.client, body, headers(self.code, stamp=int(self.now().timestamp()))
        ).json()
        return answer

    def ok(self, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
        answer = self.send(infno, input_)
        assert answer["infcode"] == 0, f"{infno}: {answer['err_msg']}"
        output: dict[str, Any] = answer["output"]
        return output

    def refused(self, infno: str, input_: dict[str, Any]) -> str:
        answer = self.send(infno, input_)
        assert answer["infcode"] == -1, answer
        return str(answer["err_msg"])

    def outpatient(
        self, psn_no: str, pric: str, cnt: str = "1", code: str = CLASS_A_DRUG
    ) -> dict[str, str]:
        """A visit registered, diagnosed, charged and settled now; its ``setlinfo``."""
        t = self.stamp()
        visit = {"psn_no": psn_no, "insutype": "310", "begntime": t, "mdtrt_cert_type": "02", "mdtrt_cert_no": "x",
                 "ipt_otp_no": "OP1", "atddr_no": "DR1", "dr_name": "医生", "dept_code": "D01", "dept_name": "内科",
                 "caty": "A03"}  # fmt: skip
        mdtrt_id = self.ok("2201", {"data": visit})["data"]["mdtrt_id"]
        self.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11", "begntime": t},
                         "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900",
                                       "diag_name": "急性上呼吸道感染", "diag_dept": "内科", "dise_dor_no": "DR1",
                                       "dise_dor_name": "医生", "diag_time": t, "vali_flag": "1"}]})  # fmt: skip
        self.ok(
            "2204", {"feedetail": [line("1", mdtrt_id, psn_no, code, pric, cnt, fee_ocur_time=t)]}
        )
        medfee = str((D(pric) * D(cnt)).quantize(D("0.01")))
        info: dict[str, str] = self.ok("2207", settle_data(mdtrt_id, psn_no, medfee))["setlinfo"]
        return info

    def reverse(self, info: dict[str, str]) -> dict[str, str]:
        data = {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": info["psn_no"]}
        reversal: dict[str, str] = self.ok("2208", {"data": data})["setlinfo"]
        return reversal

    def upload(self, content: bytes | list[int], name: str = "detail.txt") -> dict[str, Any]:
        sent: str | list[int] = (
            base64.b64encode(content).decode() if isinstance(content, bytes) else content
        )
        return self.ok(
            "9101", {"fsUploadIn": {"in": sent, "filename": name, "fixmedins_code": self.code}}
        )

    def download(self, file_qury_no: str, filename: str) -> dict[str, Any]:
        return self.ok("9102", {"fsDownloadIn": {"file_qury_no": file_qury_no, "filename": filename,
                                                 "fixmedins_code": self.code}})  # fmt: skip


Clocked = Callable[..., His]


@pytest.fixture(scope="module")
def at(gateway: Gateway) -> Clocked:
    """An HIS of ``code`` talking to a gateway whose clock shows ``when`` now."""

    def make(when: datetime, code: str = HOSPITAL) -> His:
        offset = datetime.now() - when
        clocked = Gateway(engine=gateway.engine, nonces=gateway.nonces, region="990100",
                          clock=lambda: datetime.now() - offset, reference=gateway.reference)  # fmt: skip
        return His(TestClient(create_app(clocked)), code, offset)

    return make


def sums(*infos: dict[str, str]) -> dict[str, Decimal]:
    return {name: sum((D(i[name]) for i in infos), D("0.00")) for name in (*FIGURES, "inscp_scp_amt",
                                                                           "psn_cash_pay")}  # fmt: skip


def totals_3201(day: date, cnt: int, amounts: dict[str, Decimal], **extra: str) -> dict[str, Any]:
    return {"data": {"insutype": "310", "clr_type": "11", "setl_optins": "990100", "stmt_begndate": str(day),
                     "stmt_enddate": str(day), "fixmedins_setl_cnt": cnt,
                     **{name: str(amounts[name]) for name in FIGURES}, **extra}}  # fmt: skip


def test_3201_balances_or_names_every_difference_and_keeps_each_answer(
    gateway: Gateway, at: Clocked
) -> None:
    his = at(datetime(2026, 6, 10, 9))
    psn_no, _ = employee(gateway)
    first, second = (
        his.outpatient(psn_no, "40.00", "3"),
        his.outpatient(psn_no, "96.00", code=CLASS_C_DRUG),
    )
    undone = his.reverse(second)
    assert undone["medfee_sumamt"] == "-96.00" and D(undone["fund_pay_sumamt"]) == -D(
        second["fund_pay_sumamt"]
    )
    day, before = date(2026, 6, 10), count(gateway, total_reconciliations)

    net = sums(first, second, undone)
    assert net["medfee_sumamt"] == D("120.00")
    balanced = his.ok("3201", totals_3201(day, 3, net))["stmtinfo"]
    assert (balanced["setl_optins"], balanced["stmt_rslt"]) == ("990100", "0")
    assert balanced["stmt_rslt_dscr"] == (f"平: fixmedins_setl_cnt 3, medfee_sumamt 120.00, fund_pay_sumamt "
                                          f"{net['fund_pay_sumamt']}, acct_pay {net['acct_pay']}")  # fmt: skip
    settled_only = his.ok("3201", totals_3201(day, 2, sums(first, second), refd_setl_flag="0"))[
        "stmtinfo"
    ]
    reversals_only = his.ok("3201", totals_3201(day, 1, sums(undone), refd_setl_flag="1"))[
        "stmtinfo"
    ]
    assert settled_only["stmt_rslt"] == reversals_only["stmt_rslt"] == "0"

    wrong = {**net, "fund_pay_sumamt": net["fund_pay_sumamt"] + D("34.50")}
    unbalanced = his.ok("3201", totals_3201(day, 4, wrong))["stmtinfo"]
    assert unbalanced["stmt_rslt"] == "1"
    assert unbalanced["stmt_rslt_dscr"] == (
        f"不平: fixmedins_setl_cnt: 机构 4, 经办 3, 差 1; fund_pay_sumamt: 机构 {wrong['fund_pay_sumamt']}, "
        f"经办 {net['fund_pay_sumamt']}, 差 34.50")  # fmt: skip
    inpatient = his.ok("3201", totals_3201(day, 0, sums(), clr_type="21"))["stmtinfo"]
    residents = his.ok("3201", totals_3201(day, 3, net, insutype="390"))["stmtinfo"]
    assert inpatient["stmt_rslt"] == "0" and residents["stmt_rslt"] == "1"
    assert "fixmedins_setl_cnt: 机构 3, 经办 0, 差 3" in residents["stmt_rslt_dscr"]

    assert count(gateway, total_reconciliations) == before + 6
    with gateway.engine.connect() as connection:
        kept = connection.execute(select(total_reconciliations).where(
            total_reconciliations.c.fixmedins_code == HOSPITAL, total_reconciliations.c.stmt_rslt == "1",
            total_reconciliations.c.insutype == "310")).one()  # fmt: skip
    assert (kept.their_setl_cnt, kept.our_setl_cnt, kept.their_fund_pay_sumamt, kept.our_fund_pay_sumamt) == (
        4, 3, wrong["fund_pay_sumamt"], net["fund_pay_sumamt"])  # fmt: skip
    assert (kept.stmt_begndate, kept.clr_type, kept.refd_setl_flag) == (day, "11", None)

    agency = his.refused("3201", totals_3201(day, 3, net, setl_optins="990200"))
    assert agency.startswith(
        "[YB1001] input.data.setl_optins: 990200 does not clear this institution"
    )
    backwards = totals_3201(day, 3, net)
    backwards["data"]["stmt_begndate"] = "2026-06-11"
    assert "input.data.stmt_enddate: 2026-06-10 is before the beginning 2026-06-11" in his.refused(
        "3201", backwards
    )
    assert "input.data.refd_setl_flag: unknown code '2'" in his.refused(
        "3201", totals_3201(day, 3, net, refd_setl_flag="2")
    )
    assert count(gateway, total_reconciliations) == before + 6


def detail(*rows: tuple[str, str, str, Decimal, Decimal, Decimal, str]) -> bytes:
    return "".join("\t".join(str(cell) for cell in r) + "\r\n" for r in rows).encode()


def listed(
    info: dict[str, str], **changes: Any
) -> tuple[str, str, str, Decimal, Decimal, Decimal, str]:
    """A record of ours as the institution's file lists it, with ``changes``."""
    flag = "1" if D(info["medfee_sumamt"]) < 0 else "0"
    cells: dict[str, Any] = {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": info["psn_no"],
                             **{name: D(info[name]) for name in FIGURES}, "flag": flag, **changes}  # fmt: skip
    return tuple(cells.values())  # type: ignore[return-value]


def detail_3202(file_qury_no: str, rows: list[tuple[Any, ...]], **extra: Any) -> dict[str, Any]:
    return {"data": {"setl_optins": "990100", "file_qury_no": file_qury_no, "stmt_begndate": "2026-07-01",
                     "stmt_enddate": "2026-07-31", "fixmedins_setl_cnt": len(rows),
                     "medfee_sumamt": str(sum((r[3] for r in rows), D("0.00"))),
                     "fund_pay_sumamt": str(sum((r[4] for r in rows), D("0.00"))), "cash_payamt": "0.00",
                     **extra}}  # fmt: skip


def test_3202_finds_every_planted_difference_in_the_answer_and_the_file(
    gateway: Gateway, at: Clocked
) -> None:
    his = at(datetime(2026, 7, 10, 9))
    psn_no, _ = employee(gateway)
    a, b, c, e, f, r = (his.outpatient(psn_no, pric, "2") for pric in ("10.00", "11.00", "12.00", "13.00", "14.00",
                                                                       "15.00"))  # fmt: skip
    undone = his.reverse(r)
    rows = [
        listed(a),
        listed(c, medfee_sumamt=D(c["medfee_sumamt"]) + D("1.00")),
        listed(e, fund_pay_sumamt=D(e["fund_pay_sumamt"]) - D("2.50")),
        listed(f, acct_pay=D(f["acct_pay"]) + D("0.30")),
        listed(r),
        listed(undone, flag="0", **{name: -D(undone[name]) for name in FIGURES}),  # the refund taken as a sale
        ("H99010000001X00000000000001S01", "H99010000001X00000000000001", psn_no, D("8.00"), D("5.00"), D("0.00"),
         "0"),
    ]  # fmt: skip
    uploaded = his.upload(detail(*rows), "对账明细.txt")
    assert len(uploaded["file_qury_no"]) == 30 and uploaded["filename"] == "对账明细.txt"
    runs = count(gateway, detail_reconciliations)
    out = his.ok("3202", detail_3202(uploaded["file_qury_no"], rows))
    assert out["stmtinfo"]["stmt_rslt"] == "1"
    assert (
        out["stmtinfo"]["stmt_rslt_dscr"]
        == "不平: match 2, amounts_differ 4, only_ours 1, only_theirs 1"
    )
    fileinfo = out["fileinfo"]
    assert fileinfo["dld_endtime"] > his.stamp() and fileinfo["file_qury_no"].startswith("3202")

    downloaded = his.download(fileinfo["file_qury_no"], fileinfo["filename"])
    content = base64.b64decode(downloaded["content"])
    assert downloaded["sha256"] == hashlib.sha256(content).hexdigest() and downloaded[
        "file_size"
    ] == len(content)
    columns = (
        "psn_no",
        "mdtrt_id",
        "setl_id",
        "msgid",
        "stmt_rslt",
        "refd_setl_flag",
        "memo",
        *FIGURES,
    )
    in_file = [
        dict(zip(columns, x.split("\t"), strict=True)) for x in content.decode().splitlines()
    ]
    assert in_file == out["result"]
    got = {x["setl_id"]: x for x in in_file}
    assert [(x["setl_id"], x["stmt_rslt"]) for x in in_file] == [
        (a["setl_id"], "0"), (c["setl_id"], "1"), (e["setl_id"], "1"), (f["setl_id"], "1"), (r["setl_id"], "0"),
        (undone["setl_id"], "1"), (rows[6][0], "3"), (b["setl_id"], "2")]  # fmt: skip
    assert got[a["setl_id"]]["memo"] == "match" and got[a["setl_id"]]["msgid"].startswith(HOSPITAL)
    assert got[c["setl_id"]]["memo"] == (f"amounts_differ: medfee_sumamt: 机构 {D(c['medfee_sumamt']) + 1}, "
                                         f"经办 {c['medfee_sumamt']}, 差 1.00")  # fmt: skip
    assert got[e["setl_id"]]["memo"].startswith("amounts_differ: fund_pay_sumamt: ")
    assert got[e["setl_id"]]["memo"].endswith("差 -2.50")
    assert (
        got[f["setl_id"]]["memo"].startswith("amounts_differ: acct_pay: ")
        and "差 0.30" in got[f["setl_id"]]["memo"]
    )
    refund = got[undone["setl_id"]]
    assert refund["refd_setl_flag"] == "1" and refund["medfee_sumamt"] == undone["medfee_sumamt"]
    assert refund["memo"].startswith(
        "amounts_differ: refd_setl_flag: 机构 0, 经办 1; medfee_sumamt: "
    )
    assert got[rows[6][0]]["memo"] == "only_theirs: 机构文件第 7 行, 经办无此结算"
    assert (
        got[b["setl_id"]]["memo"].startswith("only_ours: ")
        and got[b["setl_id"]]["medfee_sumamt"] == "22.00"
    )
    with gateway.engine.connect() as connection:
        run = connection.execute(select(detail_reconciliations).where(
            detail_reconciliations.c.result_file_qury_no == fileinfo["file_qury_no"])).one()  # fmt: skip
    assert (run.matched, run.amounts_differ, run.only_ours, run.only_theirs, run.stmt_rslt) == (
        2,
        4,
        1,
        1,
        "1",
    )
    assert count(gateway, detail_reconciliations) == runs + 1

    # the same file zipped, sent as an array of byte values: the same result; clr_type 21 finds none of ours
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mx.txt", detail(*rows))
    zipped = his.upload(list(packed.getvalue()), "mx.zip")
    again = his.ok("3202", detail_3202(zipped["file_qury_no"], rows))
    assert again["stmtinfo"]["stmt_rslt_dscr"] == out["stmtinfo"]["stmt_rslt_dscr"]
    inpatient = his.ok("3202", detail_3202(zipped["file_qury_no"], rows, clr_type="21"))
    assert (
        inpatient["stmtinfo"]["stmt_rslt_dscr"]
        == "不平: match 0, amounts_differ 0, only_ours 0, only_theirs 7"
    )
    assert inpatient["result"][0]["memo"].endswith("(清算类别 11, 不是 21)")


def test_a_bad_detail_file_or_upload_is_refused_naming_the_field_and_nothing_is_stored(
    gateway: Gateway, at: Clocked
) -> None:
    his, other = at(datetime(2026, 7, 20, 9)), at(datetime(2026, 7, 20, 9), OTHER)
    psn_no, _ = employee(gateway)
    ours, theirs = his.outpatient(psn_no, "20.00"), other.outpatient(psn_no, "30.00")
    good = listed(ours)
    bad_files: list[tuple[bytes, list[tuple[Any, ...]], str]] = [
        (detail(good)[:-2] + b"\textra\r\n", [good], "line 1: 8 columns, expected 7"),
        (detail(good, good), [good, good], f"line 2, setl_id: {ours['setl_id']} is listed twice (first on line 1)"),
        (detail(good, listed(theirs)), [good, listed(theirs)],
         f"line 2, setl_id: {theirs['setl_id']} is a settlement of another institution"),
        (detail(good).replace(b"20.00", b"20.001", 1), [good], "line 1, medfee_sumamt: 20.001 has more than 2 decimal"),
        (detail(good) + "备注".encode("gb18030"), [good], "is not UTF-8 text"),
    ]  # fmt: skip
    for content, rows, problem in bad_files:
        number = his.upload(content)["file_qury_no"]
        files, runs = count(gateway, exchange_files), count(gateway, detail_reconciliations)
        refusal = his.refused("3202", detail_3202(number, rows))
        assert refusal.startswith("[YB1001] input.data.file_qury_no: ") and problem in refusal, (
            refusal
        )
        assert (count(gateway, exchange_files), count(gateway, detail_reconciliations)) == (
            files,
            runs,
        )

    number = his.upload(detail(good))["file_qury_no"]
    files = count(gateway, exchange_files)
    totals = detail_3202(number, [good])
    totals["data"]["medfee_sumamt"] = "19.00"
    assert his.refused("3202", totals).startswith(
        f"[YB1001] input.data.medfee_sumamt: sent 19.00, file {number} 20.00, 差 -1.00: the totals sent are not"
    )
    more = detail_3202(number, [good], fixmedins_setl_cnt=2)
    assert "input.data.fixmedins_setl_cnt: sent 2, file" in his.refused("3202", more)
    assert "no file 9101" in other.refused("3202", detail_3202(number, [good]))
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.txt", detail(good))
        archive.writestr("b.txt", detail(good))
    two_files = his.upload(two.getvalue(), "two.zip")["file_qury_no"]
    assert "a ZIP must hold exactly one .txt file; it holds a.txt, b.txt" in his.refused(
        "3202", detail_3202(two_files, [good]))  # fmt: skip
    assert (
        count(gateway, exchange_files) == files + 1
        and count(gateway, detail_reconciliations) == runs
    )

    def upload(sent: object, code: str = HOSPITAL) -> str:
        return his.refused(
            "9101", {"fsUploadIn": {"in": sent, "filename": "x.txt", "fixmedins_code": code}}
        )

    assert upload("").startswith("[YB1001] input.fsUploadIn.in: empty: the file has no bytes")
    assert upload([]).startswith("[YB1001] input.fsUploadIn.in: empty")
    assert upload(None).startswith("[YB1001] input.fsUploadIn.in: missing")
    assert upload("not base64!").startswith("[YB1001] input.fsUploadIn.in: not base64")
    assert upload([1, 2, 256]).startswith(
        "[YB1001] input.fsUploadIn.in[2]: 256 is not a byte value 0-255"
    )
    oversize = base64.b64encode(b"\0" * (MAX_FILE_BYTES + 1)).decode()
    assert upload(oversize).startswith(
        f"[YB1001] input.fsUploadIn.in: {MAX_FILE_BYTES + 1} bytes, over the limit"
    )
    assert upload("YQ==", OTHER).startswith(
        f"[YB1001] input.fsUploadIn.fixmedins_code: {OTHER} is not the calling"
    )
    assert count(gateway, exchange_files) == files + 1


def test_9102_serves_a_file_only_to_its_own_institution(
    client: TestClient, gateway: Gateway
) -> None:
    content = bytes(range(256)) * 3
    stored = post(client, envelope("9101", {"fsUploadIn": {"in": list(content), "filename": "scan.bin",
                                                           "fixmedins_code": HOSPITAL}})).json()["output"]  # fmt: skip
    ask = {"file_qury_no": stored["file_qury_no"], "filename": "scan.bin"}
    mine = post(
        client, envelope("9102", {"fsDownloadIn": {**ask, "fixmedins_code": HOSPITAL}})
    ).json()
    assert base64.b64decode(mine["output"]["content"]) == content
    assert mine["output"]["sha256"] == hashlib.sha256(content).hexdigest()
    theirs = post(client, envelope("9102", {"fsDownloadIn": {**ask, "fixmedins_code": OTHER}}, code=OTHER),
                  headers(OTHER)).json()  # fmt: skip
    assert theirs["infcode"] == -1 and theirs["output"] is None
    assert theirs["err_msg"] == (f"[YB5001] input.fsDownloadIn.file_qury_no: no file {stored['file_qury_no']} "
                                 "of this institution")  # fmt: skip
    missing = post(client, envelope("9102", {"fsDownloadIn": {**ask, "file_qury_no": "9101" + "0" * 26,
                                                              "fixmedins_code": HOSPITAL}})).json()  # fmt: skip
    assert (
        missing["err_msg"].replace("9101" + "0" * 26, stored["file_qury_no"]) == theirs["err_msg"]
    )
    renamed = post(client, envelope("9102", {"fsDownloadIn": {**ask, "filename": "x.bin",
                                                              "fixmedins_code": HOSPITAL}})).json()  # fmt: skip
    assert (
        "input.fsDownloadIn.filename: file" in renamed["err_msg"]
        and "'scan.bin', not 'x.bin'" in renamed["err_msg"]
    )
    assert gateway.clock() < datetime.strptime(mine["output"]["dld_endtime"], "%Y-%m-%d %H:%M:%S")


def application(
    month: str, amounts: dict[str, Decimal], psntime: int, **extra: str
) -> dict[str, Any]:
    first = date(int(month[:4]), int(month[4:]), 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {"data": {"clr_type": "11", "clr_way": "1", "setlym": month, "psntime": psntime,
                     "medfee_sumamt": str(amounts["medfee_sumamt"]), "med_sumfee": str(amounts["inscp_scp_amt"]),
                     "fund_appy_sum": str(amounts["fund_pay_sumamt"]), "cash_payamt": str(amounts["psn_cash_pay"]),
                     "acct_pay": str(amounts["acct_pay"]), "begndate": str(first), "enddate": str(last),
                     **extra}}  # fmt: skip


def test_3203_applies_when_the_figures_agree_and_3204_withdraws_once(
    gateway: Gateway, at: Clocked
) -> None:
    august, november = at(datetime(2026, 8, 12, 9)), at(datetime(2026, 11, 2, 9))
    psn_no, _ = employee(gateway)
    one, two = (
        august.outpatient(psn_no, "25.00", "2"),
        august.outpatient(psn_no, "96.00", code=CLASS_C_DRUG),
    )
    three = august.reverse(two)
    figures = sums(one, two, three)
    assert august.refused("3203", application("202608", figures, 1)).startswith(
        "[YB1001] input.data.setlym: 202608 is not over: apply from 2026-09-01")  # fmt: skip
    before = count(gateway, clearing_applications)
    wrong = {**figures, "fund_pay_sumamt": figures["fund_pay_sumamt"] + D("34.50")}
    refusal = november.refused("3203", application("202608", wrong, 2))
    assert refusal == (f"[YB5002] input.data.psntime: 机构 2, 经办 1, 差 1; fund_appy_sum: 机构 "
                       f"{wrong['fund_pay_sumamt']}, 经办 {figures['fund_pay_sumamt']}, 差 34.50; "
                       "reconcile with 3201/3202 first")  # fmt: skip
    partial = application("202608", figures, 1, begndate="2026-08-02")
    assert "input.data.begndate: 2026-08-02 is not 2026-08-01: an application covers the whole month" in (
        november.refused("3203", partial))  # fmt: skip
    assert count(gateway, clearing_applications) == before

    applied = november.ok("3203", application("202608", figures, 1))["result"]["clr_appy_evt_id"]
    assert len(applied) == 30 and applied.startswith("3203")
    with gateway.engine.connect() as connection:
        row = connection.execute(select(clearing_applications).where(
            clearing_applications.c.clr_appy_evt_id == applied)).one()  # fmt: skip
    assert (row.fixmedins_code, row.period, row.clr_type, row.state, row.psntime) == (HOSPITAL, "2026-08", "11",
                                                                                       "applied", 1)  # fmt: skip
    assert (row.fund_appy_sum, row.med_sumfee) == (
        figures["fund_pay_sumamt"],
        figures["inscp_scp_amt"],
    )
    twice = november.refused("3203", application("202608", figures, 1))
    assert twice == (f"[YB5002] input.data.setlym: 2026-08 clr_type 11 has application {applied} (applied); "
                     "withdraw it with 3204 first")  # fmt: skip
    november.ok(
        "3203", application("202608", sums(), 0, clr_type="21")
    )  # nothing to clear in 21: zeros agree

    stranger = at(datetime(2026, 11, 2, 9), OTHER)
    assert stranger.refused("3204", {"data": {"clr_appy_evt_id": applied}}) == (
        f"[YB5001] input.data.clr_appy_evt_id: no clearing application {applied} of this institution")  # fmt: skip
    assert november.ok("3204", {"data": {"clr_appy_evt_id": applied}}) == {}
    assert november.refused("3204", {"data": {"clr_appy_evt_id": applied}}) == (
        f"[YB5002] input.data.clr_appy_evt_id: application {applied} is withdrawn; "
        "only an applied one can be withdrawn")  # fmt: skip
    again = november.ok("3203", application("202608", figures, 1))["result"]["clr_appy_evt_id"]
    assert again != applied and count(gateway, clearing_applications) == before + 3


def test_manual_claims_are_left_out_of_reconciliation(
    gateway: Gateway, at: Clocked, tmp_path: Path
) -> None:
    assert gateway.reference is not None
    psn_no, _ = employee(gateway)
    with write_transaction(gateway.engine) as connection:
        referral_filing(connection, psn_no)
        claim = file_claim(connection, data=claim_data(psn_no, failure(connection, psn_no)), filed_by="person",
                           operator="APP", now=NOW).claim  # fmt: skip
        complete(connection, tmp_path, claim.claim_no)
        take(connection, claim_no=claim.claim_no, clerk="经办", now=NOW)
        decide(
            connection,
            claim_no=claim.claim_no,
            clerk="经办",
            outcome="approve",
            reason="齐全",
            now=NOW,
        )
        _, settled = settle_claim(
            connection, gateway.reference, claim_no=claim.claim_no, clerk="经办", now=NOW
        )
    # paid to the person, at an institution of ours, in April 2026, as an inpatient stay (clr_type 21)
    assert (settled.visit.institution.fixmedins_code, settled.visit.med_type) == (NOT_ENABLED, "21")
    assert settled.setl_time.month == 4 and settled.amounts.fund_pay_sumamt > 0
    his = at(datetime(2026, 5, 6, 9), NOT_ENABLED)
    april = {"stmt_begndate": "2026-04-01", "stmt_enddate": "2026-04-30", "setl_optins": "980100"}
    nothing = {
        "fixmedins_setl_cnt": 0,
        "medfee_sumamt": "0",
        "fund_pay_sumamt": "0",
        "acct_pay": "0",
    }
    zero = his.ok("3201", {"data": {"insutype": "310", "clr_type": "21", **nothing, **april}})
    assert zero["stmtinfo"]["stmt_rslt"] == "0"
    a = settled.amounts
    row = (
        settled.setl_id,
        claim.claim_no,
        psn_no,
        a.medfee_sumamt,
        a.fund_pay_sumamt,
        a.acct_pay,
        "0",
    )
    number = his.upload(detail(row))["file_qury_no"]
    out = his.ok(
        "3202", {"data": {**detail_3202(number, [row])["data"], **april, "clr_type": "21"}}
    )
    assert [(x["setl_id"], x["stmt_rslt"]) for x in out["result"]] == [(settled.setl_id, "3")]
    assert (
        out["result"][0]["memo"]
        == "only_theirs: 机构文件第 1 行, 经办无此结算 (手工报销的结算, 不参与对账)"
    )
    later = at(datetime(2026, 11, 3, 9), NOT_ENABLED)
    assert later.ok("3203", application("202604", sums(), 0, clr_type="21"))["result"][
        "clr_appy_evt_id"
    ]
