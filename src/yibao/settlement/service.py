"""Settlement use cases before there is a store: replay one visit document against the engine.

``replay_visit`` plays a visit's calls in order (upload lines, pre-settle, settle, reverse,
discharge) in memory, keeping the person's year state between them, and returns every step's
outcome. The gateway (issue B) runs the same steps against the database, one call at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from yibao.catalog.model import CatalogEntry, Institution, RegionCatalog
from yibao.kernel.codes import AcctUsedFlag, MidSetlFlag
from yibao.kernel.errors import CatalogError, ConflictError, InvalidValue, SettlementRefused
from yibao.policy.model import PolicyBook
from yibao.settlement.engine import reverse, settle
from yibao.settlement.formats import FeeDetail, SettleData, Transaction, VisitDocument
from yibao.settlement.model import (
    Accumulators,
    FeeLine,
    LineSplit,
    Person,
    Settlement,
    Visit,
    YearState,
)
from yibao.settlement.rules import (
    accept_lines,
    check_can_settle,
    check_sent_amount,
    identities_on,
    settlement_day,
)
from yibao.settlement.split import split_lines

__all__ = ["ReplayStep", "VisitReplay", "replay_visit"]

_UPLOAD = {"2204", "2301"}
_PRE = {"2206", "2303"}
_SETTLE = {"2207", "2304"}
_REVERSE = {"2208", "2305"}


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """The outcome of one call: lines split (uploads) or a settlement (settle, pre-settle, reverse)."""

    infno: str
    lines: tuple[LineSplit, ...] = ()
    settlement: Settlement | None = None
    committed: bool = False
    state: YearState | None = None


@dataclass(frozen=True, slots=True)
class VisitReplay:
    """Every step of a visit, and the person's year state at the end."""

    mdtrt_id: str
    year: int
    steps: tuple[ReplayStep, ...]
    state: YearState


@dataclass(slots=True)
class _Session:
    """The working state of one replay: lines so far, settlements so far, the year state."""

    document: VisitDocument
    institution: Institution
    catalog: RegionCatalog
    policies: PolicyBook
    state: YearState
    lines: list[FeeLine] = field(default_factory=list)
    settled: list[Settlement] = field(default_factory=list)
    endtime: datetime | None = None
    issued: int = 0
    views: dict[date, Mapping[str, CatalogEntry]] = field(default_factory=dict)


def replay_visit(
    *,
    document: VisitDocument,
    policies: PolicyBook,
    catalogs: Mapping[str, RegionCatalog],
    institutions: Mapping[str, Institution],
) -> VisitReplay:
    """Play the document's calls in order and return what each produced."""
    institution = institutions.get(document.fixmedins_code)
    if institution is None:
        raise CatalogError(f"fixmedins_code: institution {document.fixmedins_code} is not known")
    catalog = catalogs.get(document.mdtrtarea_admvs)
    if catalog is None:
        raise CatalogError(f"mdtrtarea_admvs: no catalogue for region {document.mdtrtarea_admvs}")
    state = YearState(Accumulators(document.year_state.accumulators), document.year_state.balc)
    session = _Session(
        document, institution, catalog, policies, state, endtime=document.mdtrtinfo.endtime
    )
    steps = [_play(session, step) for step in document.steps()]
    return VisitReplay(
        document.mdtrtinfo.mdtrt_id, document.year_state.year, tuple(steps), session.state
    )


def _play(session: _Session, step: Transaction) -> ReplayStep:
    if step.infno in _UPLOAD:
        return _upload(session, step)
    if step.infno == "2402":
        assert step.dscginfo is not None  # checked by the document's validation
        if step.dscginfo.endtime < session.document.mdtrtinfo.begntime:
            raise InvalidValue("2402.dscginfo.endtime", "discharge is before admission")
        session.endtime = step.dscginfo.endtime
        return ReplayStep(step.infno, state=session.state)
    if step.infno in _REVERSE:
        return _reverse(session, step)
    assert step.data is not None  # checked by the document's validation
    return _settle(session, step, step.data, commit=step.infno in _SETTLE)


def _upload(session: _Session, step: Transaction) -> ReplayStep:
    added = [_as_line(detail) for detail in step.feedetail]
    latest = session.settled[-1] if session.settled else None
    accept_lines(session.lines, added, latest, where=f"{step.infno}.feedetail")
    session.lines.extend(added)
    view = _view(session, _visit(session, None).settle_day)
    return ReplayStep(step.infno, lines=split_lines(tuple(added), view, session.institution.tier))


def _as_line(detail: FeeDetail) -> FeeLine:
    return FeeLine(
        feedetl_sn=detail.feedetl_sn,
        med_list_codg=detail.med_list_codg,
        medins_list_codg=detail.medins_list_codg,
        cnt=detail.cnt,
        pric=detail.pric,
        det_item_fee_sumamt=detail.det_item_fee_sumamt,
        fee_ocur_time=detail.fee_ocur_time,
        hosp_appr_flag=detail.hosp_appr_flag.value,
        init_feedetl_sn=detail.init_feedetl_sn,
        name=detail.med_list_name,
        dept_codg=detail.bilg_dept_codg,
        dept_name=detail.bilg_dept_name,
    )


def _settle(session: _Session, step: Transaction, data: SettleData, *, commit: bool) -> ReplayStep:
    latest = session.settled[-1] if session.settled else None
    visit = _visit(session, data)
    check_can_settle(visit, latest, where=step.infno)
    when = _when(session, step)
    day = settlement_day(visit, when, latest, where=step.infno)
    check_sent_amount(data.medfee_sumamt, visit, latest, field=f"{step.infno}.data.medfee_sumamt")
    if day.year != session.document.year_state.year:
        raise SettlementRefused(
            f"year_state.year: {session.document.year_state.year} is not the year of the "
            f"settlement day {day}"
        )
    policy = session.policies.in_force(visit.person.insuplc_admdvs, day)
    number = session.issued + 1
    result = settle(
        visit,
        policy=policy,
        catalog=_view(session, day),
        state=session.state,
        setl_id=f"{data.mdtrt_id}S{number:02d}",
        setl_time=when,
        prior=latest,
    )
    if commit:
        session.issued = number
        session.settled.append(result)
        session.state = YearState(session.state.accumulators.plus(result.delta), result.balc)
    return ReplayStep(
        step.infno, lines=result.lines, settlement=result, committed=commit, state=session.state
    )


def _reverse(session: _Session, step: Transaction) -> ReplayStep:
    if not session.settled:
        raise ConflictError(f"{step.infno}: the visit has no settlement to reverse")
    original = session.settled.pop()
    session.issued += 1
    number = session.issued
    result = reverse(
        original,
        setl_id=f"{original.visit.mdtrt_id}R{number:02d}",
        setl_time=_when(session, step),
        balance=session.state.balance,
    )
    session.state = YearState(session.state.accumulators.plus(result.delta), result.balc)
    return ReplayStep(step.infno, settlement=result, committed=True, state=session.state)


def _visit(session: _Session, data: SettleData | None) -> Visit:
    doc = session.document
    info = doc.person.insuinfo
    base = doc.person.baseinfo
    day = (session.endtime or doc.mdtrtinfo.begntime).date()
    identities = identities_on(
        ((i.psn_idet_type.value, i.begntime, i.endtime) for i in doc.person.idetinfo), day
    )
    person = Person(
        psn_no=base.psn_no,
        psn_name=base.psn_name,
        gend=base.gend.value,
        brdy=base.brdy,
        psn_cert_type=base.psn_cert_type,
        certno=base.certno,
        insutype=info.insutype.value,
        psn_type=info.psn_type.value,
        cvlserv_flag=info.cvlserv_flag == "1",
        insuplc_admdvs=doc.insuplc_admdvs or info.insuplc_admdvs,
        identities=identities,
    )
    return Visit(
        mdtrt_id=doc.mdtrtinfo.mdtrt_id, person=person, institution=session.institution,
        insutype=doc.mdtrtinfo.insutype.value, med_type=doc.mdtrtinfo.med_type.value,
        begntime=doc.mdtrtinfo.begntime, endtime=session.endtime,
        mdtrtarea_admvs=doc.mdtrtarea_admvs, lines=tuple(session.lines),
        acct_used_flag=data is not None and data.acct_used_flag == AcctUsedFlag.YES,
        mid_setl_flag=data is not None and data.mid_setl_flag == MidSetlFlag.YES,
        mdtrt_cert_type=(data.mdtrt_cert_type if data else doc.mdtrtinfo.mdtrt_cert_type).value,
        filing_type=doc.filing_type,
    )  # fmt: skip


def _view(session: _Session, day: date) -> Mapping[str, CatalogEntry]:
    view = session.views.get(day)
    if view is None:
        view = session.views[day] = session.catalog.at(day)
    return view


def _when(session: _Session, step: Transaction) -> datetime:
    doc = session.document
    return step.inf_time or doc.inf_time or session.endtime or doc.mdtrtinfo.begntime
