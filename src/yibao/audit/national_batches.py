"""The fourteen national batches (两库) and how each one's free-text values become typed cells.

Each :class:`Batch` names its CSV files, the column that holds the restriction, the rule family
it becomes, and a parser from one source row to the table's value cells. A parser raises
:class:`Refused` with the reason when a row cannot be read; it may return a note when it read the
row but made a choice (the description and the value disagree). ``national`` does the reading,
the joining of drug codes (sheet2) to rules (sheet1), and the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGE_BANDS",
    "BATCHES",
    "MEDICAL_TYPE_CLASSES",
    "SCHEMES",
    "WORKING_AGE",
    "Batch",
    "Parsed",
    "Refused",
]


class Refused(ValueError):
    """A source row that cannot be turned into a table row; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """The value cells read from one source row, and a note when a choice was made."""

    cells: dict[str, str]
    note: str | None = None


Parser = Callable[[Mapping[str, str]], Parsed]

#: 儿童: under 18 (未成年人保护法 第二条); 新生儿: the first 28 days; 婴幼儿: under 3 (seed 003)
AGE_BANDS: dict[str, dict[str, Any]] = {
    "儿童": {"below": "18y"},
    "新生儿": {"below": "28d"},
    "婴幼儿": {"below": "3y"},
}
#: 法定就业年龄: from 16 (劳动法 第十五条) to the retirement age before the 2025 reform
WORKING_AGE: dict[str, Any] = {"from": "16y", "below": {"male": "60y", "female": "55y"}}
MEDICAL_TYPE_CLASSES: dict[str, list[str]] = {
    "inpatient": ["21", "22", "23", "24", "25", "26", "28", "52", "2114", "210104"],
    "emergency": ["13"],
}
SCHEMES: dict[str, dict[str, list[str]]] = {
    "work_injury": {"insutypes": [], "med_types": []},
    "maternity": {"insutypes": ["510"], "med_types": ["51", "52", "53", "5212"]},
}
_SEXES = {"男": "1", "女": "2"}
_TIERS = {"二级": "tier2", "三级": "tier3"}
_SCHEME_NAMES = {"工伤": "work_injury", "生育": "maternity"}
_WINDOWS = {"单日": "day", "同一小时": "1h", "6小时": "6h", "单次就诊": "visit"}
_UNITS = {"日": "day", "天": "day", "小时": "hour"}
_DAYS = re.compile(r"([0-9]{1,3})天")
_COUNT = re.compile(r"[1-9][0-9]{0,3}")


def _one_of(table: Mapping[str, str], value: str, what: str) -> str:
    if value not in table:
        raise Refused(f"{what} {value!r} is not one of {', '.join(table)}")
    return table[value]


def _sex(row: Mapping[str, str]) -> Parsed:
    value = row.get("限定对象", row.get("限定性别", ""))
    return Parsed({"gend": _one_of(_SEXES, value, "sex")})


def _age(row: Mapping[str, str]) -> Parsed:
    return Parsed({"band": _one_of({k: k for k in AGE_BANDS}, row["限定对象"], "age group")})


def _insutype(row: Mapping[str, str]) -> Parsed:
    return Parsed({"scheme": _one_of(_SCHEME_NAMES, row["限定对象"], "insurance")})


def _med_type(row: Mapping[str, str]) -> Parsed:
    if row["限定值域"] != "住院":
        raise Refused(f"medical type {row['限定值域']!r} is not 住院")
    if "急诊或住院" in row["药品说明"]:
        note = "限定值域 住院, but 药品说明 says 急诊或住院: emergency visits are allowed too"
        return Parsed({"allowed": "inpatient|emergency"}, note)
    return Parsed({"allowed": "inpatient"})


def _level(row: Mapping[str, str]) -> Parsed:
    tier = _one_of(_TIERS, row["限定值域"], "institution level")
    note = None
    if "眼科专科医院" in row["药品说明"]:
        note = ("药品说明 also allows 二级及以上眼科专科医院, which hosp_lv cannot tell apart: "
                "kept 三级 as 限定值域 says; a 二级 eye hospital is flagged")  # fmt: skip
    return Parsed({"min_tier": tier}, note)


def _pay_course(row: Mapping[str, str]) -> Parsed:
    match = re.fullmatch(r"([1-9][0-9]{0,2})天", row["限定值域"])
    if match is None:
        raise Refused(f"限定值域 {row['限定值域']!r} is not a number of days like 14天")
    days = match.group(1)
    said = _DAYS.findall(row["药品说明"])
    note = None
    if said and days not in said:
        note = (f"限定值域 {days}天 but 药品说明 says {'/'.join(said)}天: "
                f"the value column ({days}) is used")  # fmt: skip
    elif not said and "12个月" in row["药品说明"] and days == "365":
        note = "药品说明 says 12个月: read as 365 days of payment"
    return Parsed({"max_days": days}, note)


def _operation(row: Mapping[str, str]) -> Parsed:
    group = row["限定值域"].strip()
    if not group.endswith("手术组"):
        raise Refused(f"限定值域 {group!r} is not an operation group (…手术组)")
    return Parsed({"group": group})


def _pair(row: Mapping[str, str]) -> Parsed:
    if not any(value.strip() for value in row.values()):
        raise Refused("an empty row")
    window = _one_of(_WINDOWS, row["频度"], "频度")
    return Parsed({"window": window, "note": row["备注"].strip()})


def _frequency(row: Mapping[str, str]) -> Parsed:
    if not row["项目编码"].strip():
        text = row["序号"].strip()
        if text == "合计":
            raise Refused("a 合计 (total) line with no item: not a rule")
        raise Refused(f"a footnote with no item, not a rule: {text[:60]}…")
    if not _COUNT.fullmatch(row["限制数量"]):
        raise Refused(f"限制数量 {row['限制数量']!r} is not a whole number")
    unit = _one_of(_UNITS, row["数量单位"], "数量单位")
    return Parsed({"max_quantity": row["限制数量"], "unit": unit})


def _working_age(row: Mapping[str, str]) -> Parsed:
    if "法定就业年龄" not in row["备注"]:
        raise Refused(f"备注 {row['备注']!r} does not name the legal working age")
    return Parsed({"band": "法定就业年龄"})


_COURSE_PARTS: tuple[tuple[re.Pattern[str], str, str | None], ...] = (
    (re.compile(r"总时间不超过([0-9]+)天"), "max_days", None),
    (re.compile(r"(?:两次)?评定间隔时间不短于([0-9]+)天"), "min_interval_days", None),
    (re.compile(r"(?:一个疾病过程)?(?:单次住院)?支付不超过([0-9]+)天"), "max_days", None),
    (re.compile(r"支付不超过(一年)"), "max_days", "支付不超过一年 read as 365 days"),
    (re.compile(r"每周最多支付(一次)"), "min_interval_days", "每周最多支付一次 read as an interval ≥ 7 days"),
)  # fmt: skip
_WORDS = {"一年": "365", "一次": "7"}


def _course(row: Mapping[str, str]) -> Parsed:
    text, cells, notes = row["备注"], {"max_days": "", "min_interval_days": ""}, []
    for pattern, column, note in _COURSE_PARTS:
        found = pattern.search(text)
        if found is None:
            continue
        if cells[column]:
            raise Refused(f"备注 {row['备注']!r} gives {column} twice")
        cells[column] = _WORDS.get(found.group(1), found.group(1))
        text = text.replace(found.group(0), "")
        if note:
            notes.append(note)
    rest = re.sub(r"[，,。.；;\s]", "", text)
    if rest or not any(cells.values()):
        raise Refused(f"备注 {row['备注']!r}: cannot read {rest or 'any limit'!r}")
    return Parsed(cells, "; ".join(notes) or None)


def _cycle(row: Mapping[str, str]) -> Parsed:
    for column in ("频次上限", "疗程周期"):
        if not _COUNT.fullmatch(row[column]):
            raise Refused(f"{column} {row[column]!r} is not a whole number ≥ 1")
    return Parsed({"max_count": row["频次上限"], "cycle_days": row["疗程周期"]})


@dataclass(frozen=True, slots=True)
class Batch:
    """One national batch: its files, the family it becomes, and how its rows are read."""

    key: str  # nat1-drug-age: the rule id (upper case) and the table file name
    batch: str  # 第一批
    library: str  # 药品 or 项目
    restriction: str  # 限定年龄对象
    stem: str  # the CSV files' name before .sheet1.csv / .sheet2.csv
    family: str
    name: str  # the rule's name
    parse: Parser
    columns: tuple[str, ...]  # the source header of sheet1
    code: str = ""  # the sheet1 column holding item codes ("" for drugs: codes are in sheet2)
    item_name: str = "项目名称"
    kind: str = ""  # the 限定类型 every row must carry ("" when the file has no such column)
    sheet2_code: str = "国标代码"
    #: the counts of docs/audit.md §2: sheet1 rows, sheet2 rows
    expected: tuple[int, int | None] = (0, None)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        return self.key.upper()

    @property
    def table_name(self) -> str:
        return self.key.replace("-", "_")

    @property
    def has_sheet2(self) -> bool:
        return not self.code


_DRUG = ("药品通用名", "药品说明", "限定类型")
_W = "限定性别对象"
_A = "限定年龄对象"
BATCHES: tuple[Batch, ...] = (
    Batch("nat1-drug-age", "第一批", "药品", _A, "【第一批】药品规则库(限定年龄对象)", "age",
          "限定年龄用药（第一批）", _age, (*_DRUG, "限定对象"), kind=_A, expected=(282, 4398)),
    Batch("nat1-drug-sex", "第一批", "药品", _W, "【第一批】药品规则库(限定性别对象)", "sex",
          "限定性别用药（第一批）", _sex, (*_DRUG, "限定对象"), kind=_W, sheet2_code="药品代码",
          expected=(481, 6472)),
    Batch("nat1-item-age", "第一批", "项目", _A, "【第一批】项目规则库(限定年龄对象)", "age",
          "限定年龄诊疗项目（第一批）", _age, ("项目名称", "国标代码", "限定类型", "限定对象"),
          code="国标代码", kind=_A, expected=(30, None)),
    Batch("nat1-item-sex", "第一批", "项目", _W, "【第一批】项目规则库(限定性别对象)", "sex",
          "限定性别诊疗项目（第一批）", _sex,
          ("项目名称", "项目说明", "国标代码", "限定类型", "限定性别"), code="国标代码", kind=_W,
          expected=(390, None)),
    Batch("nat2-item-operation", "第二批", "项目", "限定主次操作",
          "【第二批】项目规则库（限定主次操作）", "main_secondary_operation",
          "主次手术未折价计收（第二批）", _operation,
          ("项目名称", "项目说明", "国标代码", "限定类型", "限定值域"), code="国标代码",
          kind="限定主次操作", expected=(378, None)),
    Batch("nat3-drug-insutype", "第三批", "药品", "限定保险类型",
          "【第三批】药品规则库（限定保险类型）", "insutype", "限定保险类型用药（第三批）",
          _insutype, (*_DRUG, "限定对象"), kind="限定保险类型", expected=(12, 112)),
    Batch("nat4-drug-medtype", "第四批", "药品", "限定就医方式",
          "【第四批】药品规则库（限定就医方式）", "med_type", "限定就医方式用药（第四批）",
          _med_type, (*_DRUG, "限定值域"), kind="限定就医方式", expected=(35, 736)),
    Batch("nat5-drug-level", "第五批", "药品", "限定机构等级",
          "【第五批】药品规则库（限定机构等级）", "inst_level", "限定医疗机构等级用药（第五批）",
          _level, (*_DRUG, "限定值域"), kind="限定机构等级", expected=(61, 962)),
    Batch("nat6-drug-paycourse", "第六批", "药品", "限定支付疗程",
          "【第六批】药品规则库（限定支付疗程）", "pay_course", "超限定支付疗程用药（第六批）",
          _pay_course, (*_DRUG, "限定值域"), kind="限定支付疗程", expected=(30, 1147)),
    Batch("nat7-item-duplicate", "第七批", "项目", "重复收费", "【第七批】项目规则库（重复收费）",
          "duplicate_pair", "重复收费（第七批）", _pair,
          ("序号", "频度", "主项名称", "主项编码", "从项名称", "从项编码", "备注"),
          code="主项编码", item_name="主项名称", expected=(901, None),
          extra={"sub_code": "从项编码", "sub_name": "从项名称"}),
    Batch("nat8-1-item-frequency", "第八批-1", "项目", "限定频次",
          "【第八批-1】项目规则库（限定频次）", "frequency", "超限定频次收费（第八批）",
          _frequency, ("序号", "项目名称", "限制数量", "数量单位", "项目编码"),
          code="项目编码", expected=(69, None)),
    Batch("nat8-2-item-working-age", "第八批-2", "项目", "限定年龄",
          "【第八批-2】项目规则库（限定年龄）", "age", "超法定就业年龄的职业功能训练（第八批）",
          _working_age, ("序号", "项目名称", "备注", "项目代码"), code="项目代码",
          expected=(1, None)),
    Batch("nat8-3-item-course", "第八批-3", "项目", "限定疗程", "【第八批-3】项目规则库（限定疗程）",
          "course", "超限定疗程收费（第八批）", _course, ("序号", "项目名称", "备注", "项目代码"),
          code="项目代码", expected=(11, None)),
    Batch("nat8-4-item-cycle", "第八批-4", "项目", "限定周期", "【第八批-4】项目规则库（限定周期）",
          "cycle", "超限定周期收费（第八批）", _cycle,
          ("序号", "项目名称", "频次上限", "疗程周期", "备注", "项目代码"), code="项目代码",
          expected=(14, None)),
)  # fmt: skip
