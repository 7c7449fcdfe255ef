"""Settlement lists through the gateway: 4101 upload, 4102 state change, 4103 query (issue G).

4101 answers ``setl_list_id`` (newtouch ``Output_4101``) and, project-defined, ``drginfo``: the
group the case was given (status, MDC, ADRG, DRG, the trace). 4102 takes ``data.stastinfo[]``
and changes each list in one transaction (all or none). 4103 answers the nodes as uploaded plus
``drginfo``. Each calls one use case of :mod:`yibao.casepay.lists`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yibao.casepay.lists import NODES, change_state, get_list, upload_list
from yibao.gateway.calls import Call, Handler
from yibao.kernel.dates import format_datetime
from yibao.kernel.errors import InvalidValue

__all__ = ["CASEPAY_CALLS", "CASEPAY_READ_ONLY"]


def upload(call: Call) -> dict[str, Any]:
    """4101 医疗保障基金结算清单上传."""
    nodes = {name: call.envelope.input[name] for name in NODES if name in call.envelope.input}
    stored = upload_list(call.connection, caller=call.caller, nodes=nodes, now=call.now)
    g = stored.grouping
    return {
        "setl_list_id": stored.setl_list_id,
        "drginfo": {"status": g.status.value, "mdc": g.mdc or "", "adrg": g.adrg, "drg": g.drg,
                    "trace": list(g.trace), "uploads": stored.uploads},
    }  # fmt: skip


def change(call: Call) -> dict[str, Any]:
    """4102 医疗保障基金结算清单状态修改: each ``stastinfo`` entry, all or none."""
    entries = call.node("data").get("stastinfo")
    items = [entries] if isinstance(entries, Mapping) else entries
    if not isinstance(items, list) or not items:
        raise InvalidValue("input.data.stastinfo", "missing: at least one list to change")
    for n, item in enumerate(items):
        if not isinstance(item, Mapping) or not item.get("setl_id") or not item.get("stas_type"):
            raise InvalidValue(f"input.data.stastinfo[{n}]", "needs setl_id and stas_type")
        change_state(call.connection, caller=call.caller, setl_id=str(item["setl_id"]),
                     psn_no=str(item.get("psn_no") or "") or None, stas_type=str(item["stas_type"]),
                     now=call.now)  # fmt: skip
    return {}


def query(call: Call) -> dict[str, Any]:
    """4103 医疗保障基金结算清单信息查询."""
    row = get_list(call.connection, caller=call.caller, setl_id=call.required("data", "setl_id"))
    content: dict[str, Any] = dict(row["content"])
    content["setlinfo"] = {**content.get("setlinfo", {}), "setl_list_id": row["setl_list_id"],
                           "psn_no": row["psn_no"], "stas_type": row["state"]}  # fmt: skip
    return {
        **content,
        "drginfo": {"status": row["group_status"], "mdc": row["mdc"] or "", "adrg": row["adrg"],
                    "drg": row["drg"], "trace": row["trace"], "grouper": row["grouper"],
                    "grouped_at": format_datetime(row["grouped_at"]), "uploads": row["uploads"]},
    }  # fmt: skip


CASEPAY_CALLS: dict[str, Handler] = {"4101": upload, "4102": change, "4103": query}
CASEPAY_READ_ONLY = frozenset({"4103"})
