"""The line families: a fee line broken by the person, the institution, the care or the scheme.

限性别 (sex), 限年龄 (age), 限机构等级 (inst_level), 限就医方式 (med_type) and 限保险类型
(insutype): each is one join of the fee lines to the family's knowledge table; the amount at issue
is the whole line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yibao.audit.model import Rule
from yibao.audit.queries.base import JOIN, LINE, FamilyQuery, ParamTable, mapping_param
from yibao.kernel.codes import Gend, HospLv, InsuType, MedType

__all__ = ["QUERIES"]


def _label(kind: type[Gend] | type[HospLv] | type[InsuType] | type[MedType], code: object) -> str:
    try:
        return kind(str(code)).label
    except ValueError:
        return str(code)


SEX = f"""
SELECT k.rule_id, {LINE}, k.code, k.name, k.gend, k.source, l.gend AS person_gend
FROM lines l
JOIN k_sex k ON k.code = l.code
{JOIN}
WHERE l.gend IN ('1', '2') AND l.gend <> k.gend
"""

_AGE_IN = "CASE {u} WHEN 'd' THEN l.age_days WHEN 'm' THEN l.age_months ELSE l.age_years END"
AGE = f"""
SELECT k.rule_id, {LINE}, k.code, k.name, k.band, k.source,
       l.age_years, l.age_months, l.age_days
FROM lines l
JOIN k_age k ON k.code = l.code
{JOIN}
JOIN p_age_band b ON b.rule_id = k.rule_id AND b.band = k.band
                 AND (b.gend = '*' OR b.gend = l.gend)
WHERE NOT ({_AGE_IN.format(u="b.from_unit")} >= b.from_n
           AND (b.below_n IS NULL OR {_AGE_IN.format(u="b.below_unit")} < b.below_n))
"""

INST_LEVEL = f"""
SELECT k.rule_id, {LINE}, k.code, k.name, k.min_tier, k.source
FROM lines l
JOIN k_inst_level k ON k.code = l.code
{JOIN}
JOIN hosp_lv_rank h ON h.hosp_lv = l.hosp_lv
JOIN tier_rank t ON t.tier = k.min_tier
WHERE h.tier_rank < t.tier_rank
"""

MED_TYPE = f"""
SELECT k.rule_id, {LINE}, k.code, k.name, k.allowed, k.source, l.med_type
FROM lines l
JOIN k_med_type k ON k.code = l.code
{JOIN}
LEFT JOIN p_med_type_allowed p ON p.rule_id = k.rule_id AND p.code = k.code
                               AND p.med_type = l.med_type
WHERE p.rule_id IS NULL
"""

INSUTYPE = f"""
SELECT k.rule_id, {LINE}, k.code, k.name, k.scheme, k.source, l.insutype
FROM lines l
JOIN k_insutype k ON k.code = l.code
{JOIN}
LEFT JOIN p_insutype p ON p.rule_id = k.rule_id AND p.scheme = k.scheme
     AND ((p.kind = 'insutype' AND p.value = l.insutype)
          OR (p.kind = 'med_type' AND p.value = l.med_type))
WHERE p.rule_id IS NULL
"""


def _age_limit(limit: Any, sex: str) -> tuple[str | None, int | None]:
    if limit is None:
        return None, None
    text = str(limit if isinstance(limit, str) else limit[sex])
    return text[-1], int(text[:-1])


def _age_bands(rule: Rule) -> Iterator[dict[str, Any]]:
    for band, spec in mapping_param(rule, "bands").items():
        low, high = spec.get("from", "0d"), spec.get("below")
        per_sex = not isinstance(low, str) or (high is not None and not isinstance(high, str))
        for gend, sex in (("1", "male"), ("2", "female")) if per_sex else (("*", "male"),):
            from_unit, from_n = _age_limit(low, sex)
            below_unit, below_n = _age_limit(high, sex)
            yield {"rule_id": rule.rule_id, "band": band, "gend": gend, "from_unit": from_unit,
                   "from_n": from_n, "below_unit": below_unit, "below_n": below_n}  # fmt: skip


def _med_types_allowed(rule: Rule) -> Iterator[dict[str, Any]]:
    classes = mapping_param(rule, "classes")
    seen = set()
    for row in rule.table.records() if rule.table is not None else ():
        for name in row["allowed"].split("|"):
            for med_type in classes[name]:
                if (row["code"], med_type) not in seen:
                    seen.add((row["code"], med_type))
                    yield {"rule_id": rule.rule_id, "code": row["code"], "med_type": med_type}


def _schemes(rule: Rule) -> Iterator[dict[str, Any]]:
    for scheme, spec in mapping_param(rule, "schemes").items():
        for kind, key in (("insutype", "insutypes"), ("med_type", "med_types")):
            for value in spec.get(key, ()):
                yield {"rule_id": rule.rule_id, "scheme": scheme, "kind": kind, "value": value}


def _age_text(row: Mapping[str, Any]) -> str:
    years, months, days = row.get("age_years"), row.get("age_months"), row.get("age_days")
    if years:
        return f"{years}岁"
    if months:
        return f"{months}个月"
    return "" if days is None else f"{days}天"


_V, _I = "VARCHAR", "INTEGER"
_BANDS = ParamTable("p_age_band", {"rule_id": _V, "band": _V, "gend": _V, "from_unit": _V,
                    "from_n": _I, "below_unit": _V, "below_n": _I}, _age_bands)  # fmt: skip
_ALLOWED = ParamTable("p_med_type_allowed", {"rule_id": _V, "code": _V, "med_type": _V},
                      _med_types_allowed)  # fmt: skip
_SCHEMES = ParamTable("p_insutype", {"rule_id": _V, "scheme": _V, "kind": _V, "value": _V},
                      _schemes)  # fmt: skip

QUERIES = (
    FamilyQuery("sex", SEX, trigger="code", fills=lambda r: {"person_gend": _label(Gend, r["person_gend"])}),
    FamilyQuery("age", AGE, trigger="code", param_tables=(_BANDS,), fills=lambda r: {"age": _age_text(r)}),
    FamilyQuery("inst_level", INST_LEVEL, trigger="code",
                fills=lambda r: {"hosp_lv_name": _label(HospLv, r["hosp_lv"])}),
    FamilyQuery("med_type", MED_TYPE, trigger="code", param_tables=(_ALLOWED,),
                fills=lambda r: {"med_type_name": _label(MedType, r["med_type"])}),
    FamilyQuery("insutype", INSUTYPE, trigger="code", param_tables=(_SCHEMES,),
                fills=lambda r: {"insutype_name": _label(InsuType, r["insutype"])}),
)  # fmt: skip
