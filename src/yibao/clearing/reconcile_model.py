"""Reconciliation (对账) and clearing applications as pure values: totals, differences, the detail
file and its line-by-line comparison (issue F, ADR 0018).

* **3201 对总账**: our settlements are summed per ``med_type`` and side (settlement or reversal)
  into :class:`Group` rows; :func:`select_totals` picks those of an ``insutype``, a ``clr_type``
  (through :func:`~yibao.settlement.model.clr_type_of`, the one mapping) and a ``refd_setl_flag``;
  :func:`differences` names every figure the institution's totals get wrong.
* **3202 对明细账**: the institution's detail file, read by :mod:`yibao.clearing.reconcile_detail`,
  is set against our records by :func:`compare_lines`, one :class:`LineResult` per settlement;
  :func:`result_row` writes a result as newtouch's ``result`` columns (:data:`RESULT_COLUMNS`).
* **3203 清算申请**: :data:`APPLICATION_FIGURES` maps the application's fields to our totals.

Code values (project-defined, the official ones were not found): ``stmt_rslt`` ``0`` 平 / ``1`` 不平;
per line ``0`` match, ``1`` amounts_differ, ``2`` only_ours, ``3`` only_theirs (:class:`LineKind`).
"Ours" is the agency's record (经办), "theirs" the institution's (机构).

Pure: standard library, the kernel and the settlement model only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from yibao.kernel.codes import RefdSetlFlag
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO
from yibao.settlement.model import clr_type_of

__all__ = [
    "AMOUNTS", "APPLICATION_FIGURES", "RESULT_COLUMNS", "STATEMENT_FIGURES", "Difference", "Group",
    "LineKind", "LineResult", "Period", "SettlementLine", "StmtResult", "Totals", "compare_lines",
    "count_kinds", "describe_counts", "differences", "figures", "month_of", "result_row",
    "result_text", "select_totals", "statement",
]  # fmt: skip

#: the result file's columns, in order: newtouch ``Output_3202.result``
RESULT_COLUMNS = ("psn_no", "mdtrt_id", "setl_id", "msgid", "stmt_rslt", "refd_setl_flag", "memo",
                  "medfee_sumamt", "fund_pay_sumamt", "acct_pay")  # fmt: skip
#: the amounts of a settlement record compared line by line
AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")

#: 3201's figures: the input field and the :class:`Totals` attribute it is compared with
STATEMENT_FIGURES = {"fixmedins_setl_cnt": "records", "medfee_sumamt": "medfee_sumamt",
                     "fund_pay_sumamt": "fund_pay_sumamt", "acct_pay": "acct_pay"}  # fmt: skip
#: 3203's figures: 清算人次 net of reversals, 医保认可费用 = policy-range amount, 基金申报 = funds
APPLICATION_FIGURES = {"psntime": "net_count", "medfee_sumamt": "medfee_sumamt",
                       "med_sumfee": "inscp_scp_amt", "fund_appy_sum": "fund_pay_sumamt",
                       "cash_payamt": "psn_cash_pay", "acct_pay": "acct_pay"}  # fmt: skip


class StmtResult(StrEnum):
    """对账结果 (project-defined codes)."""

    #: 平: every figure agrees
    BALANCED = "0"
    #: 不平: at least one differs
    UNBALANCED = "1"

    @property
    def label(self) -> str:
        return "平" if self is StmtResult.BALANCED else "不平"


class LineKind(StrEnum):
    """The result of one settlement in 对明细账; :attr:`code` is the result file's ``stmt_rslt``."""

    MATCH = "match"
    #: the two records differ in an amount (or in the flag, visit or person they name)
    AMOUNTS_DIFFER = "amounts_differ"
    #: we hold the settlement, the institution's file does not list it
    ONLY_OURS = "only_ours"
    #: the institution's file lists it, we hold no such settlement in the range
    ONLY_THEIRS = "only_theirs"

    @property
    def code(self) -> str:
        return _LINE_CODES[self]


_LINE_CODES = {LineKind.MATCH: "0", LineKind.AMOUNTS_DIFFER: "1", LineKind.ONLY_OURS: "2",
               LineKind.ONLY_THEIRS: "3"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Totals:
    """Settlement records summed: how many of each side, and the amounts (reversals negative)."""

    settlements: int = 0
    reversals: int = 0
    medfee_sumamt: Decimal = ZERO
    fund_pay_sumamt: Decimal = ZERO
    acct_pay: Decimal = ZERO
    inscp_scp_amt: Decimal = ZERO
    psn_cash_pay: Decimal = ZERO

    @property
    def records(self) -> int:
        """Every record, a reversal being one of its own (3201, 3202's line count)."""
        return self.settlements + self.reversals

    @property
    def net_count(self) -> int:
        """Settlements less reversals (3203 清算人次)."""
        return self.settlements - self.reversals

    def plus(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class Group:
    """Our settlement records of one insurance type, ``med_type`` and side, summed."""

    insutype: str
    med_type: str
    reversal: bool
    totals: Totals


def select_totals(
    groups: Iterable[Group],
    *,
    clr_type: str | None = None,
    insutype: str | None = None,
    refd_setl_flag: str | None = None,
) -> Totals:
    """The groups of that ``clr_type``, ``insutype`` and side (``None``: any), added up.

    ``refd_setl_flag`` ``0`` keeps the settlements, ``1`` the reversals, none both (their net).
    """
    total = Totals()
    for group in groups:
        if clr_type is not None and clr_type_of(group.med_type) != clr_type:
            continue
        if insutype is not None and group.insutype != insutype:
            continue
        if refd_setl_flag is not None and group.reversal != (refd_setl_flag == RefdSetlFlag.YES):
            continue
        total = total.plus(group.totals)
    return total


def figures(totals: Totals, names: Mapping[str, str]) -> dict[str, Decimal]:
    """Our figures under the interface's field names (:data:`STATEMENT_FIGURES` …)."""
    return {field: Decimal(getattr(totals, attribute)) for field, attribute in names.items()}


@dataclass(frozen=True, slots=True)
class Difference:
    """One figure or field on which two sides disagree; ``sides`` name them in the text."""

    field: str
    theirs: Decimal | str
    ours: Decimal | str
    sides: tuple[str, str] = ("机构", "经办")

    @property
    def detail(self) -> str:
        """``机构 1234.50, 经办 1200.00, 差 34.50`` (no 差 for text)."""
        text = f"{self.sides[0]} {_show(self.theirs)}, {self.sides[1]} {_show(self.ours)}"
        if isinstance(self.theirs, Decimal) and isinstance(self.ours, Decimal):
            text += f", 差 {_show(self.theirs - self.ours)}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


def differences(
    theirs: Mapping[str, Decimal],
    ours: Mapping[str, Decimal],
    *,
    sides: tuple[str, str] = ("机构", "经办"),
) -> tuple[Difference, ...]:
    """Every figure of ``theirs`` that ``ours`` does not match, in ``theirs``' order."""
    return tuple(Difference(name, value, ours[name], sides) for name, value in theirs.items()
                 if value != ours[name])  # fmt: skip


def statement(theirs: Mapping[str, Decimal], ours: Mapping[str, Decimal]) -> tuple[StmtResult, str]:
    """3201's result: 平 with our figures, or 不平 naming every figure that differs and by how much."""
    found = differences(theirs, ours)
    if not found:
        return StmtResult.BALANCED, "平: " + ", ".join(
            f"{name} {_show(value)}" for name, value in ours.items()
        )
    return StmtResult.UNBALANCED, "不平: " + "; ".join(str(d) for d in found)


def _show(value: Decimal | str) -> str:
    return format(value, "f") if isinstance(value, Decimal) else value or "(空)"


@dataclass(frozen=True, slots=True)
class Period:
    """对账期间: settlement days from ``begin`` to ``end``, both included."""

    begin: date
    end: date

    @classmethod
    def checked(cls, begin: date, end: date, *, field: str) -> Period:
        """The period, or ``InvalidValue`` on ``field`` (the end) when it ends before it begins."""
        if end < begin:
            raise InvalidValue(field, f"{end} is before the beginning {begin}")
        return cls(begin, end)


def month_of(setlym: str, *, field: str) -> Period:
    """清算年月 ``YYYYMM`` as the period of its days."""
    text = setlym.strip()
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        raise InvalidValue(field, f"{setlym!r} is not a month YYYYMM")
    year, month = int(text[:4]), int(text[4:])
    after = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), date.fromordinal(after.toordinal() - 1))


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One settlement record as the detail file lists it (``line_no``) or as we hold it (``msgid``)."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    refd_setl_flag: str
    msgid: str = ""
    line_no: int = 0


@dataclass(frozen=True, slots=True)
class LineResult:
    """One settlement's result: ``line`` is our record, or theirs when only they list it."""

    kind: LineKind
    line: SettlementLine
    differences: tuple[Difference, ...] = ()
    #: why a record only they list is not among ours (settled outside the range …)
    note: str = ""

    @property
    def memo(self) -> str:
        if self.kind is LineKind.AMOUNTS_DIFFER:
            return f"{self.kind}: " + "; ".join(str(d) for d in self.differences)
        if self.kind is LineKind.ONLY_OURS:
            return f"{self.kind}: 经办有此结算, 机构文件未列"
        if self.kind is LineKind.ONLY_THEIRS:
            note = f" ({self.note})" if self.note else ""
            return f"{self.kind}: 机构文件第 {self.line.line_no} 行, 经办无此结算{note}"
        return str(self.kind)


def compare_lines(
    theirs: Sequence[SettlementLine],
    ours: Sequence[SettlementLine],
    notes: Mapping[str, str] | None = None,
) -> tuple[LineResult, ...]:
    """Their lines in file order, each matched by ``setl_id`` with ours, then ours they lack.

    ``notes`` explain, by ``setl_id``, a record of theirs that is ours but outside the selection.
    """
    pending = {line.setl_id: line for line in ours}
    results = []
    for line in theirs:
        own = pending.pop(line.setl_id, None)
        if own is None:
            results.append(
                LineResult(LineKind.ONLY_THEIRS, line, note=(notes or {}).get(line.setl_id, ""))
            )
            continue
        found = _line_differences(line, own)
        kind = LineKind.AMOUNTS_DIFFER if found else LineKind.MATCH
        results.append(LineResult(kind, replace(own, line_no=line.line_no), found))
    results.extend(LineResult(LineKind.ONLY_OURS, own) for own in pending.values())
    return tuple(results)


def _line_differences(theirs: SettlementLine, ours: SettlementLine) -> tuple[Difference, ...]:
    compared = ("mdtrt_id", "psn_no", "refd_setl_flag", *AMOUNTS)
    return tuple(Difference(name, getattr(theirs, name), getattr(ours, name)) for name in compared
                 if getattr(theirs, name) != getattr(ours, name))  # fmt: skip


def result_row(result: LineResult) -> dict[str, str]:
    """The result in :data:`RESULT_COLUMNS` (amounts: ours, or theirs for only_theirs)."""
    line = result.line
    return {
        "psn_no": line.psn_no, "mdtrt_id": line.mdtrt_id, "setl_id": line.setl_id, "msgid": line.msgid,
        "stmt_rslt": result.kind.code, "refd_setl_flag": line.refd_setl_flag, "memo": result.memo,
        **{column: format(getattr(line, column), "f") for column in AMOUNTS},
    }  # fmt: skip


def result_text(results: Iterable[LineResult]) -> str:
    """The result file: one line per result, :data:`RESULT_COLUMNS` separated by tabs, no header."""
    return "".join("\t".join(result_row(r)[c] for c in RESULT_COLUMNS) + "\n" for r in results)


def count_kinds(results: Iterable[LineResult]) -> dict[LineKind, int]:
    """How many results of each kind (every kind listed, zero included)."""
    counts = dict.fromkeys(LineKind, 0)
    for result in results:
        counts[result.kind] += 1
    return counts


def describe_counts(counts: Mapping[LineKind, int]) -> tuple[StmtResult, str]:
    """平 when every line matches; the text counts each kind (``match 10, amounts_differ 1, …``)."""
    wrong = sum(n for kind, n in counts.items() if kind is not LineKind.MATCH)
    outcome = StmtResult.UNBALANCED if wrong else StmtResult.BALANCED
    return outcome, f"{outcome.label}: " + ", ".join(f"{kind} {n}" for kind, n in counts.items())
