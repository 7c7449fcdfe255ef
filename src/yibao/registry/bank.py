"""Bank batch debits of premiums (医保费银行批扣): the lines, the ten failure reasons, the results.

Pure: the standard library and the kernel only. An agency exports one debit file per bank for a
collection run (批扣); the bank answers line by line; :func:`classify` turns a bank's result code
(or, for a bank that sends none, its message) into paid or one of the ten :class:`DebitFailure`
reasons of "医保费批扣失败原因解释及处理方法", through that bank's :class:`BankCodeTable` — data
loaded by ``registry.bank_codes``. Each reason carries the action the clerk tells the person and
whether a re-run retries it without a change of data (``registry.bank_runs`` plans re-runs).

:func:`compare_names` says whether a name mismatch (F03) is only traditional characters or the
middle dot of a minority name; the converter to simplified characters is passed in
(``registry.names`` provides it), so this module stays pure. Amounts are checked, never rounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from yibao.kernel.codes import InsuType
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, money

__all__ = [
    "MIDDLE_DOTS",
    "BankCodeTable",
    "DebitBatch",
    "DebitFailure",
    "DebitItem",
    "DebitResult",
    "DebitStatus",
    "NameDifference",
    "StudentStatus",
    "classify",
    "compare_names",
    "result_for",
    "unify_dots",
]


class DebitFailure(StrEnum):
    """批扣失败原因: the ten reasons of the agency's table, in its order (``.label`` is the term)."""

    #: 学籍状态异常（毕业、非在学、结业、退学），未送银行批扣
    STATUS_NOT_ELIGIBLE = "F01"
    #: 系统没有银行卡号
    NO_CARD = "F02"
    #: 户名核对不一致
    NAME_MISMATCH = "F03"
    #: 卡号不存在
    CARD_NOT_FOUND = "F04"
    #: 卡状态不正常（已关户）
    CARD_CLOSED = "F05"
    #: 信用卡业务摘要未通过验证
    CREDIT_CARD = "F06"
    #: 转入新账户出错（登记了异地卡号）
    NON_LOCAL_CARD = "F07"
    #: 账户校验不正确
    ACCOUNT_CHECK_FAILED = "F08"
    #: 卡状态不正确（银行卡未激活）
    CARD_NOT_ACTIVATED = "F09"
    #: 卡临时挂失、卡正式挂失
    CARD_REPORTED_LOST = "F10"

    @property
    def label(self) -> str:
        """The Chinese term of the reason."""
        return _REASONS[self][0]

    @property
    def action(self) -> str:
        """What the clerk tells the person to do (Chinese, short)."""
        return _REASONS[self][1]

    @property
    def retry(self) -> bool:
        """Whether a re-run collects the line again although nothing on file changed."""
        return _REASONS[self][2]


# reason -> (term, action, retried without a change of data). Only F09 clears by itself: the person
# activates the same card at the counter. Every other reason needs a new or corrected card, name or
# status on file first — sending the same line again would fail the same way.
_REASONS: dict[DebitFailure, tuple[str, str, bool]] = {
    DebitFailure.STATUS_NOT_ELIGIBLE: (
        "学籍状态异常（毕业、非在学、结业、退学），未送银行批扣",
        "核实学籍状态；状态更正后再批扣，否则到经办机构自行缴费", False),
    DebitFailure.NO_CARD: ("系统没有银行卡号", "登记本人银行卡号后再批扣", False),
    DebitFailure.NAME_MISMATCH: (
        "户名核对不一致",
        "核对姓名与银行卡户名（繁体字、少数民族姓名中间的点），更正后再批扣", False),
    DebitFailure.CARD_NOT_FOUND: ("卡号不存在", "核对银行卡号，登记正确的卡号", False),
    DebitFailure.CARD_CLOSED: ("卡状态不正常（已关户）", "联系开户银行处理，或登记其他银行卡", False),
    DebitFailure.CREDIT_CARD: ("信用卡业务摘要未通过验证", "不能用信用卡扣款，请登记借记卡", False),
    DebitFailure.NON_LOCAL_CARD: (
        "转入新账户出错（登记了异地卡号）", "登记本地开户的银行卡", False),
    DebitFailure.ACCOUNT_CHECK_FAILED: ("账户校验不正确", "系统中的卡号有误，核对后重新登记", False),
    DebitFailure.CARD_NOT_ACTIVATED: (
        "卡状态不正确（银行卡未激活）", "持卡到银行柜台激活后，下次批扣自动再扣", True),
    DebitFailure.CARD_REPORTED_LOST: (
        "卡临时挂失、卡正式挂失", "挂失的卡不能扣款：登记补办的新卡号", False),
}  # fmt: skip


class DebitStatus(StrEnum):
    """扣款结果: the bank took the premium, or did not."""

    PAID = "paid"
    FAILED = "failed"


class StudentStatus(StrEnum):
    """学籍状态 of a student insured through the school; all but 在学 are never sent (F01)."""

    #: 在学
    ENROLLED = "enrolled"
    #: 毕业
    GRADUATED = "graduated"
    #: 非在学
    NOT_ENROLLED = "not_enrolled"
    #: 结业
    COMPLETED = "completed"
    #: 退学
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The Chinese term."""
        return _STATUS_TERMS[self]

    @property
    def sent(self) -> bool:
        """Whether a student with this status is sent to the bank (only 在学 is)."""
        return self is StudentStatus.ENROLLED


_STATUS_TERMS = {StudentStatus.ENROLLED: "在学", StudentStatus.GRADUATED: "毕业",
                 StudentStatus.NOT_ENROLLED: "非在学", StudentStatus.COMPLETED: "结业",
                 StudentStatus.WITHDRAWN: "退学"}  # fmt: skip
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,20}", re.ASCII)
_BANK = re.compile(r"[A-Z0-9]{2,8}", re.ASCII)
_ASCII_CODE = re.compile(r"[!-~]{1,30}", re.ASCII)  # printable ASCII, no spaces
_CARD = re.compile(r"[0-9]{8,32}", re.ASCII)


def _check(value: str, pattern: re.Pattern[str], field_name: str, what: str) -> None:
    if not pattern.fullmatch(value):
        raise InvalidValue(field_name, f"{value!r} is not {what}")


@dataclass(frozen=True, slots=True)
class DebitItem:
    """One premium to collect from one card in one run (批扣明细); ``card_no`` is empty if none."""

    run_id: str
    line_no: int
    psn_no: str
    name: str
    certno: str
    bank_code: str
    card_no: str
    amount: Decimal
    year: int
    insutype: str

    def __post_init__(self) -> None:
        _check(self.run_id, _RUN_ID, "run_id", "a run id (1–20 letters, digits, - or _)")
        if isinstance(self.line_no, bool) or not 1 <= self.line_no <= 99_999_999:
            raise InvalidValue("line_no", f"{self.line_no!r} is not a line number (1–99999999)")
        _check(self.psn_no, _ASCII_CODE, "psn_no", "a person number (1–30 ASCII characters)")
        _check(self.certno, _ASCII_CODE, "certno", "a certificate number (1–30 ASCII characters)")
        _check(self.bank_code, _BANK, "bank_code", "a bank code (2–8 capitals or digits)")
        if self.card_no:
            _check(self.card_no, _CARD, "card_no", "a card number (8–32 digits)")
        if not self.name.strip():
            raise InvalidValue("name", "the name is empty")
        amount = money(self.amount, field="amount")
        if amount <= ZERO:
            raise InvalidValue("amount", f"{self.amount} must be greater than 0")
        object.__setattr__(self, "amount", amount)
        if isinstance(self.year, bool) or not 2000 <= self.year <= 2999:
            raise InvalidValue("year", f"{self.year!r} is not a premium year")
        if self.insutype not in tuple(InsuType):
            raise InvalidValue("insutype", f"unknown code {self.insutype!r}")

    @property
    def premium(self) -> tuple[str, int, str]:
        """What is owed once: (psn_no, year, insutype). Any run may collect it, only one may."""
        return self.psn_no, self.year, self.insutype


@dataclass(frozen=True, slots=True)
class DebitBatch:
    """The lines of one run sent to one bank: the content of one debit file."""

    run_id: str
    bank_code: str
    items: tuple[DebitItem, ...]

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for item in self.items:
            where = f"line {item.line_no}"
            if (item.run_id, item.bank_code) != (self.run_id, self.bank_code):
                raise InvalidValue(where, f"belongs to run {item.run_id} bank {item.bank_code}, "
                                   f"not {self.run_id} {self.bank_code}")  # fmt: skip
            if item.line_no in seen:
                raise InvalidValue(where, "appears twice in the batch")
            if not item.card_no:
                raise InvalidValue(where, "has no card number: screen() keeps it back (F02)")
            seen.add(item.line_no)

    @property
    def total(self) -> Decimal:
        """The sum of the amounts to debit."""
        return sum((item.amount for item in self.items), ZERO)

    def item(self, line_no: int) -> DebitItem | None:
        """The line numbered ``line_no``, or None when the batch has none."""
        return next((item for item in self.items if item.line_no == line_no), None)


class NameDifference(StrEnum):
    """How the name on file differs from the account holder's name the bank holds."""

    SAME = "same"
    TRADITIONAL = "traditional"
    DOT = "dot"
    TRADITIONAL_AND_DOT = "traditional_and_dot"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The likely cause, for the clerk (Chinese)."""
        return _NAME_CAUSES[self]


_NAME_CAUSES = {
    NameDifference.SAME: "姓名一致：请向银行核实其登记的户名",
    NameDifference.TRADITIONAL: "繁简体不同：银行户名用的是繁体字",
    NameDifference.DOT: "少数民族姓名中间的点写法不同或缺少",
    NameDifference.TRADITIONAL_AND_DOT: "繁体字和中间的点都不同",
    NameDifference.OTHER: "姓名不同：核实持卡人是否本人",
}


@dataclass(frozen=True, slots=True)
class DebitResult:
    """The outcome of one line: paid, or failed with the bank's code, message and the reason."""

    run_id: str
    line_no: int
    status: DebitStatus
    result_code: str = ""
    result_msg: str = ""
    failure: DebitFailure | None = None
    name_difference: NameDifference | None = None

    def __post_init__(self) -> None:
        if (self.status is DebitStatus.PAID) != (self.failure is None):
            raise InvalidValue(
                "failure", "a paid line has no failure reason, a failed line has one"
            )


@dataclass(frozen=True, slots=True)
class BankCodeTable:
    """One bank's result codes (and, for results without a code, messages): None is paid."""

    bank_code: str
    bank_name: str
    codes: Mapping[str, DebitFailure | None]
    messages: Mapping[str, DebitFailure | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))
        object.__setattr__(self, "messages", MappingProxyType(dict(self.messages)))


def classify(table: BankCodeTable, result_code: str, result_msg: str = "") -> DebitFailure | None:
    """The reason a line failed (None: paid) from the bank's code, or its message if no code.

    An unknown code, or no code and a message not in the table, is refused (``InvalidValue``):
    a guess could mark an unpaid premium as paid.
    """
    code, message = result_code.strip(), result_msg.strip()
    bank = f"{table.bank_code} {table.bank_name}"
    if code:
        if code not in table.codes:
            raise InvalidValue("result_code", f"unknown code {code!r}: not in the table of {bank}")
        return table.codes[code]
    if message in table.messages:
        return table.messages[message]
    raise InvalidValue("result_msg", f"no result code, and the message {message!r} is not in "
                       f"the table of {bank}")  # fmt: skip


MIDDLE_DOTS = "\u00b7\u2022\uff0e.\u30fb\u2027\u2219\u22c5\uff65\u0387"  # ·•．.・‧∙⋅･·
_DOTS = re.compile(f"[{re.escape(MIDDLE_DOTS)}]")


def _same(text: str) -> str:
    return text


def unify_dots(name: str) -> str:
    """The name with every variant of the middle dot written as ``·`` (U+00B7)."""
    return _DOTS.sub("·", name.strip())


def compare_names(
    on_file: str, at_bank: str, *, to_simplified: Callable[[str], str] = _same
) -> NameDifference:
    """Whether two names differ only by traditional characters, by the middle dot, or truly.

    A missing dot counts as a dot variant: "买买提艾力", "买买提.艾力" and "买买提·艾力" are one name.
    """
    ours, theirs = on_file.strip(), at_bank.strip()
    if ours == theirs:
        return NameDifference.SAME
    if _DOTS.sub("", ours) == _DOTS.sub("", theirs):
        return NameDifference.DOT
    simple_ours, simple_theirs = to_simplified(ours), to_simplified(theirs)
    if simple_ours == simple_theirs:
        return NameDifference.TRADITIONAL
    if _DOTS.sub("", simple_ours) == _DOTS.sub("", simple_theirs):
        return NameDifference.TRADITIONAL_AND_DOT
    return NameDifference.OTHER


def result_for(
    item: DebitItem,
    table: BankCodeTable,
    *,
    result_code: str,
    result_msg: str = "",
    holder_name: str = "",
    to_simplified: Callable[[str], str] = _same,
) -> DebitResult:
    """The outcome of ``item`` as the bank reported it (``InvalidValue`` for an unknown code).

    When the bank names the account holder on a failed line, the result says how that name
    differs from ours, whatever the reason: a clerk reading "账户校验不正确" with "張偉" against
    "张伟" knows where to look.
    """
    failure = classify(table, result_code, result_msg)
    status = DebitStatus.PAID if failure is None else DebitStatus.FAILED
    difference = None
    if failure is not None and holder_name.strip():
        difference = compare_names(item.name, holder_name, to_simplified=to_simplified)
    return DebitResult(item.run_id, item.line_no, status, result_code.strip(), result_msg.strip(),
                       failure, difference)  # fmt: skip
