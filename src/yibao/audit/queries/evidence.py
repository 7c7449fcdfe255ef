"""The evidence families: indications with diagnoses and labs, screening records, phantom billing, stock.

限适应症 (indication) — a line whose code has table rows (clauses) is allowed when at least one
clause is met. A clause has a diagnoses part (ICD-10 prefixes: met when any diagnosis of the
line's visit starts with one of them) and a labs part (``TEST op value unit`` conditions: met
when every condition is met by a lab result of the person reported from ``lab_window_days`` days
before the fee date up to the fee date, both included, in the condition's unit when it names
one); ``combine = all`` needs both parts (those the clause has), ``any`` one of them. The lab
conditions are parsed here in Python into ``p_indication_lab`` (one row per condition), never in
SQL. A line with no clause met is at issue, whole; the finding shows the first clause (by
number): its ``condition``, and in ``missing`` what of it was missing (诊断… / 检验…).

营养风险筛查 (nutrition_screening) — the lines of a table code in a visit are at issue, each whole,
when the visit has no ``records`` row of one of the ``documents`` types dated no later than
``grace_days`` days after the code's first fee day in the visit (an earlier one counts).

虚记 (phantom_billing) — a line of a table code is at issue, whole, when its visit has no
``records`` row of the row's ``record`` type dated within ``record_window_days`` days of the fee
date (before or after, the edge days included) for that code (a record naming no code counts
for any).

串换 (stock_mismatch) — per institution, code and period (the month of the fee date, or its
quarter), the billed quantity (sum of ``lines.cnt``) against the quantity bought (``stock``); a
finding when billed > bought × (1 + ``tolerance``). Only drugs and materials (codes starting X, Z
or C) of institutions that report stock at all are compared. Every line of the period is at
issue, for its share of the excess over the quantity bought (not over the tolerance): amount ×
(billed − bought) / billed (the engine computes it from ``cnt`` = billed and ``excess_cnt`` =
billed − bought, rounding each line to the fen). The month is ``SUBSTR(CAST(fee_date AS
VARCHAR), 1, 7)``, the stock's period ``YYYY-MM``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yibao.audit.columns import LAB_CONDITION, split_list
from yibao.audit.model import Rule
from yibao.audit.queries.base import JOIN, LINE, FamilyQuery, ParamTable
from yibao.audit.queries.stays import list_table, params_table

__all__ = ["QUERIES"]

_V, _I = "VARCHAR", "INTEGER"
#: lab conditions of a clause named one by one in ``missing`` (bits of a BIGINT)
_NAMED_CONDITIONS = 62
_CLAUSE = "rule_id, mdtrt_id, feedetl_sn, clause"

INDICATION = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.clause, k.diagnoses, k.labs, k.combine, k.condition,
         k.source, k.lab_window_days, {LINE}, l.fee_day
  FROM lines l
  JOIN k_indication k ON k.code = l.code
  {JOIN}
), diagnosed AS (
  SELECT DISTINCT u.rule_id, u.mdtrt_id, u.feedetl_sn, u.clause
  FROM used u
  JOIN p_indication_diagnosis p ON p.rule_id = u.rule_id AND p.code = u.code
                               AND p.clause = u.clause
  JOIN diagnoses d ON d.mdtrt_id = u.mdtrt_id
                  AND SUBSTR(d.diag_code, 1, LENGTH(p.prefix)) = p.prefix
), tested AS (
  SELECT u.rule_id, u.mdtrt_id, u.feedetl_sn, u.clause, c.cond_no, MAX(c.bit) AS bit
  FROM used u
  JOIN p_indication_lab c ON c.rule_id = u.rule_id AND c.code = u.code AND c.clause = u.clause
  JOIN labs r ON r.psn_no = u.psn_no AND r.test_code = c.test_code
             AND r.report_day <= u.fee_day AND r.report_day >= u.fee_day - u.lab_window_days
             AND (c.unit IS NULL OR r.unit = c.unit)
             AND ((c.op = '<' AND r.value < c.value) OR (c.op = '<=' AND r.value <= c.value)
                  OR (c.op = '>' AND r.value > c.value) OR (c.op = '>=' AND r.value >= c.value)
                  OR (c.op = '=' AND r.value = c.value))
  GROUP BY u.rule_id, u.mdtrt_id, u.feedetl_sn, u.clause, c.cond_no
), met_labs AS (
  SELECT {_CLAUSE}, COUNT(*) AS met_count, SUM(bit) AS met_bits
  FROM tested
  GROUP BY {_CLAUSE}
), clauses AS (
  SELECT u.*, q.has_diagnoses, q.lab_count, q.all_bits,
         CASE WHEN g.rule_id IS NULL THEN 0 ELSE 1 END AS diagnosis_met,
         COALESCE(t.met_count, 0) AS met_count, COALESCE(t.met_bits, 0) AS met_bits
  FROM used u
  JOIN p_indication_clause q ON q.rule_id = u.rule_id AND q.code = u.code AND q.clause = u.clause
  LEFT JOIN diagnosed g ON g.rule_id = u.rule_id AND g.mdtrt_id = u.mdtrt_id
                       AND g.feedetl_sn = u.feedetl_sn AND g.clause = u.clause
  LEFT JOIN met_labs t ON t.rule_id = u.rule_id AND t.mdtrt_id = u.mdtrt_id
                      AND t.feedetl_sn = u.feedetl_sn AND t.clause = u.clause
), judged AS (
  SELECT c.*,
         CASE WHEN combine = 'all'
              THEN CASE WHEN (NOT has_diagnoses OR diagnosis_met = 1) AND met_count = lab_count
                        THEN 1 ELSE 0 END
              ELSE CASE WHEN (has_diagnoses AND diagnosis_met = 1)
                             OR (lab_count > 0 AND met_count = lab_count)
                        THEN 1 ELSE 0 END
         END AS met
  FROM clauses c
), ranked AS (
  SELECT j.*,
         MAX(met) OVER (PARTITION BY rule_id, mdtrt_id, feedetl_sn) AS any_met,
         ROW_NUMBER() OVER (PARTITION BY rule_id, mdtrt_id, feedetl_sn ORDER BY clause) AS n
  FROM judged j
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       code, name, clause, diagnoses, labs, combine, condition, source,
       CASE WHEN has_diagnoses AND diagnosis_met = 0 THEN 1 ELSE 0 END AS diagnosis_missing,
       lab_count - met_count AS labs_missing, all_bits - met_bits AS labs_missing_bits
FROM ranked
WHERE any_met = 0 AND n = 1
"""

NUTRITION_SCREENING = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.source, k.grace_days, {LINE}, l.fee_day
  FROM lines l
  JOIN k_nutrition_screening k ON k.code = l.code
  {JOIN}
), firsts AS (
  SELECT rule_id, mdtrt_id, code, MIN(fee_day) + MAX(grace_days) AS latest_day
  FROM used
  GROUP BY rule_id, mdtrt_id, code
), screened AS (
  SELECT DISTINCT f.rule_id, f.mdtrt_id, f.code
  FROM firsts f
  JOIN records r ON r.mdtrt_id = f.mdtrt_id AND r.doc_day <= f.latest_day
  JOIN p_nutrition_document d ON d.rule_id = f.rule_id AND d.doc_type = r.doc_type
)
SELECT u.rule_id, u.mdtrt_id, u.psn_no, u.feedetl_sn, u.amount, u.fee_date, u.admdvs, u.hosp_lv,
       u.code, u.name, u.source
FROM used u
LEFT JOIN screened s ON s.rule_id = u.rule_id AND s.mdtrt_id = u.mdtrt_id AND s.code = u.code
WHERE s.rule_id IS NULL
"""

PHANTOM_BILLING = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.record, k.source, k.record_window_days, {LINE}, l.fee_day
  FROM lines l
  JOIN k_phantom_billing k ON k.code = l.code
  {JOIN}
), recorded AS (
  SELECT DISTINCT u.rule_id, u.mdtrt_id, u.feedetl_sn
  FROM used u
  JOIN records r ON r.mdtrt_id = u.mdtrt_id AND r.doc_type = u.record
                AND (r.code IS NULL OR r.code = u.code)
                AND r.doc_day >= u.fee_day - u.record_window_days
                AND r.doc_day <= u.fee_day + u.record_window_days
)
SELECT u.rule_id, u.mdtrt_id, u.psn_no, u.feedetl_sn, u.amount, u.fee_date, u.admdvs, u.hosp_lv,
       u.code, u.name, u.record, u.source
FROM used u
LEFT JOIN recorded x ON x.rule_id = u.rule_id AND x.mdtrt_id = u.mdtrt_id
                    AND x.feedetl_sn = u.feedetl_sn
WHERE x.rule_id IS NULL
"""


def _period(month: str) -> str:
    """SQL: the part of the period within the year: the month (MM) or the quarter (1–4)."""
    mm = f"SUBSTR({month}, 6, 2)"
    quarter = (f"CASE WHEN {mm} <= '03' THEN '1' WHEN {mm} <= '06' THEN '2' "
               f"WHEN {mm} <= '09' THEN '3' ELSE '4' END")  # fmt: skip
    return f"CASE WHEN p.period = 'month' THEN {mm} ELSE {quarter} END"


_MONTH = "SUBSTR(CAST(l.fee_date AS VARCHAR), 1, 7)"
_PERIOD_KEY = "rule_id, fixmedins_code, code, period_year, period_part"
STOCK_MISMATCH = f"""
WITH rules AS (
  SELECT p.rule_id, p.tolerance, p.period
  FROM p_stock_mismatch p
  JOIN active_rules a ON a.rule_id = p.rule_id
), reporting AS (
  SELECT DISTINCT fixmedins_code FROM stock
), used AS (
  SELECT p.rule_id, p.tolerance, {LINE}, l.fixmedins_code, l.code, l.name, l.cnt,
         SUBSTR({_MONTH}, 1, 4) AS period_year, {_period(_MONTH)} AS period_part
  FROM lines l
  CROSS JOIN rules p
  JOIN reporting i ON i.fixmedins_code = l.fixmedins_code
  WHERE SUBSTR(l.code, 1, 1) IN ('X', 'Z', 'C')
), billed AS (
  SELECT {_PERIOD_KEY}, MAX(tolerance) AS tolerance, SUM(cnt) AS billed_quantity
  FROM used
  GROUP BY {_PERIOD_KEY}
), bought AS (
  SELECT p.rule_id, s.fixmedins_code, s.code, SUBSTR(s.period, 1, 4) AS period_year,
         {_period("s.period")} AS period_part, SUM(s.quantity) AS stocked_quantity
  FROM stock s
  CROSS JOIN rules p
  GROUP BY p.rule_id, s.fixmedins_code, s.code, SUBSTR(s.period, 1, 4), {_period("s.period")}
), short AS (
  SELECT b.rule_id, b.fixmedins_code, b.code, b.period_year, b.period_part, b.billed_quantity,
         COALESCE(s.stocked_quantity, 0) AS stocked_quantity
  FROM billed b
  LEFT JOIN bought s ON s.rule_id = b.rule_id AND s.fixmedins_code = b.fixmedins_code
                    AND s.code = b.code AND s.period_year = b.period_year
                    AND s.period_part = b.period_part
  WHERE b.billed_quantity > COALESCE(s.stocked_quantity, 0) * (1 + b.tolerance)
)
SELECT u.rule_id, u.mdtrt_id, u.psn_no, u.feedetl_sn, u.amount, u.fee_date, u.admdvs, u.hosp_lv,
       s.billed_quantity AS cnt, s.billed_quantity - s.stocked_quantity AS excess_cnt,
       u.code, u.name, s.billed_quantity, s.stocked_quantity
FROM used u
JOIN short s ON s.rule_id = u.rule_id AND s.fixmedins_code = u.fixmedins_code
            AND s.code = u.code AND s.period_year = u.period_year
            AND s.period_part = u.period_part
"""


def _clauses(rule: Rule) -> Iterator[dict[str, Any]]:
    for row in rule.table.records() if rule.table is not None else ():
        count = len(split_list(row["labs"]))
        named = min(count, _NAMED_CONDITIONS)
        yield {"rule_id": rule.rule_id, "code": row["code"], "clause": row["clause"],
               "has_diagnoses": bool(split_list(row["diagnoses"])), "lab_count": count,
               "all_bits": (1 << named) - 1}  # fmt: skip


def _prefixes(rule: Rule) -> Iterator[dict[str, Any]]:
    for row in rule.table.records() if rule.table is not None else ():
        for prefix in split_list(row["diagnoses"]):
            yield {"rule_id": rule.rule_id, "code": row["code"], "clause": row["clause"],
                   "prefix": prefix}  # fmt: skip


def _lab_conditions(rule: Rule) -> Iterator[dict[str, Any]]:
    """One row per lab condition (``ALB < 30 g/L`` → ALB, <, 30, g/L) of every clause."""
    for row in rule.table.records() if rule.table is not None else ():
        for number, text in enumerate(split_list(row["labs"])):
            match = LAB_CONDITION.fullmatch(text)
            if match is None:  # the loader refuses such a cell; never silently dropped
                raise ValueError(f"rule {rule.rule_id}, code {row['code']}: lab {text!r}")
            yield {"rule_id": rule.rule_id, "code": row["code"], "clause": row["clause"],
                   "cond_no": number + 1,
                   "bit": 1 << number if number < _NAMED_CONDITIONS else 0,
                   "test_code": match["test"], "op": match["op"], "value": match["value"],
                   "unit": match["unit"]}  # fmt: skip


def _missing(row: Mapping[str, Any]) -> Mapping[str, str]:
    """What the first clause lacked: 诊断 (its prefixes) and 检验 (its conditions not met)."""
    parts = []
    if row["diagnosis_missing"]:
        prefixes = split_list(str(row["diagnoses"] or ""))
        parts.append("诊断" + "/".join(prefixes) + ("之一" if len(prefixes) > 1 else ""))
    bits = int(row["labs_missing_bits"] or 0)
    conditions = split_list(str(row["labs"] or ""))[:_NAMED_CONDITIONS]
    named = [text for at, text in enumerate(conditions) if bits >> at & 1]
    parts += [f"检验{text}" for text in named]
    if int(row["labs_missing"] or 0) > len(named):
        parts.append(f"另{int(row['labs_missing']) - len(named)}项检验")
    return {"missing": ("或" if row["combine"] == "any" else "、").join(parts)}


_KEY = {"rule_id": _V, "code": _V, "clause": _I}
_INDICATION_TABLES = (
    ParamTable("p_indication_clause", {**_KEY, "has_diagnoses": "BOOLEAN", "lab_count": _I,
                                       "all_bits": "BIGINT"}, _clauses),
    ParamTable("p_indication_diagnosis", {**_KEY, "prefix": _V}, _prefixes),
    ParamTable("p_indication_lab", {**_KEY, "cond_no": _I, "bit": "BIGINT", "test_code": _V,
                                    "op": _V, "value": "DECIMAL(16, 6)", "unit": _V},
               _lab_conditions),
)  # fmt: skip

QUERIES = (
    FamilyQuery("indication", INDICATION, trigger="code", typed={"clause": _I, "lab_window_days": _I},
                param_columns=lambda r: {"lab_window_days": r.params["lab_window_days"]},
                param_tables=_INDICATION_TABLES, fills=_missing, history=True),
    FamilyQuery("nutrition_screening", NUTRITION_SCREENING, trigger="code",
                typed={"grace_days": _I},
                param_columns=lambda r: {"grace_days": r.params["grace_days"]},
                param_tables=(list_table("p_nutrition_document", "documents", "doc_type"),)),
    FamilyQuery("phantom_billing", PHANTOM_BILLING, trigger="code",
                typed={"record_window_days": _I},
                param_columns=lambda r: {"record_window_days": r.params["record_window_days"]}),
    FamilyQuery("stock_mismatch", STOCK_MISMATCH,
                param_tables=(params_table("p_stock_mismatch", {"tolerance": "DECIMAL(5, 4)",
                                                                "period": _V}),)),
)  # fmt: skip
