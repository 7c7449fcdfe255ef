"""Generate ``src/yibao/gateway/field_rules.json``: the input-field rules the gateway checks.

For every transaction the gateway serves, and every node of its ``input`` (``data``, ``feedetail``,
``mdtrtinfo``, ``diseinfo`` …), the rules give each field's type (``C``/``N``/``D``/``DT``), its
maximum length (``C``), its precision (``N``, e.g. ``[16, 2]``), whether it is required, and the
code table (a key of ``yibao.kernel.codes.CODE_TABLES``) when the field is coded.

Where the rules come from, in order (each field records its own ``source``):

1. ``data/interface/interface_fields_newtouch.csv``. The parsed columns of that file are heuristic,
   so this script re-reads ``raw_spec_comment``: either a pipe table
   (``序号|名称|类型|长度|代码|必填|说明``) or the spaced form (``名称 字符型 30 Y Y``). A field is
   required only when the source is certain: the 必填 column of a pipe table says ``Y``, or a
   spaced comment carries two flags (``Y Y`` = 代码 and 必填). A single ``Y`` in a spaced comment
   could mean either, so it does not make the field required. Some rows hold the whole table of a
   node in one comment (1901, 2001, 5202, 5206); their siblings are read from it.
2. ``interface.md`` §1.5: the fields it marks ``*`` are required (``STARRED`` below).
3. A field with no type of its own takes the type of the same field name elsewhere in the CSV
   (``inferred``); with none there, it is a string of unknown length (``guess``).
4. 5204 is in neither the CSV nor the appendix of ``interface.md``; its three input fields come
   from binzhe12123/Medical, which ``interface.md`` §1.7 lists as a source (``EXTRA``).
5. Fields the project adds to a transaction whose sources lack something yibao needs
   (``PROJECT``), documented in ``docs/gateway-protocol.md`` §8 and marked ``project`` in their
   ``source``. They are optional, so a client that follows the sources is never refused for
   leaving them out, and never replace a field of the sources.

The output is deterministic, so ``--check`` tells whether the JSON is up to date.

Usage::

    python tools/build_field_rules.py          # (re)write src/yibao/gateway/field_rules.json
    python tools/build_field_rules.py --check  # exit 1 if the JSON is out of date
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from yibao.kernel.codes import CODE_TABLES

ROOT = Path(__file__).resolve().parent.parent
FIELDS_CSV = ROOT / "data" / "interface" / "interface_fields_newtouch.csv"
NAMES_CSV = ROOT / "data" / "interface" / "transactions.csv"
OUTPUT = ROOT / "src" / "yibao" / "gateway" / "field_rules.json"

CSV_ORIGIN = (
    "newtouch-cloud/openhis:WinServiceAPI/YiBaoInterface/Models/Input/*.cs"
    "@68c8c6235b027eac2c493701c6edfcea9a1e6405 via data/interface/interface_fields_newtouch.csv"
)
BINZHE = (
    "binzhe12123/Medical:SY.Com.Medical.Model/SYB/XXCX/FY5204.cs"
    "@b351f2b600934983157a93b139f4311093c4db36"
)

# fmt: off
SERVED = (
    "9001", "9002", "1101", "1201", "1901", "1312", "1316", "1317", "1318", "1319", "2001",
    "2201", "2202", "2203", "2204", "2205", "2206", "2207", "2208",
    "2301", "2302", "2303", "2304", "2305", "2401", "2402", "2403", "2404", "2405",
    "2501", "2502", "2503", "2504", "2505", "2506",
    "2601", "3101", "3102", "3301", "3302", "5201", "5202", "5203", "5204", "5206", "5301", "5302",
    "3201", "3202", "3203", "3204", "9101", "9102", "4101", "4102", "4103",
)
# fmt: on

# The CSV names 2203 after newtouch's class Input_2203A.
CSV_INFNO = {"2203": "2203A"}

# Node classes that no Input_NNNN class names: (node name, is a list, why).
NODE_OVERRIDES = {
    ("2204", "feedetail2204"): ("feedetail", True, "interface.md §1.5 (`feedetail[]`)"),
    ("9002", "Input_9002"): ("data", False, "guess: the CSV has no node class for 9002"),
}

# List nodes a transaction does not always have (a stay without ICU, surgery, blood or 门诊慢特病):
# their entries are checked when sent, but the node may be absent or empty (ADR 0022).
OPTIONAL_NODES = {"4101": {"opspdiseinfo", "oprninfo", "icuinfo", "bldinfo"}}

# Nested objects: a field of this name may hold a JSON object (or a list of them) checked against
# the node of that name (4102 nests its `stastinfo[]` inside `data`).
NESTED = {"exp_content", "stastinfo"}

# interface.md §1.5: fields marked `*` (2303/2304 are "the same" as 2206/2207 without med_type and
# chrg_bchno; 2402's diseinfo is "as in 2401").
_SETTLE = "psn_no mdtrt_cert_type mdtrt_cert_no medfee_sumamt psn_setlway mdtrt_id insutype acct_used_flag"
_DISEINFO = "diag_type maindiag_flag diag_srt_no diag_code diag_name diag_dept dise_dor_no dise_dor_name diag_time"
STARRED: dict[str, dict[str, str]] = {
    "2204": {
        "feedetail": "feedetl_sn mdtrt_id psn_no chrg_bchno fee_ocur_time med_list_codg "
        "medins_list_codg det_item_fee_sumamt cnt pric bilg_dept_codg bilg_dept_name "
        "bilg_dr_codg bilg_dr_name"
    },
    "2206": {"data": f"{_SETTLE} med_type chrg_bchno"},
    "2207": {"data": f"{_SETTLE} med_type chrg_bchno"},
    "2303": {"data": _SETTLE},
    "2304": {"data": _SETTLE},
    "2301": {"feedetail": "med_type"},
    "2401": {
        "mdtrtinfo": "psn_no insutype begntime mdtrt_cert_type mdtrt_cert_no med_type ipt_no "
        "atddr_no chfpdr_name adm_diag_dscr adm_dept_codg adm_dept_name adm_bed "
        "dscg_maindiag_code dscg_maindiag_name",
        "diseinfo": _DISEINFO,
    },
    "2402": {
        "dscginfo": "mdtrt_id psn_no insutype endtime dscg_dept_codg dscg_dept_name dscg_way",
        "diseinfo": _DISEINFO,
    },
}

# Transactions in neither the CSV nor interface.md's appendix: (node, field, type, length, required).
EXTRA: dict[str, tuple[str, list[tuple[str, str, str, bool]]]] = {
    "5204": (
        BINZHE,
        [("psn_no", "C", "30", True), ("setl_id", "C", "30", False), ("mdtrt_id", "C", "30", True)],
    ),
}

# Project-defined fields (docs/gateway-protocol.md §8): (node, field, type, length), all optional.
PROJECT_SOURCE = "project: docs/gateway-protocol.md §8"
PROJECT: dict[str, list[tuple[str, str, str, str | None]]] = {
    # the institution the person must use for this disease (absent: any designated one)
    "2503": [("data", "fixmedins_code", "C", "12")],
    # the insurance type the designation is for (absent: the person's only one)
    "2505": [("data", "insutype", "C", "6")],
    # only the filings valid on this day (as 1101's begntime; absent: every unrevoked filing)
    "5301": [("data", "begntime", "DT", None)],
    "5302": [("data", "begntime", "DT", None)],
}

TYPE_WORDS = {"字符型": "C", "数值型": "N", "日期型": "D", "日期时间型": "DT", "日期时间": "DT"}
_SPACED = re.compile(
    r"(字符型|数值型|日期时间型|日期型|日期时间)\s*(\d+(?:\s*[,，]\s*\d+)?)?\s*(Y\s+Y|Y)?(?![A-Za-z])"
)
_SEGMENT = re.compile(r"(?:^|\s)\d{1,2}\s+([a-z][A-Za-z_]*)\s")
_LIST = re.compile(r"^List<(\w+)>$")


@dataclass(frozen=True)
class Spec:
    """What one source comment says about a field; ``None`` means it does not say."""

    type: str | None
    length: str | None = None
    coded: bool | None = None
    required: bool = False


def _flag(cell: str) -> bool | None:
    cell = cell.strip()
    return {"Y": True, "": False, "N": False}.get(cell)


def parse_pipe(raw: str) -> Spec | None:
    """A pipe table row ``序号|名称|类型|长度|代码|必填|说明``; the type cell anchors the rest."""
    cells = [cell.strip() for cell in raw.split("|")]
    for index, cell in enumerate(cells):
        if cell in TYPE_WORDS:
            rest = [*cells[index + 1 :], "", "", ""]
            if rest[0] == cell:  # 3203 repeats the type column (字段|名称|类型|类型|长度|…)
                rest = rest[1:]
            coded, required = _flag(rest[1]), _flag(rest[2])
            if coded is None or required is None:  # the columns after the length are a note
                coded, required = None, False
            length = rest[0].replace(" ", "") or None
            return Spec(TYPE_WORDS[cell], length, coded, bool(required))
    return None


def parse_spaced(text: str) -> Spec | None:
    """The spaced form ``名称 字符型 30 Y Y``: two flags are 代码 and 必填, one flag is ambiguous."""
    match = _SPACED.search(text)
    if not match:
        return None
    kind, length, flags = match.groups()
    length = re.sub(r"\s|，", lambda m: "," if m.group() == "，" else "", length or "") or None
    both = bool(flags) and len(flags.split()) == 2
    return Spec(TYPE_WORDS[kind], length, True if both else None, both)


def parse_embedded(raw: str) -> dict[str, Spec]:
    """A whole node table in one comment (``1 type 字典类型 字符型 30 Y 2 parentValue …``)."""
    starts = list(_SEGMENT.finditer(raw))
    found: dict[str, Spec] = {}
    for number, match in enumerate(starts):
        end = starts[number + 1].start() if number + 1 < len(starts) else len(raw)
        spec = parse_spaced(raw[match.end() : end])
        if spec:
            found[_norm(match.group(1))] = spec
    return found


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def own_spec(row: dict[str, str]) -> Spec | None:
    raw = row["raw_spec_comment"]
    if "|" in raw:
        return parse_pipe(raw)
    return parse_spaced(raw)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def type_index(rows: list[dict[str, str]]) -> dict[str, tuple[Spec, str]]:
    """Field name -> the commonest typed spec of that name anywhere in the CSV, and where it is."""
    seen: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    where: dict[tuple[str, str, str], str] = {}
    for row in rows:
        spec = own_spec(row)
        if spec and spec.type and (spec.type != "C" or spec.length):
            key = (spec.type, spec.length or "")
            seen[row["field"]][key] += 1
            where.setdefault((row["field"], *key), f"{row['infno']} {row['node_class']}")
    best = {}
    for name, counts in seen.items():
        (kind, length), _ = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0]
        best[name] = (Spec(kind, length or None), where[(name, kind, length)])
    return best


def _rule(spec: Spec, source: str, name: str) -> dict[str, object]:
    rule: dict[str, object] = {"type": spec.type or "C"}
    if spec.type == "C" and spec.length:
        rule["max_length"] = int(spec.length.split(",")[0])
    if spec.type == "N":
        parts = [int(p) for p in (spec.length or "16,2").split(",")]
        rule["precision"] = [parts[0], parts[1] if len(parts) > 1 else 0]
    if name in CODE_TABLES and spec.coded is not False:
        rule["code_table"] = name
    if name in NESTED:
        rule["nested"] = name
    rule["required"] = spec.required
    rule["source"] = source
    return rule


def field_rule(
    row: dict[str, str], embedded: dict[str, Spec], index: dict[str, tuple[Spec, str]]
) -> dict[str, object]:
    name = row["field"]
    where = f"csv {row['infno']} {row['node_class']}"
    spec = own_spec(row)
    if spec is None and _norm(name) in embedded:
        spec = embedded[_norm(name)]
        where += " (table in a sibling's comment)"
    if spec is not None and (spec.type != "C" or spec.length):
        return _rule(spec, where, name)
    borrowed = index.get(name)
    if borrowed is None and spec is None:
        return _rule(Spec(None), f"guess: no type for {name} in the CSV", name)
    if borrowed is None:
        assert spec is not None
        return _rule(spec, where + "; length unknown", name)
    base = Spec(
        borrowed[0].type,
        borrowed[0].length,
        spec.coded if spec else None,
        spec.required if spec else False,
    )
    return _rule(base, f"inferred from {name} in csv {borrowed[1]}", name)


def node_layout(infno: str, rows: list[dict[str, str]]) -> dict[str, tuple[str, bool, str]]:
    """Node class -> (node name in ``input``, is a list, where that came from)."""
    layout = {}
    for row in rows:
        if row["node_class"] == f"Input_{infno}" and row["csharp_type"] != "string":
            match = _LIST.match(row["csharp_type"])
            cls = match.group(1) if match else row["csharp_type"]
            layout[cls] = (row["field"], bool(match), f"csv Input_{infno}.{row['field']}")
    for (owner, cls), value in NODE_OVERRIDES.items():
        if owner == infno:
            layout[cls] = value
    return layout


def build_transaction(
    infno: str, all_rows: list[dict[str, str]], index: dict[str, tuple[Spec, str]]
) -> dict[str, object]:
    csv_infno = CSV_INFNO.get(infno, infno)
    rows = [r for r in all_rows if r["infno"] == csv_infno and r["direction"] == "input"]
    if not rows:
        raise SystemExit(f"transaction {infno} is not in {FIELDS_CSV.name} and has no EXTRA entry")
    layout = node_layout(csv_infno, rows)
    nodes: dict[str, dict[str, object]] = {}
    nested: dict[str, dict[str, object]] = {}
    for cls in dict.fromkeys(r["node_class"] for r in rows):
        members = [r for r in rows if r["node_class"] == cls]
        if cls in NESTED:
            target, name, is_list, why = nested, cls, False, "csv nested class"
        elif cls in layout:
            name, is_list, why = layout[cls]
            target = nodes
        else:
            continue
        embedded: dict[str, Spec] = {}
        for member in members:
            embedded.update(parse_embedded(member["raw_spec_comment"]))
        fields = {m["field"]: field_rule(m, embedded, index) for m in members}
        if not fields:
            continue
        target[name] = {"list": is_list, "source": why, "fields": fields}
        if name in OPTIONAL_NODES.get(infno, ()):
            target[name]["optional"] = True
    _apply_stars(infno, nodes)
    _apply_project(infno, nodes)
    result: dict[str, object] = {"source": f"csv infno {csv_infno}", "nodes": nodes}
    if nested:
        result["nested"] = nested
    return result


def _apply_stars(infno: str, nodes: dict[str, dict[str, object]]) -> None:
    for node, names in STARRED.get(infno, {}).items():
        fields = nodes[node]["fields"]
        assert isinstance(fields, dict)
        for name in names.split():
            rule = fields[name]
            if not rule["required"]:
                rule["required"] = True
                rule["required_by"] = "interface.md §1.5"


#: fields holding arrays of objects the transaction validates itself (gateway/audit_payload.py):
#: the sources give them no type, and the generic check would take them for strings
STRUCTURED = {infno: ("patient_dtos", "rule_ids") for infno in ("3101", "3102")}


def _apply_project(infno: str, nodes: dict[str, dict[str, object]]) -> None:
    for name in STRUCTURED.get(infno, ()):
        fields = nodes["data"]["fields"]
        assert isinstance(fields, dict)
        fields.pop(name, None)
    for node, name, kind, length in PROJECT.get(infno, []):
        fields = nodes[node]["fields"]
        assert isinstance(fields, dict)
        if name in fields:
            raise SystemExit(f"{infno} {node}.{name}: a project field may not replace the source's")
        fields[name] = _rule(Spec(kind, length, None, False), PROJECT_SOURCE, name)


def build_extra(infno: str) -> dict[str, object]:
    source, specs = EXTRA[infno]
    fields = {
        name: _rule(Spec(kind, length, None, required), source, name)
        for name, kind, length, required in specs
    }
    data = {"list": False, "source": source, "fields": fields}
    return {"source": source, "nodes": {"data": data}}


def build() -> dict[str, object]:
    rows = read_csv(FIELDS_CSV)
    names = {r["infno"]: r["names_seen"] for r in read_csv(NAMES_CSV)}
    index = type_index(rows)
    transactions = {}
    for infno in SERVED:
        built = build_extra(infno) if infno in EXTRA else build_transaction(infno, rows, index)
        transactions[infno] = {"name": names.get(infno, ""), **built}
    return {
        "generated_by": "tools/build_field_rules.py",
        "origin": CSV_ORIGIN,
        "legend": {
            "type": "C string, N number, D date yyyy-MM-dd, DT time yyyy-MM-dd HH:mm:ss",
            "precision": "[total digits, decimals]",
            "source": "csv = parsed from raw_spec_comment; inferred = type of the same field "
            "name elsewhere in the CSV; guess = no type found; required_by = interface.md §1.5; "
            "project = project-defined, docs/gateway-protocol.md §8",
        },
        "transactions": transactions,
    }


def render(rules: dict[str, object]) -> str:
    return json.dumps(rules, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON is out of date")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(
                f"{OUTPUT.relative_to(ROOT)} is out of date: run python tools/build_field_rules.py"
            )
            return 1
        print(f"{OUTPUT.relative_to(ROOT)} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
