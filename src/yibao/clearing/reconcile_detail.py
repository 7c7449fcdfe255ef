"""The 3202 detail file (对明细账明细文件, ADR 0018) as pure values: read, refused whole, summed.

The format is the project's (the sources do not give one): UTF-8 text, one settlement record a
line, the :data:`DETAIL_COLUMNS` separated by tabs, no header; ``refd_setl_flag`` ``0`` for a
settlement, ``1`` for a reversal (whose amounts are negative, mirroring the settlement). Blank lines
are skipped and a line may end in ``\\r\\n``. :func:`parse_detail` refuses the whole file, naming
every bad line and column; :func:`detail_figures` sums it for the check against the totals the
institution sent with it (:data:`DETAIL_FIGURES`).

Pure: standard library, the kernel and the reconciliation model only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from yibao.clearing.reconcile_model import AMOUNTS, SettlementLine
from yibao.kernel.codes import RefdSetlFlag
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, money

__all__ = ["DETAIL_COLUMNS", "DETAIL_FIGURES", "detail_figures", "parse_detail", "refuse"]

#: the detail file's columns, in order (3202; no header line)
DETAIL_COLUMNS = ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay",
                  "refd_setl_flag")  # fmt: skip
_LENGTHS = {"setl_id": 40, "mdtrt_id": 30, "psn_no": 30}
_FLAGS = frozenset(flag.value for flag in RefdSetlFlag)
#: how many problems of a refused file are listed
_SHOWN = 20
#: 3202's totals that the detail file must add up to (the file has no cash column)
DETAIL_FIGURES = ("fixmedins_setl_cnt", "medfee_sumamt", "fund_pay_sumamt")


def parse_detail(text: str, *, field: str, name: str) -> tuple[SettlementLine, ...]:
    """The detail file's records; refused whole (``InvalidValue`` on ``field``) naming every bad
    line and column: a wrong number of columns, an empty or over-long text, a bad amount or flag,
    a ``setl_id`` listed twice. Blank lines are skipped; a line may end in ``\\r\\n``."""
    lines: list[SettlementLine] = []
    problems: list[str] = []
    first: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        row = raw.removesuffix("\r")
        if not row.strip():
            continue
        line = _parse_row(number, row, problems)
        if line is None:
            continue
        seen = first.setdefault(line.setl_id, number)
        if seen != number:
            problems.append(
                f"line {number}, setl_id: {line.setl_id} is listed twice (first on line {seen})"
            )
            continue
        lines.append(line)
    refuse(problems, field=field, name=name)
    return tuple(lines)


def refuse(problems: Sequence[str], *, field: str, name: str) -> None:
    """Raise ``InvalidValue`` on ``field`` listing the file's problems (the first twenty), if any."""
    if not problems:
        return
    shown = "; ".join(problems[:_SHOWN])
    more = f" (+{len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
    raise InvalidValue(field, f"file {name} refused, nothing was stored: {shown}{more}")


def _parse_row(number: int, row: str, problems: list[str]) -> SettlementLine | None:
    cells = [cell.strip() for cell in row.split("\t")]
    if len(cells) != len(DETAIL_COLUMNS):
        problems.append(f"line {number}: {len(cells)} columns, expected {len(DETAIL_COLUMNS)} "
                        f"({', '.join(DETAIL_COLUMNS)}) separated by tabs")  # fmt: skip
        return None
    values = dict(zip(DETAIL_COLUMNS, cells, strict=True))
    found = len(problems)
    for column, longest in _LENGTHS.items():
        if not values[column]:
            problems.append(f"line {number}, {column}: empty")
        elif len(values[column]) > longest:
            problems.append(f"line {number}, {column}: longer than {longest} characters")
    amounts = {column: _amount(number, column, values[column], problems) for column in AMOUNTS}
    if values["refd_setl_flag"] not in _FLAGS:
        problems.append(
            f"line {number}, refd_setl_flag: {values['refd_setl_flag']!r} is not 0 or 1"
        )
    medfee, fund, acct = (amounts[column] for column in AMOUNTS)
    if len(problems) > found or medfee is None or fund is None or acct is None:
        return None
    return SettlementLine(setl_id=values["setl_id"], mdtrt_id=values["mdtrt_id"], psn_no=values["psn_no"],
                          medfee_sumamt=medfee, fund_pay_sumamt=fund, acct_pay=acct,
                          refd_setl_flag=values["refd_setl_flag"], line_no=number)  # fmt: skip


def _amount(number: int, column: str, value: str, problems: list[str]) -> Decimal | None:
    try:
        return money(value, field=column)
    except InvalidValue as exc:
        problems.append(f"line {number}, {column}: {exc.reason}")
        return None


def detail_figures(lines: Sequence[SettlementLine]) -> dict[str, Decimal]:
    """What the file adds up to, under the names of 3202's totals (:data:`DETAIL_FIGURES`)."""
    return {
        "fixmedins_setl_cnt": Decimal(len(lines)),
        "medfee_sumamt": sum((line.medfee_sumamt for line in lines), ZERO),
        "fund_pay_sumamt": sum((line.fund_pay_sumamt for line in lines), ZERO),
    }
