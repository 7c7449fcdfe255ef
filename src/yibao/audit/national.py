"""Import the national rule batches (两库) into a rule base: one rule per batch, one table row per code.

Reads the CSV sheets of ``data/two_libraries/csv`` (sheet1: the rules; sheet2, for drug batches:
the national drug codes each rule covers, joined to sheet1 by 药品通用名), turns each row's free
text into typed cells (``national_batches``), and writes ``national.toml`` + ``tables/*.csv`` +
``README.md`` into the output directory. A row that cannot be read is refused and listed in the
:class:`~yibao.audit.national_report.ImportReport`, never skipped silently. The output is checked
by loading it with ``load_rule_base`` before it replaces the directory, so a half-written or
invalid rule base is never left behind.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from yibao.audit.columns import Kind, check_cell
from yibao.audit.families import family
from yibao.audit.formats import freeze, load_rule_base
from yibao.audit.model import Action, Evidence, Grade, KnowledgeTable, Moment, Rule
from yibao.audit.national_batches import (
    AGE_BANDS,
    BATCHES,
    MEDICAL_TYPE_CLASSES,
    SCHEMES,
    WORKING_AGE,
    Batch,
    Refused,
)
from yibao.audit.national_report import BatchReport, ImportReport, RowIssue, render_readme
from yibao.audit.writer import rule_set_toml, write_table
from yibao.kernel.errors import Problem, RejectedFile

__all__ = ["DEFAULT_BEGIN", "RULE_FILE", "import_national"]

#: the source gives no effective dates; the rules begin here unless the import is told otherwise
DEFAULT_BEGIN = date(2024, 1, 1)
RULE_FILE = "national.toml"
VERSION = "mm-573b603"
_DOCUMENT = ("国家医保智能审核和监控“两库”规则（按 jdzwq/MediModel 数据字典/两库整理 @573b603 整理，"
             "未与国家医保局原文核对）")  # fmt: skip
_ALL_MOMENTS = frozenset(Moment)
# (grade, action, vola_cont) by rule: the national lists say what is not payable, so a finding
# is a violation moved to self-pay, except where the data cannot prove it (see the docs)
_V, _S = (Grade.VIOLATION, Action.SELF_PAY), (Grade.SUSPICIOUS, Action.HOLD)
_TEMPLATES: dict[str, tuple[tuple[Grade, Action], str]] = {
    "sex": (_V, "{name}（{code}）限{gend_label}性使用，参保人性别为{person_gend}"),
    "age": (_V, "{name}（{code}）限{band_label}使用，参保人年龄{age}不符"),
    "inst_level": (_V, "{name}（{code}）限{min_tier_label}及以上医疗机构使用，"
                       "本机构为{hosp_lv_name}"),
    "med_type": (_V, "{name}（{code}）限{allowed_label}患者使用，本次就诊为{med_type_name}"),
    "insutype": (_V, "{name}（{code}）为{scheme_label}目录用药，{insutype_name}不予支付"),
    "pay_course": (_V, "{name}（{code}）支付不超过{max_days}天，本次就诊已计{days}天"),
    "frequency": (_V, "{name}（{code}）每日限{max_quantity}（按{unit_label}计），"
                      "{fee_date}计{day_quantity}"),
    "cycle": (_V, "{name}（{code}）{cycle_days}天内限{max_count}次，{fee_date}前"
                  "{cycle_days}天内已计{count}次（上次{previous_date}）"),
    "course": (_V, "{name}（{code}）超出限定疗程：本疗程自{course_start}起{days}天，"
                   "距上次{interval_days}天"),
    "duplicate_pair": (_V, "{sub_name}（{sub_code}）与{main_name}（{main_code}）"
                           "{window_label}内重复收费：{note}"),
    "main_secondary_operation": (_S, "{name}（{code}）与主手术{main_name}同属{group}，次要手术"
                                     "未按规定折价计收（计{billed_price}元，应不超过{allowed_price}元）"),
    "nutrition_screening": ((Grade.SUSPICIOUS, Action.WARN), "{name}（{code}）需经营养风险筛查"
                            "明确具有营养风险方予支付，本次就诊无筛查记录"),
    "NAT8-2-ITEM-WORKING-AGE": ((Grade.SUSPICIOUS, Action.WARN),
                                "{name}（{code}）限法定就业年龄内的参保人，参保人年龄{age}"),
}  # fmt: skip
_NUTRITION = "营养风险筛查"


@dataclass(slots=True)
class _Converted:
    """One batch read: its table rows (cells by column) and everything the report says."""

    batch: Batch
    sources: list[str]
    sheet1_rows: int = 0
    sheet2_rows: int | None = None
    rows: list[dict[str, str]] = field(default_factory=list)
    by_key: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)
    descriptions: list[str] = field(default_factory=list)  # sheet1 药品说明 of each row
    refused: list[RowIssue] = field(default_factory=list)
    notes: list[RowIssue] = field(default_factory=list)
    rules_without_codes: list[RowIssue] = field(default_factory=list)
    codes_without_rule: list[RowIssue] = field(default_factory=list)


def import_national(src_dir: Path, out_dir: Path, *, begin: date = DEFAULT_BEGIN) -> ImportReport:
    """Import every batch of ``src_dir`` into ``out_dir`` (replaced whole) and report."""
    problems: list[Problem] = []
    converted = [_convert(batch, src_dir, problems) for batch in BATCHES]
    if problems:
        raise RejectedFile(problems)
    reports, rules = [], []
    for item in converted:
        made = _rules(item, begin)
        rules.extend(made)
        reports.append(_report(item, made))
    files = _write(out_dir, rules, reports)
    return ImportReport(out_dir.as_posix(), tuple(reports), files)


def _read(path: Path, header: tuple[str, ...], problems: list[Problem]) -> list[dict[str, str]]:
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, strict=True))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(name, f"cannot read the source file: {exc}"))
        return []
    if not rows or tuple(rows[0]) != header:
        got = ",".join(rows[0]) if rows else "(empty file)"
        problems.append(Problem(name, f"header {got} is not {','.join(header)}", row=1))
        return []
    # a short row (a blank line written with fewer commas) reads as empty cells
    return [dict(zip(header, [*row, *[""] * len(header)], strict=False)) for row in rows[1:]]


def _convert(batch: Batch, src_dir: Path, problems: list[Problem]) -> _Converted:
    sheet1 = src_dir / f"{batch.stem}.sheet1.csv"
    out = _Converted(batch, [sheet1.name])
    rows1 = _read(sheet1, batch.columns, problems)
    out.sheet1_rows = len(rows1)
    if batch.has_sheet2:
        sheet2 = src_dir / f"{batch.stem}.sheet2.csv"
        out.sources.append(sheet2.name)
        header2 = ("药品通用名", "序号", batch.sheet2_code, "限定类型")
        rows2 = _read(sheet2, header2, problems)
        out.sheet2_rows = len(rows2)
        _join_drugs(out, rows1, rows2)
    else:
        _items(out, rows1)
    return out


def _parse(batch: Batch, row: dict[str, str]) -> tuple[dict[str, str], str | None]:
    if batch.kind and row["限定类型"] != batch.kind:
        raise Refused(f"限定类型 {row['限定类型']!r} is not {batch.kind}")
    parsed = batch.parse(row)
    return parsed.cells, parsed.note


def _code(text: str, column: str) -> str:
    code = text.strip()
    reason = check_cell(Kind.CODE, code)
    if reason:
        raise Refused(f"{column}: {reason}")
    return code


def _items(out: _Converted, rows: list[dict[str, str]]) -> None:
    batch, file = out.batch, out.sources[0]
    for number, row in enumerate(rows, start=2):
        try:
            cells, note = _parse(batch, row)
            ident = {"code": _code(row[batch.code], batch.code), "name": row[batch.item_name]}
            if batch.family == "duplicate_pair":
                sub = batch.extra
                ident = {"main_code": ident["code"], "main_name": ident["name"],
                         "sub_code": _code(row[sub["sub_code"]], sub["sub_code"]),
                         "sub_name": row[sub["sub_name"]]}  # fmt: skip
        except Refused as exc:
            out.refused.append(RowIssue(file, number, str(exc)))
            continue
        cells = {**ident, **cells, "source": f"sheet1:{number}"}
        _add(out, cells, description="", note=note, file=file, row=number)


_Sheet1 = dict[str, tuple[int, dict[str, str], str | None, str]]


def _sheet1_rules(out: _Converted, rows1: list[dict[str, str]]) -> tuple[_Sheet1, dict[str, int]]:
    """The drug rules by 药品通用名 (row, cells, note, 药品说明), and the names refused."""
    rules: _Sheet1 = {}
    refused: dict[str, int] = {}
    for number, row in enumerate(rows1, start=2):
        name = row["药品通用名"]
        try:
            first = rules[name][0] if name in rules else refused.get(name)
            if first is not None:
                raise Refused(f"药品通用名 {name} is also on row {first}")
            cells, note = _parse(out.batch, row)
        except Refused as exc:
            out.refused.append(RowIssue(out.sources[0], number, str(exc)))
            refused.setdefault(name, number)
            continue
        rules[name] = (number, cells, note, row["药品说明"])
    return rules, refused


def _join_drugs(out: _Converted, rows1: list[dict[str, str]], rows2: list[dict[str, str]]) -> None:
    batch, (file1, file2) = out.batch, out.sources
    rules, refused = _sheet1_rules(out, rows1)
    joined: set[str] = set()
    for number, row in enumerate(rows2, start=2):
        name = row["药品通用名"]
        try:
            if row["限定类型"] != batch.kind:
                raise Refused(f"限定类型 {row['限定类型']!r} is not {batch.kind}")
            code = _code(row[batch.sheet2_code], batch.sheet2_code)
            if name in refused:
                raise Refused(f"its rule ({file1} row {refused[name]}) was refused")
        except Refused as exc:
            out.refused.append(RowIssue(file2, number, str(exc)))
            continue
        if name not in rules:
            issue = RowIssue(file2, number, f"{name} {code}: no rule in sheet1")
            out.codes_without_rule.append(issue)
            continue
        joined.add(name)
        row1, cells, note, description = rules[name]
        cells = {"code": code, "name": name, **cells, "source": f"sheet1:{row1} sheet2:{number}"}
        _add(out, cells, description=description, note=note, file=file1, row=row1)
    for name, (row1, *_) in rules.items():
        if name not in joined:
            out.rules_without_codes.append(RowIssue(file1, row1, f"{name}: no code in sheet2"))


def _add(
    out: _Converted,
    cells: dict[str, str],
    *,
    description: str,
    note: str | None,
    file: str,
    row: int,
) -> None:
    """Add a table row unless its key is taken: the same restriction merges, another is refused."""
    key = tuple(cells[c] for c in family(out.batch.family).key)
    earlier = out.by_key.get(key)
    if earlier is not None:
        same = {k: v for k, v in earlier.items() if k not in ("name", "source")} == {
            k: v for k, v in cells.items() if k not in ("name", "source")
        }
        what = (
            f"{'+'.join(key)} is already in the table from {earlier['source']} ({earlier['name']})"
        )
        issue = RowIssue(file, row, f"{what}; {cells['source']} ({cells['name']}) "
                         + ("has the same restriction: merged" if same else "differs: refused"))  # fmt: skip
        (out.notes if same else out.refused).append(issue)
        return
    out.by_key[key] = cells
    out.rows.append(cells)
    out.descriptions.append(description)
    if note and not any(n.file == file and n.row == row for n in out.notes):
        out.notes.append(RowIssue(file, row, note))


def _params(item: _Converted) -> dict[str, object]:
    fam = item.batch.family
    used = {row.get("band") or row.get("scheme") or row.get("allowed", "") for row in item.rows}
    if item.batch.rule_id == "NAT8-2-ITEM-WORKING-AGE":
        return {"bands": {"法定就业年龄": WORKING_AGE}}
    if fam == "age":
        return {"bands": {band: AGE_BANDS[band] for band in sorted(used)}}
    if fam == "insutype":
        return {"schemes": {scheme: SCHEMES[scheme] for scheme in sorted(used)}}
    if fam == "med_type":
        classes = sorted({c for allowed in used for c in allowed.split("|")})
        return {"classes": {c: MEDICAL_TYPE_CLASSES[c] for c in classes}}
    return {}


def _rule(
    item: _Converted, rule_id: str, fam_name: str, rows: list[dict[str, str]], begin: date
) -> Rule:
    batch, fam = item.batch, family(fam_name)
    (grade, action), template = _TEMPLATES.get(rule_id, _TEMPLATES[fam_name])
    raw = _params(item) if fam_name == batch.family else {}
    params = fam.params.model_validate(raw).model_dump(by_alias=True)
    name = rule_id.lower().replace("-", "_")
    table = KnowledgeTable(name, fam.column_names,
                           tuple(tuple(row[c] for c in fam.column_names) for row in rows),
                           f"tables/{name}.csv")  # fmt: skip
    last2 = f"；{item.sources[1]} 行 2–{(item.sheet2_rows or 0) + 1}" if item.sheet2_rows else ""
    evidence = Evidence(_DOCUMENT, f"{batch.batch} {batch.library}规则库（{batch.restriction}）",
                        f"{item.sources[0]} 行 2–{item.sheet1_rows + 1}{last2}")  # fmt: skip
    title = batch.name if fam_name == batch.family else "需营养风险筛查的肠外营养用药（第四批）"
    return Rule(rule_id, title, fam_name, grade, action, _ALL_MOMENTS, begin, None,
                freeze(params), table, evidence, template, version=VERSION,
                source_file=RULE_FILE)  # fmt: skip


def _rules(item: _Converted, begin: date) -> list[Rule]:
    made = [_rule(item, item.batch.rule_id, item.batch.family, item.rows, begin)]
    if item.batch.family == "med_type":  # 第四批 also asks for a nutrition-risk screening
        screened = [row for row, text in zip(item.rows, item.descriptions, strict=True)
                    if _NUTRITION in text]  # fmt: skip
        cells = [{"code": r["code"], "name": r["name"], "source": r["source"]} for r in screened]
        made.append(_rule(item, "NAT4-DRUG-NUTRITION", "nutrition_screening", cells, begin))
    return made


def _report(item: _Converted, rules: list[Rule]) -> BatchReport:
    codes = {row[c] for row in item.rows for c in ("code", "main_code", "sub_code") if c in row}
    return BatchReport(
        batch=item.batch.batch, library=item.batch.library, restriction=item.batch.restriction,
        sources=tuple(item.sources), sheet1_rows=item.sheet1_rows, sheet2_rows=item.sheet2_rows,
        rules=tuple(rule.rule_id for rule in rules), table_rows=len(item.rows),
        distinct_codes=len(codes), refused=tuple(item.refused), notes=tuple(item.notes),
        rules_without_codes=tuple(item.rules_without_codes),
        codes_without_rule=tuple(item.codes_without_rule), expected=item.batch.expected,
        one_code_per_row=item.batch.family != "duplicate_pair",
    )  # fmt: skip


def _write(out_dir: Path, rules: list[Rule], reports: list[BatchReport]) -> tuple[str, ...]:
    """Write into a fresh directory beside ``out_dir``, load it back, then put it in place."""
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / RULE_FILE).exists():
        raise RejectedFile([Problem(out_dir.as_posix(), f"not empty and holds no {RULE_FILE}: "
                                    "not a generated national rule base, nothing was written")])  # fmt: skip
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".national-", dir=out_dir.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the rule base is read by every user
    try:
        for rule in rules:
            assert rule.table is not None  # every national rule has its table
            write_table(work / rule.table.file, rule.table)
        comment = f"GENERATED by the national import (see README.md). Source: {_DOCUMENT}"
        text = rule_set_toml("national", VERSION, rules, comment=comment,
                             description="国家两库规则（第一批至第八批）")  # fmt: skip
        (work / RULE_FILE).write_text(text, encoding="utf-8")
        report = ImportReport(out_dir.as_posix(), tuple(reports), ())
        (work / "README.md").write_text(render_readme(report), encoding="utf-8")
        load_rule_base(work)  # what was written must load, or nothing replaces out_dir
        files = tuple(
            sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
        )
        _swap(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return files


def _swap(work: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=".national-old-", dir=out_dir.parent))
        out_dir.rename(old / "previous")
    work.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
