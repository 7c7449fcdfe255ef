"""Inter-region clearing (跨地区清算) as pure values: pairs, periods, line states, netting, balance.

Every settlement of a person insured elsewhere leaves a **receivable** of the care region
(就医地, the creditor, which paid the institution) from the insuring region (参保地, the debtor):
the funds' share plus the personal account (``settlement.tables.region_receivables``). Once a
month, one **statement** per unordered pair of regions lists the month's receivables in both
directions and nets them: A's receivable from B, B's from A, the difference and who pays it.

A **line** (one receivable on a statement) moves through these states (:func:`agree`,
:func:`dispute`, :func:`resolve`; any other step is refused naming ``state``)::

    open --both sides agree--> agreed
    open --either side disputes (with a reason)--> disputed
    disputed --the disputing side drops its dispute--> resolved (agreed)
    disputed --the creditor withdraws its receivable--> resolved (withdrawn)

A line still disputed when the next month is built is carried to that month's statement of the
pair, disputed, with its reason. What a line counts for (:func:`bucket`): *due* (open, agreed,
resolved-agreed: netted), *held* (disputed: not netted) or *withdrawn* (not owed at all).

The **balance** of a period (:func:`check_balance`): Σ receivables of every region = Σ payables
of the others, to the fen; the nets add up to zero; each region's net is the sum of its pairs'
nets; and every receivable of the month is on a statement with its amount.

Pure: no I/O; ``crossregion.clearing`` stores what these functions decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from yibao.crossregion.clearing_values import check_region, text
from yibao.kernel.errors import ConflictError, InvalidValue
from yibao.kernel.money import ZERO

__all__ = [
    "Bucket", "ClearingConflict", "DirectionTotals", "LineState", "LineStatus", "Pair",
    "PeriodBalance", "RegionFigures", "Resolution", "Role", "StatementStatus", "StatementTotals",
    "StepKind", "agree", "bucket", "check_balance", "dispute", "new_line", "pair_of",
    "resolution_of", "resolve", "statement_status", "statement_totals",
]  # fmt: skip


class LineState(StrEnum):
    """Where a line of a statement stands."""

    #: 待对账: neither side has disputed it; not yet agreed by both
    OPEN = "open"
    #: 已确认: both sides agreed
    AGREED = "agreed"
    #: 有争议: a side disputed it, with a reason; held back from the net
    DISPUTED = "disputed"
    #: 已解决: a dispute ended, the line agreed or withdrawn (:class:`Resolution`)
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """The Chinese name."""
        names = {LineState.OPEN: "待对账", LineState.AGREED: "已确认", LineState.DISPUTED: "有争议"}
        return names.get(self, "已解决")


class Resolution(StrEnum):
    """How a dispute ended."""

    #: the disputing side dropped its dispute: the receivable stands and is netted
    AGREED = "agreed"
    #: the creditor withdrew the receivable: nothing is owed for it
    WITHDRAWN = "withdrawn"


class StepKind(StrEnum):
    """What a step on a line records."""

    AGREED = "agreed"
    DISPUTED = "disputed"
    RESOLVED = "resolved"


class Role(StrEnum):
    """A region's part on a line."""

    #: 就医地: advanced the money, is owed it
    CREDITOR = "creditor"
    #: 参保地: owes it
    DEBTOR = "debtor"


class Bucket(StrEnum):
    """What a line counts for in the statement's figures."""

    DUE = "due"
    HELD = "held"
    WITHDRAWN = "withdrawn"


class StatementStatus(StrEnum):
    """Where a statement stands, from its lines."""

    #: 待对账: some line is open
    OPEN = "open"
    #: 有争议: no line open, some line disputed here
    DISPUTED = "disputed"
    #: 已对平: every line agreed, resolved, or disputed and carried to a later statement
    RECONCILED = "reconciled"


class ClearingConflict(ConflictError):
    """A step the stored state does not allow; names the field and the reason like InvalidValue."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True, order=True)
class Pair:
    """An unordered pair of regions, kept in order (``a`` < ``b``): one statement a month."""

    a: str
    b: str

    def role_of(self, region: str, *, creditor: str, field: str = "side") -> Role:
        """The part ``region`` plays on a line of this pair whose creditor is ``creditor``."""
        if region not in (self.a, self.b):
            raise InvalidValue(
                field,
                f"{region} is not a party of the statement {self}: it is {self.a} or {self.b}",
            )
        return Role.CREDITOR if region == creditor else Role.DEBTOR

    def __str__(self) -> str:
        return f"{self.a}–{self.b}"


def pair_of(values: Iterable[object], *, field: str = "pair") -> Pair:
    """Two different regions, in any order."""
    items = list(values)
    if len(items) != 2:
        raise InvalidValue(field, f"{len(items)} region(s): name the two regions of the statement")
    first = check_region(items[0], field=f"{field}[0]")
    second = check_region(items[1], field=f"{field}[1]")
    if first == second:
        raise InvalidValue(field, f"{first} twice: a statement is between two different regions")
    return Pair(min(first, second), max(first, second))


@dataclass(frozen=True, slots=True)
class LineStatus:
    """A line's reconciliation: its state, who agreed, who disputed and why, how it ended."""

    state: LineState
    creditor_agreed: bool = False
    debtor_agreed: bool = False
    disputed_by: str | None = None
    reason: str | None = None
    resolution: Resolution | None = None


def new_line() -> LineStatus:
    """A line as a statement is built: open, nobody has answered."""
    return LineStatus(LineState.OPEN)


def _closed(status: LineStatus, what: str) -> ClearingConflict:
    if status.state is LineState.DISPUTED:
        return ClearingConflict("state", f"the line is disputed by {status.disputed_by} "
                                f"({status.reason}): it is resolved, not {what}")  # fmt: skip
    return ClearingConflict("state", f"the line is {status.state.value}: it takes no further step")


def agree(status: LineStatus, role: Role) -> LineStatus:
    """One side agrees with an open line; agreed by both, the line is agreed."""
    if status.state is not LineState.OPEN:
        raise _closed(status, "agreed")
    if status.creditor_agreed if role is Role.CREDITOR else status.debtor_agreed:
        raise ClearingConflict("state", f"the {role.value} has already agreed this line")
    after = replace(status, creditor_agreed=status.creditor_agreed or role is Role.CREDITOR,
                    debtor_agreed=status.debtor_agreed or role is Role.DEBTOR)  # fmt: skip
    if after.creditor_agreed and after.debtor_agreed:
        return replace(after, state=LineState.AGREED)
    return after


def dispute(status: LineStatus, region: str, reason: str) -> LineStatus:
    """A side disputes an open line (even one it agreed earlier), with its reason."""
    if status.state is not LineState.OPEN:
        raise _closed(status, "disputed again")
    why = text(reason, field="reason", limit=2000)
    return replace(status, state=LineState.DISPUTED, disputed_by=region, reason=why)


def resolve(
    status: LineStatus, *, region: str, role: Role, resolution: str, reason: str
) -> LineStatus:
    """End a dispute: the side that disputed drops it (``agreed``) or the creditor withdraws
    the receivable (``withdrawn``); the reason is kept with the step."""
    outcome = resolution_of(resolution)
    text(reason, field="reason", limit=2000)
    if status.state is not LineState.DISPUTED:
        raise ClearingConflict("state", f"the line is {status.state.value}, not disputed: "
                               "only a disputed line is resolved")  # fmt: skip
    if outcome is Resolution.WITHDRAWN and role is not Role.CREDITOR:
        raise InvalidValue("side", f"{region} owes this line: only the creditor withdraws it")
    if outcome is Resolution.AGREED and region != status.disputed_by:
        raise InvalidValue(
            "side", f"{status.disputed_by} disputed this line: only it can drop its dispute"
        )
    return replace(status, state=LineState.RESOLVED, creditor_agreed=True, debtor_agreed=True,
                   resolution=outcome)  # fmt: skip


def resolution_of(value: str) -> Resolution:
    """``agreed`` or ``withdrawn``; anything else is refused naming ``resolution``."""
    try:
        return Resolution(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Resolution)
        raise InvalidValue("resolution", f"{value!r} is not one of {allowed}") from None


def bucket(state: LineState, resolution: Resolution | None) -> Bucket:
    """What a line counts for: netted (due), held back (disputed), or nothing (withdrawn)."""
    if state is LineState.DISPUTED:
        return Bucket.HELD
    if state is LineState.RESOLVED and resolution is Resolution.WITHDRAWN:
        return Bucket.WITHDRAWN
    return Bucket.DUE


def statement_status(lines: Iterable[tuple[LineState, bool]]) -> StatementStatus:
    """From each line's state and whether it was carried to a later statement."""
    found = StatementStatus.RECONCILED
    for state, carried in lines:
        if state is LineState.OPEN:
            return StatementStatus.OPEN
        if state is LineState.DISPUTED and not carried:
            found = StatementStatus.DISPUTED
    return found


@dataclass(frozen=True, slots=True)
class DirectionTotals:
    """One direction of a statement: what ``debtor`` owes ``creditor``."""

    creditor: str
    debtor: str
    lines: int = 0
    gross: Decimal = ZERO
    due: Decimal = ZERO
    held: Decimal = ZERO
    withdrawn: Decimal = ZERO

    def add(self, amount: Decimal, counts_as: Bucket, lines: int = 1) -> DirectionTotals:
        """These totals with ``lines`` more lines of ``amount`` in ``counts_as``."""
        return replace(
            self, lines=self.lines + lines, gross=self.gross + amount,
            due=self.due + (amount if counts_as is Bucket.DUE else ZERO),
            held=self.held + (amount if counts_as is Bucket.HELD else ZERO),
            withdrawn=self.withdrawn + (amount if counts_as is Bucket.WITHDRAWN else ZERO),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatementTotals:
    """A statement's netting: B owes A (``to_a``), A owes B (``to_b``), the net, who pays whom."""

    pair: Pair
    to_a: DirectionTotals
    to_b: DirectionTotals

    @property
    def net(self) -> Decimal:
        """What B pays A on balance (negative: A pays B), over the due lines."""
        return self.to_a.due - self.to_b.due

    @property
    def payer(self) -> str | None:
        """Who pays the net (None when it is zero)."""
        return None if self.net == ZERO else (self.pair.b if self.net > ZERO else self.pair.a)

    @property
    def payee(self) -> str | None:
        """Who receives the net."""
        if self.payer is None:
            return None
        return self.pair.a if self.payer == self.pair.b else self.pair.b

    def net_for(self, region: str) -> Decimal:
        """The net from ``region``'s side: positive when it receives."""
        return self.net if region == self.pair.a else -self.net


def statement_totals(
    pair: Pair, lines: Iterable[tuple[str, Decimal, Bucket, int]]
) -> StatementTotals:
    """Totals from (creditor, amount, bucket, number of lines) groups of one statement."""
    to_a, to_b = DirectionTotals(pair.a, pair.b), DirectionTotals(pair.b, pair.a)
    for creditor, amount, counts_as, count in lines:
        if creditor == pair.a:
            to_a = to_a.add(amount, counts_as, count)
        elif creditor == pair.b:
            to_b = to_b.add(amount, counts_as, count)
        else:
            raise InvalidValue("creditor", f"{creditor} is not a party of the statement {pair}")
    return StatementTotals(pair, to_a, to_b)


@dataclass(frozen=True, slots=True)
class RegionFigures:
    """A region's position in a period, over the period's statements.

    ``receivable``/``payable``: the month's receivables as creditor/debtor (new lines, all
    states); ``due_*``: what is netted this period (carried lines resolved here included);
    ``net`` = due receivable − due payable; ``source_*``: the same month from
    ``region_receivables``, for the check.
    """

    region: str
    receivable: Decimal = ZERO
    payable: Decimal = ZERO
    due_receivable: Decimal = ZERO
    due_payable: Decimal = ZERO
    source_receivable: Decimal = ZERO
    source_payable: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        """Positive: the region receives this much on balance this period."""
        return self.due_receivable - self.due_payable


@dataclass(frozen=True, slots=True)
class PeriodBalance:
    """The totals check of a period, with every figure and each problem found (none: balanced)."""

    period: str
    regions: tuple[RegionFigures, ...]
    statements: tuple[StatementTotals, ...]
    source_lines: int
    stated_lines: int
    problems: tuple[str, ...]

    def total(self, figure: str) -> Decimal:
        """Σ over the regions of one figure: ``receivable``, ``payable``, ``due_receivable``,
        ``due_payable`` or ``net``."""
        return sum((getattr(r, figure) for r in self.regions), ZERO)

    @property
    def balanced(self) -> bool:
        """No problem found."""
        return not self.problems


def check_balance(
    period: str, regions: Iterable[RegionFigures], statements: Iterable[StatementTotals], *,
    source_lines: int, stated_lines: int,
) -> PeriodBalance:  # fmt: skip
    """Check a period's figures against each other and against the receivables of the month."""
    figures = tuple(sorted(regions, key=lambda r: r.region))
    stated = tuple(sorted(statements, key=lambda s: s.pair))
    problems: list[str] = []
    balance = PeriodBalance(period, figures, stated, source_lines, stated_lines, ())
    for owed, owing in (("receivable", "payable"), ("due_receivable", "due_payable")):
        if balance.total(owed) != balance.total(owing):
            problems.append(f"Σ {owed} {balance.total(owed)} ≠ Σ {owing} {balance.total(owing)}")
    if balance.total("net") != ZERO:
        problems.append(f"the nets add up to {balance.total('net')}, not 0")
    problems.extend(_region_problems(figures, stated))
    if source_lines != stated_lines:
        problems.append(f"{source_lines} receivable(s) of {period}, {stated_lines} stated")
    return replace(balance, problems=tuple(problems))


def _region_problems(
    figures: tuple[RegionFigures, ...], stated: tuple[StatementTotals, ...]
) -> Iterable[str]:
    nets: dict[str, Decimal] = {}
    for s in stated:
        for region in (s.pair.a, s.pair.b):
            nets[region] = nets.get(region, ZERO) + s.net_for(region)
    by_region: Mapping[str, RegionFigures] = {r.region: r for r in figures}
    for region in sorted(set(nets) | set(by_region)):
        r = by_region.get(region, RegionFigures(region))
        if r.net != nets.get(region, ZERO):
            yield f"{region}: net {r.net} ≠ {nets.get(region, ZERO)}, the sum of its statements' nets"
        if (r.receivable, r.payable) != (r.source_receivable, r.source_payable):
            yield (f"{region}: stated {r.receivable} receivable / {r.payable} payable, but the "
                   f"month's receivables say {r.source_receivable} / {r.source_payable}")  # fmt: skip
