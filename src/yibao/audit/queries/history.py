"""The history families: a course of treatment, and readmissions after a discharge.

限定疗程 (course) and 分解住院 (readmission) read the person's earlier visits (``history``).
挂床住院 (bed_blocking) and 冒名就医/同时两地 (overlapping_visits), which read the visits' stays,
are in :mod:`yibao.audit.queries.stays`.

course — the uses (fee lines) of a table code by one person (and one institution when
``across_institutions`` is false), in fee order. A use more than ``new_course_after_days`` days
after the previous one (or the first use) starts a course. A line is at issue when its course has
lasted more than ``max_days`` by the fee date (``span``: fee day − course start + 1; ``billed_days``:
distinct fee days of the course so far), or when it comes less than ``min_interval_days`` days
after the previous use (a second line the same day: 0 days; docs/audit-rules.md: 每周最多支付一次
= an interval of at least 7 days). Exactly ``max_days`` days or exactly ``min_interval_days`` days
is allowed. Amount at issue: the whole line.

readmission — the person's inpatient visits (``visits.med_type`` in ``inpatient_med_types``), by
admission date, per institution when ``same_institution``. An admission 0 to ``within_days`` days
after the previous admission's discharge (the ``within_days``-th day included) is a finding,
unless its main diagnosis (``diagnoses.maindiag_flag``) starts with one of ``exempt_diagnoses``.
The previous stay with no discharge date yet finds nothing. The visit as a whole is at issue:
one finding on its first line (by fee day, fee time, line number) with the visit's total as the
amount; a readmission without any fee line is not reported (there is no line to hold).

The visits' dates are DATE columns without day numbers; ``stays.day_number`` turns one into
days since 1970-01-01 with portable integer arithmetic on its year, month and day.

:data:`QUERIES` also lists the queries of :mod:`yibao.audit.queries.stays`.
"""

from __future__ import annotations

from yibao.audit.queries import stays
from yibao.audit.queries.base import JOIN, LINE, FamilyQuery
from yibao.audit.queries.stays import day_number, list_table, params_table

__all__ = ["QUERIES"]

_I, _B = "INTEGER", "BOOLEAN"
_FEE_ORDER = "fee_day, fee_time NULLS LAST, mdtrt_id, feedetl_sn"
_COURSE = "rule_id, code, psn_no, place"

COURSE = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.source, k.measure, k.new_course_after_days,
         CAST(NULLIF(k.max_days, '') AS INTEGER) AS max_days,
         CAST(NULLIF(k.min_interval_days, '') AS INTEGER) AS min_interval_days,
         {LINE}, l.fee_day, l.fee_time,
         CASE WHEN k.across THEN '*' ELSE l.fixmedins_code END AS place
  FROM lines l
  JOIN k_course k ON k.code = l.code
  {JOIN}
), previous AS (
  SELECT u.*, LAG(fee_day) OVER (PARTITION BY {_COURSE} ORDER BY {_FEE_ORDER}) AS previous_day
  FROM used u
), courses AS (
  SELECT p.*,
         SUM(CASE WHEN previous_day IS NULL OR fee_day - previous_day > new_course_after_days
                  THEN 1 ELSE 0 END)
           OVER (PARTITION BY {_COURSE} ORDER BY {_FEE_ORDER}
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS course_no
  FROM previous p
), counted AS (
  SELECT c.*,
         MIN(fee_date) OVER (PARTITION BY {_COURSE}, course_no) AS course_start,
         CASE WHEN measure = 'span'
              THEN fee_day - MIN(fee_day) OVER (PARTITION BY {_COURSE}, course_no) + 1
              ELSE DENSE_RANK() OVER (PARTITION BY {_COURSE}, course_no ORDER BY fee_day)
         END AS days,
         fee_day - previous_day AS interval_days
  FROM courses c
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       code, name, max_days, min_interval_days, source, days, interval_days, course_start
FROM counted
WHERE (max_days IS NOT NULL AND days > max_days)
   OR (min_interval_days IS NOT NULL AND interval_days < min_interval_days)
"""

READMISSION = f"""
WITH stays AS (
  SELECT p.rule_id, p.within_days, v.mdtrt_id, v.psn_no, v.visit_end,
         {day_number("v.visit_begin")} AS begin_day,
         {day_number("v.visit_end")} AS end_day,
         CASE WHEN p.same_institution THEN v.fixmedins_code ELSE '*' END AS place
  FROM visits v
  JOIN p_readmission_med_type m ON m.med_type = v.med_type
  JOIN p_readmission p ON p.rule_id = m.rule_id
  JOIN active_rules a ON a.rule_id = p.rule_id
), ordered AS (
  SELECT s.*,
         LAG(end_day) OVER (PARTITION BY rule_id, psn_no, place
                            ORDER BY begin_day, mdtrt_id) AS previous_day,
         LAG(visit_end) OVER (PARTITION BY rule_id, psn_no, place
                              ORDER BY begin_day, mdtrt_id) AS previous_discharge
  FROM stays s
), exempt AS (
  SELECT DISTINCT e.rule_id, d.mdtrt_id
  FROM diagnoses d
  JOIN p_readmission_exempt e ON SUBSTR(d.diag_code, 1, LENGTH(e.prefix)) = e.prefix
  WHERE d.maindiag_flag
), readmitted AS (
  SELECT o.rule_id, o.mdtrt_id, o.previous_discharge,
         o.begin_day - o.previous_day AS days_between
  FROM ordered o
  LEFT JOIN exempt x ON x.rule_id = o.rule_id AND x.mdtrt_id = o.mdtrt_id
  WHERE x.rule_id IS NULL
    AND o.begin_day - o.previous_day >= 0
    AND o.begin_day - o.previous_day <= o.within_days
), visit_lines AS (
  SELECT r.rule_id, {LINE}, r.previous_discharge, r.days_between,
         SUM(l.amount) OVER (PARTITION BY r.rule_id, l.mdtrt_id) AS amount_at_issue,
         ROW_NUMBER() OVER (PARTITION BY r.rule_id, l.mdtrt_id
                            ORDER BY l.fee_day, l.fee_time NULLS LAST, l.feedetl_sn) AS n
  FROM readmitted r
  JOIN lines l ON l.mdtrt_id = r.mdtrt_id
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       amount_at_issue, previous_discharge, days_between
FROM visit_lines
WHERE n = 1
"""

_READMISSION_TABLES = (
    params_table("p_readmission", {"within_days": _I, "same_institution": _B}),
    list_table("p_readmission_med_type", "inpatient_med_types", "med_type"),
    list_table("p_readmission_exempt", "exempt_diagnoses", "prefix"),
)

QUERIES = (
    FamilyQuery("course", COURSE, trigger="code", typed={"new_course_after_days": _I, "across": _B},
                param_columns=lambda r: {"measure": r.params["measure"],
                                         "new_course_after_days": r.params["new_course_after_days"],
                                         "across": bool(r.params["across_institutions"])},
                history=True),
    FamilyQuery("readmission", READMISSION, param_tables=_READMISSION_TABLES, history=True),
    *stays.QUERIES,
)  # fmt: skip
