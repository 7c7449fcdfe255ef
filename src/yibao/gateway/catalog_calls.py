"""The catalogue transactions: 1312, 1316–1319 (目录查询) and 3301 / 3302 (目录对照上传 / 撤销).

Each function takes a :class:`~yibao.gateway.calls.Call` and returns the ``output`` object; the
input has already passed the field rules. Queries answer for the caller's region (or the region
named in ``insu_admdvs``) and page as newtouch's output classes do (``pageNum``, ``pageSize``,
``recordCounts``, ``pages`` … ``data``). An institution reads and writes only its own mappings.

Values are written as the interface writes them: dates ``yyyy-MM-dd``, prices with six decimals,
ratios with four. ``calls.py`` registers :data:`CATALOG_CALLS` at its end; this module imports it
for types only, so either module may be imported first.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from yibao.catalog import queries
from yibao.catalog.model import CatalogEntry, MappingEntry
from yibao.catalog.queries import EntryFilter, MappingFilter, Page, Paging
from yibao.kernel.dates import parse_date
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ratio_places, to_decimal

if TYPE_CHECKING:
    from yibao.gateway.calls import Call, Handler

__all__ = ["CATALOG_CALLS"]

_OWN_CODE_LENGTH = 150


def catalog_info(call: Call) -> dict[str, Any]:
    """1312 医保目录信息查询: by ``hilist_code``, name fragment or pinyin initials, a page at a time."""
    node = call.node("data")
    flag = _text(node, "lmt_used_flag")
    wanted = EntryFilter(
        code=_text(node, "hilist_code"), name=_text(node, "hilist_name"),
        initials=_text(node, "pinyin"), list_type=_text(node, "list_type"),
        chrgitm_lv=_text(node, "chrgitm_lv"), med_chrgitm_type=_text(node, "med_chrgitm_type"),
        restricted=None if flag is None else flag == "1", day=_day(node, "query_date"),
    )  # fmt: skip
    region = _region(call, node)
    page = queries.search_entries(call.connection, region, wanted, _paging(node))
    today = call.now.date()
    return _paged(page, [_entry_row(entry, today) for entry in page.items])


def price_ceilings(call: Call) -> dict[str, Any]:
    """1318 医保目录限价信息查询: one row per hospital tier and version of the code."""
    node = call.node("data")
    versions = _versions(call, node)
    today = call.now.date()
    rows = [
        {**_dated(entry, today), "hilist_lmtpric_type": tier.value, "lmtpric_hosp_lv": tier.label,
         "hilist_pric_uplmt_amt": _price(ceiling)}
        for entry in versions
        for tier, ceiling in entry.price_ceilings.items()
    ]  # fmt: skip
    return _paged_list(rows, _paging(node))


def selfpay_shares(call: Call) -> dict[str, Any]:
    """1319 医保目录先自付比例信息查询: the code's self-pay share (先行自付比例), per version."""
    node = call.node("data")
    versions = _versions(call, node)
    today = call.now.date()
    rows = [
        {**_dated(entry, today), "selfpay_prop": _ratio(entry.selfpay_prop),
         "chrgitm_lv": entry.chrgitm_lv.value}
        for entry in versions
    ]  # fmt: skip
    return _paged_list(rows, _paging(node))


def list_matches(call: Call) -> dict[str, Any]:
    """1316 医疗目录与医保目录匹配信息查询: the caller's mappings by own or national code."""
    node = call.node("data")
    wanted = MappingFilter(
        own_code=_text(node, "medins_list_codg"), national_code=_text(node, "hilist_code"),
        list_type=_text(node, "list_type"), day=_day(node, "query_date"),
    )  # fmt: skip
    region, page, kinds = _mappings(call, node, wanted)
    today = call.now.date()
    rows = [
        {"med_list_codg": m.med_list_codg, "hilist_code": m.med_list_codg,
         "medins_list_codg": m.medins_list_codg, "fixmedins_code": m.fixmedins_code,
         "list_type": kinds.get(m.med_list_codg), "insu_admdvs": region,
         **_span(m.begndate, m.enddate, today)}
        for m in page.items
    ]  # fmt: skip
    return _paged(page, rows)


def institution_matches(call: Call) -> dict[str, Any]:
    """1317 医药机构目录匹配信息查询: the caller's mappings by own code or national code."""
    node = call.node("data")
    named = _text(node, "fixmedins_code")
    if named is not None and named != call.caller:
        raise InvalidValue("input.data.fixmedins_code", "an institution sees only its own mappings")
    if _text(node, "medins_list_name") is not None:
        raise InvalidValue(
            "input.data.medins_list_name",
            "the names of institutions' own codes are not stored; search by medins_list_codg",
        )
    wanted = MappingFilter(
        own_code=_text(node, "medins_list_codg"), national_code=_text(node, "med_list_codg"),
        list_type=_text(node, "list_type"), day=_day(node, "query_date"),
    )  # fmt: skip
    region, page, kinds = _mappings(call, node, wanted)
    today = call.now.date()
    rows = [
        {"fixmedins_code": m.fixmedins_code, "medins_list_codg": m.medins_list_codg,
         "medins_list_name": None, "med_list_codg": m.med_list_codg,
         "list_type": kinds.get(m.med_list_codg), "insu_admdvs": region,
         **_span(m.begndate, m.enddate, today)}
        for m in page.items
    ]  # fmt: skip
    return _paged(page, rows)


def upload_mapping(call: Call) -> dict[str, Any]:
    """3301 目录对照上传: map one of the caller's own codes to a code of its region's catalogue."""
    node = call.node("data")
    own = call.required("data", "fixmedins_hilist_id")
    if len(own) > _OWN_CODE_LENGTH:
        raise InvalidValue(
            "input.data.fixmedins_hilist_id", f"longer than {_OWN_CODE_LENGTH} characters"
        )
    # the interface names the national code med_list_codg; hilist_code is accepted as well
    alias = _text(node, "hilist_code") and not _text(node, "med_list_codg")
    national_field = "hilist_code" if alias else "med_list_codg"
    national = call.required("data", national_field)
    begndate = _day(node, "begndate") or call.now.date()
    enddate = _day(node, "enddate")
    if enddate is not None and enddate < begndate:
        raise InvalidValue("input.data.enddate", f"{enddate} is before begndate {begndate}")
    region = queries.region_of(call.connection, call.caller, lock=True)
    entry = _entry_in_force(call, region, national, begndate, f"input.data.{national_field}")
    list_type = _text(node, "list_type")
    if list_type is not None and list_type != entry.list_type.value:
        raise InvalidValue(
            "input.data.list_type",
            f"{national} is list type {entry.list_type.value} ({entry.list_type.label}) "
            f"in the catalogue, not {list_type}",
        )
    clash = queries.find_overlap(call.connection, call.caller, own, begndate, enddate)
    if clash is not None:
        raise InvalidValue(
            "input.data.begndate",
            f"{own} is already mapped to {clash.med_list_codg} from {_span_text(clash)}; "
            "the mappings of one code must not overlap",
        )
    mapping = MappingEntry(call.caller, own, national, begndate, enddate)
    queries.add_mapping(call.connection, mapping)
    return {"result": _mapping_row(mapping, entry.list_type.value)}


def revoke_mapping(call: Call) -> dict[str, Any]:
    """3302 目录对照撤销: delete the caller's mappings of one own code (optionally to one national code)."""
    node = call.node("data")
    own = call.required("data", "fixmedins_hilist_id")
    named = _text(node, "fixmedins_code")
    if named is not None and named != call.caller:
        raise InvalidValue(
            "input.data.fixmedins_code", "an institution can revoke only its own mappings"
        )
    region = queries.region_of(call.connection, call.caller, lock=True)
    wanted = MappingFilter(
        own_code=own, national_code=_text(node, "med_list_codg"), list_type=_text(node, "list_type")
    )
    removed = queries.remove_mappings(call.connection, call.caller, region, wanted)
    if not removed:
        raise NotFound(
            f"input.data.fixmedins_hilist_id: {own} has no mapping of {call.caller} to revoke"
        )
    kinds = queries.list_types(call.connection, region, (m.med_list_codg for m in removed))
    return {"result": [_mapping_row(m, kinds.get(m.med_list_codg)) for m in removed]}


def _versions(call: Call, node: dict[str, Any]) -> tuple[CatalogEntry, ...]:
    code = call.required("data", "hilist_code")
    region = _region(call, node)
    versions = queries.code_versions(call.connection, region, code)
    if not versions:
        raise NotFound(f"input.data.hilist_code: {code} is not in the catalogue of region {region}")
    day = _day(node, "query_date")
    return versions if day is None else tuple(e for e in versions if e.in_force(day))


def _entry_in_force(call: Call, region: str, code: str, day: date, field: str) -> CatalogEntry:
    versions = queries.code_versions(call.connection, region, code)
    if not versions:
        raise InvalidValue(field, f"{code} is not in the catalogue of region {region}")
    for entry in versions:
        if entry.in_force(day):
            return entry
    spans = ", ".join(_span_text(entry) for entry in versions)
    raise InvalidValue(field, f"{code} is not in force on {day} in region {region} ({spans})")


def _mappings(
    call: Call, node: dict[str, Any], wanted: MappingFilter
) -> tuple[str, Page[MappingEntry], dict[str, str]]:
    region = queries.region_of(call.connection, call.caller)
    page = queries.search_mappings(call.connection, call.caller, region, wanted, _paging(node))
    kinds = queries.list_types(call.connection, region, (m.med_list_codg for m in page.items))
    return region, page, kinds


def _region(call: Call, node: dict[str, Any]) -> str:
    return _text(node, "insu_admdvs") or queries.region_of(call.connection, call.caller)


def _paging(node: dict[str, Any]) -> Paging:
    number = _whole(node, "page_num", 1)
    size = _whole(node, "page_size", queries.DEFAULT_PAGE_SIZE)
    if number < 1:
        raise InvalidValue("input.data.page_num", f"{number} is not a page number (from 1)")
    if not 1 <= size <= queries.MAX_PAGE_SIZE:
        raise InvalidValue(
            "input.data.page_size", f"{size} is not between 1 and {queries.MAX_PAGE_SIZE}"
        )
    return Paging(number, size)


def _whole(node: dict[str, Any], field: str, default: int) -> int:
    value = node.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number = to_decimal(value, field=f"input.data.{field}", kind="count")
    if number != number.to_integral_value():
        raise InvalidValue(f"input.data.{field}", f"{value} is not a whole number")
    return int(number)


def _paged(page: Page[Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """newtouch's page envelope around ``data``."""
    paging = page.paging
    pages = -(-page.total // paging.size)
    start = paging.offset + 1 if rows else 0
    return {
        "firstPage": paging.number == 1, "lastPage": paging.number >= pages,
        "size": len(rows), "startRow": start, "endRow": start + len(rows) - 1 if rows else 0,
        "pageSize": paging.size, "pageNum": paging.number, "recordCounts": page.total,
        "pages": pages, "data": rows,
    }  # fmt: skip


def _paged_list(rows: list[dict[str, Any]], paging: Paging) -> dict[str, Any]:
    chosen = rows[paging.offset : paging.offset + paging.size]
    return _paged(Page(tuple(chosen), len(rows), paging), chosen)


def _entry_row(entry: CatalogEntry, today: date) -> dict[str, Any]:
    return {
        **_dated(entry, today), "hilist_name": entry.name,
        "list_type": entry.list_type.value, "chrgitm_lv": entry.chrgitm_lv.value,
        "med_chrgitm_type": entry.med_chrgitm_type, "selfpay_prop": _ratio(entry.selfpay_prop),
        "lmt_used_flag": "1" if entry.restricted else "0", "lmt_used_scope": entry.restriction,
        "pinyin": queries.name_initials(entry.name),
    }  # fmt: skip


def _dated(entry: CatalogEntry, today: date) -> dict[str, Any]:
    return {"hilist_code": entry.code, "insu_admdvs": entry.admdvs, "poolarea_no": entry.admdvs,
            **_span(entry.begndate, entry.enddate, today)}  # fmt: skip


def _span(begndate: date, enddate: date | None, today: date) -> dict[str, Any]:
    in_force = begndate <= today and (enddate is None or today <= enddate)
    return {"begndate": begndate.isoformat(),
            "enddate": None if enddate is None else enddate.isoformat(),
            "vali_flag": "1" if in_force else "0"}  # fmt: skip


def _span_text(record: CatalogEntry | MappingEntry) -> str:
    end = "(open)" if record.enddate is None else record.enddate.isoformat()
    return f"{record.begndate.isoformat()}–{end}"


def _mapping_row(mapping: MappingEntry, list_type: str | None) -> dict[str, Any]:
    return {"fixmedins_code": mapping.fixmedins_code, "fixmedins_hilist_id": mapping.medins_list_codg,
            "med_list_codg": mapping.med_list_codg, "list_type": list_type,
            "begndate": mapping.begndate.isoformat(),
            "enddate": None if mapping.enddate is None else mapping.enddate.isoformat()}  # fmt: skip


def _text(node: dict[str, Any], field: str) -> str | None:
    value = node.get(field)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _day(node: dict[str, Any], field: str) -> date | None:
    value = _text(node, field)
    return None if value is None else parse_date(value, field=f"input.data.{field}")


def _price(value: Decimal) -> str:
    """Six decimals (N16,6): the store keeps prices to the millionth, so this only pads."""
    return f"{value:.6f}"


def _ratio(value: Decimal) -> str:
    return format(ratio_places(value), "f")


CATALOG_CALLS: dict[str, Handler] = {
    "1312": catalog_info,
    "1316": list_matches,
    "1317": institution_matches,
    "1318": price_ceilings,
    "1319": selfpay_shares,
    "3301": upload_mapping,
    "3302": revoke_mapping,
}
