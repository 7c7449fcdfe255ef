"""The stay families: idle inpatient days, and one person's visits at two places at once.

挂床住院 (bed_blocking) and 冒名就医/同时两地 (overlapping_visits); the module also holds the helpers
the history families share (:func:`day_number`, :func:`params_table`, :func:`list_table`). Its
queries are evaluated through :mod:`yibao.audit.queries.history`, which lists them.

bed_blocking — an inpatient visit (``med_type`` in ``inpatient_med_types``). Its counted days run
from admission to discharge, without both when ``skip_admission_and_discharge_days``; a stay with
no discharge date yet runs to its last fee day (no discharge day to skip). A counted day is idle
when the visit has no line that day, or only lines whose ``med_chrgitm_type`` is one of
``non_treatment_types`` (a line of unknown type counts as treatment). More than ``max_idle_days``
idle days is a finding. Lines at issue: every line of an idle day after the ``max_idle_days``-th
idle day (idle days in date order, lineless ones counted), each whole. When none of those later
idle days carries a line (bed fees billed in one lump on a skipped day), the stay is still
reported: one finding on the visit's first line with 0.00 at issue, so that it is reviewed.

overlapping_visits — an inpatient visit (the med types of ``inpatient_med_types`` when the rule
has it, else the 住院 types of docs/audit-rules.md) and another visit of the same person at
another institution: an inpatient one, or any visit when ``include_outpatient``. Both are ranges
of days (a visit without a discharge date ends on its last fee day, or its first day). With
``ignore_edge_days`` an outpatient visit on the admission or discharge day does not count: the
stay's own days are then taken without those two days. An overlap of at least
``min_overlap_days`` days is a finding on the inpatient visit (a stay overlapping another stay is
found on both). Lines at issue: the stay's lines dated within the overlap, each whole (a line in
several overlaps is found once, with the earliest other visit); a stay with no line in the
overlap is reported on its first line with 0.00 at issue.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yibao.audit.model import Rule
from yibao.audit.queries.base import LINE, FamilyQuery, ParamTable

__all__ = ["QUERIES", "day_number", "list_table", "params_table"]

_V, _I, _B = "VARCHAR", "INTEGER", "BOOLEAN"


def day_number(column: str) -> str:
    """SQL: the DATE ``column`` as days since 1970-01-01 (NULL stays NULL).

    The civil-calendar day count (a year starting in March, so that February ends it), in integer
    arithmetic over EXTRACT(YEAR/MONTH/DAY): the same result on DuckDB and Spark.
    """
    y, m, d = (f"EXTRACT({part} FROM {column})" for part in ("YEAR", "MONTH", "DAY"))
    year = f"({y} + 4799 + CASE WHEN {m} > 2 THEN 1 ELSE 0 END)"
    month = f"({m} + CASE WHEN {m} > 2 THEN -3 ELSE 9 END)"
    return (
        f"CAST({d} + FLOOR((153 * {month} + 2) / 5) + 365 * {year} + FLOOR({year} / 4)"
        f" - FLOOR({year} / 100) + FLOOR({year} / 400) - 2472633 AS INTEGER)"
    )


def params_table(name: str, columns: Mapping[str, str]) -> ParamTable:
    """A table of one row per rule: ``rule_id`` and the rule's parameters named by ``columns``."""

    def rows(rule: Rule) -> Iterator[dict[str, Any]]:
        yield {"rule_id": rule.rule_id, **{c: rule.params[c] for c in columns}}

    return ParamTable(name, {"rule_id": _V, **columns}, rows)


def list_table(name: str, param: str, column: str, default: tuple[str, ...] = ()) -> ParamTable:
    """A table of one row per item of the rule's list parameter ``param`` (``default`` if absent)."""

    def rows(rule: Rule) -> Iterator[dict[str, Any]]:
        items = rule.params.get(param, default)
        for item in items if isinstance(items, tuple | list) else default:
            yield {"rule_id": rule.rule_id, column: str(item)}

    return ParamTable(name, {"rule_id": _V, column: _V}, rows)


#: the 住院 med types (params.INPATIENT) for a rule whose parameters do not name them
INPATIENT = ("21", "22", "23", "24", "25", "26", "28", "52", "2114", "210104")
_FIRST_LINE = "ORDER BY l.fee_day, l.fee_time NULLS LAST, l.feedetl_sn"
_SKIP = "CASE WHEN p.skip_admission_and_discharge_days THEN 1 ELSE 0 END"
_AT_ISSUE = """SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       amount_at_issue, {fills}
FROM at_issue
WHERE pick = 1
UNION ALL
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       amount_at_issue, {fills}
FROM fallback
WHERE pick = 1"""

BED_BLOCKING = f"""
WITH last_fee AS (
  SELECT mdtrt_id, MAX(fee_day) AS last_fee_day FROM lines GROUP BY mdtrt_id
), stays AS (
  SELECT p.rule_id, p.max_idle_days, v.mdtrt_id,
         {day_number("v.visit_begin")} + {_SKIP} AS first_day,
         CASE WHEN v.visit_end IS NULL THEN f.last_fee_day
              ELSE {day_number("v.visit_end")} - {_SKIP} END AS last_day
  FROM visits v
  JOIN p_bed_blocking_med_type m ON m.med_type = v.med_type
  JOIN p_bed_blocking p ON p.rule_id = m.rule_id
  JOIN active_rules a ON a.rule_id = p.rule_id
  LEFT JOIN last_fee f ON f.mdtrt_id = v.mdtrt_id
), days AS (
  SELECT s.rule_id, s.mdtrt_id, l.fee_day,
         MAX(CASE WHEN t.rule_id IS NULL THEN 1 ELSE 0 END) AS treated
  FROM stays s
  JOIN lines l ON l.mdtrt_id = s.mdtrt_id AND l.fee_day >= s.first_day AND l.fee_day <= s.last_day
  LEFT JOIN p_bed_blocking_type t ON t.rule_id = s.rule_id
                                 AND t.med_chrgitm_type = l.med_chrgitm_type
  GROUP BY s.rule_id, s.mdtrt_id, l.fee_day
), idle AS (
  SELECT s.rule_id, s.mdtrt_id, s.max_idle_days, s.first_day,
         s.last_day - s.first_day + 1 - COALESCE(SUM(d.treated), 0) AS idle_days
  FROM stays s
  LEFT JOIN days d ON d.rule_id = s.rule_id AND d.mdtrt_id = s.mdtrt_id
  GROUP BY s.rule_id, s.mdtrt_id, s.max_idle_days, s.first_day, s.last_day
), blocked AS (
  SELECT * FROM idle WHERE idle_days > max_idle_days
), ranked AS (
  SELECT d.rule_id, d.mdtrt_id, d.fee_day, d.treated, b.max_idle_days, b.idle_days,
         d.fee_day - b.first_day + 1
           - SUM(d.treated) OVER (PARTITION BY d.rule_id, d.mdtrt_id ORDER BY d.fee_day
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS idle_rank
  FROM days d
  JOIN blocked b ON b.rule_id = d.rule_id AND b.mdtrt_id = d.mdtrt_id
), at_issue AS (
  SELECT r.rule_id, {LINE}, l.amount AS amount_at_issue, r.idle_days, 1 AS pick
  FROM ranked r
  JOIN lines l ON l.mdtrt_id = r.mdtrt_id AND l.fee_day = r.fee_day
  WHERE r.treated = 0 AND r.idle_rank > r.max_idle_days
), fallback AS (
  SELECT b.rule_id, {LINE}, CAST(0 AS DECIMAL(16, 2)) AS amount_at_issue, b.idle_days,
         ROW_NUMBER() OVER (PARTITION BY b.rule_id, l.mdtrt_id {_FIRST_LINE}) AS pick
  FROM blocked b
  JOIN lines l ON l.mdtrt_id = b.mdtrt_id
  LEFT JOIN (SELECT DISTINCT rule_id, mdtrt_id FROM at_issue) x
         ON x.rule_id = b.rule_id AND x.mdtrt_id = b.mdtrt_id
  WHERE x.rule_id IS NULL
)
{_AT_ISSUE.format(fills="idle_days")}
"""

_EDGE = "CASE WHEN s.ignore_edge_days AND o.inpatient = 0 THEN 1 ELSE 0 END"
OVERLAPPING_VISITS = f"""
WITH last_fee AS (
  SELECT mdtrt_id, MAX(fee_day) AS last_fee_day FROM lines GROUP BY mdtrt_id
), spans AS (
  SELECT v.mdtrt_id, v.psn_no, v.fixmedins_code, v.med_type,
         {day_number("v.visit_begin")} AS begin_day,
         COALESCE({day_number("v.visit_end")}, f.last_fee_day,
                  {day_number("v.visit_begin")}) AS end_day
  FROM visits v
  LEFT JOIN last_fee f ON f.mdtrt_id = v.mdtrt_id
), typed AS (
  SELECT p.rule_id, p.min_overlap_days, p.include_outpatient, p.ignore_edge_days, s.*,
         CASE WHEN m.rule_id IS NULL THEN 0 ELSE 1 END AS inpatient
  FROM spans s
  CROSS JOIN p_overlapping_visits p
  JOIN active_rules a ON a.rule_id = p.rule_id
  LEFT JOIN p_overlapping_visits_med_type m ON m.rule_id = p.rule_id AND m.med_type = s.med_type
), pairs AS (
  SELECT s.rule_id, s.mdtrt_id, s.min_overlap_days, o.mdtrt_id AS other_mdtrt_id,
         o.begin_day AS other_begin, o.fixmedins_code AS other_institution,
         GREATEST(s.begin_day + {_EDGE}, o.begin_day) AS from_day,
         LEAST(s.end_day - {_EDGE}, o.end_day) AS to_day
  FROM typed s
  JOIN typed o ON o.rule_id = s.rule_id AND o.psn_no = s.psn_no
              AND o.fixmedins_code <> s.fixmedins_code
  WHERE s.inpatient = 1 AND (o.inpatient = 1 OR s.include_outpatient)
), overlapping AS (
  SELECT p.*, to_day - from_day + 1 AS overlap_days
  FROM pairs p
  WHERE to_day - from_day + 1 >= min_overlap_days
), at_issue AS (
  SELECT o.rule_id, {LINE}, l.amount AS amount_at_issue, o.other_institution, o.overlap_days,
         ROW_NUMBER() OVER (PARTITION BY o.rule_id, l.mdtrt_id, l.feedetl_sn
                            ORDER BY o.other_begin, o.other_mdtrt_id) AS pick
  FROM overlapping o
  JOIN lines l ON l.mdtrt_id = o.mdtrt_id AND l.fee_day >= o.from_day AND l.fee_day <= o.to_day
), fallback AS (
  SELECT o.rule_id, {LINE}, CAST(0 AS DECIMAL(16, 2)) AS amount_at_issue, o.other_institution,
         o.overlap_days,
         ROW_NUMBER() OVER (PARTITION BY o.rule_id, l.mdtrt_id
                            ORDER BY o.other_begin, o.other_mdtrt_id, l.fee_day,
                                     l.fee_time NULLS LAST, l.feedetl_sn) AS pick
  FROM overlapping o
  JOIN lines l ON l.mdtrt_id = o.mdtrt_id
  LEFT JOIN (SELECT DISTINCT rule_id, mdtrt_id FROM at_issue) x
         ON x.rule_id = o.rule_id AND x.mdtrt_id = o.mdtrt_id
  WHERE x.rule_id IS NULL
)
{_AT_ISSUE.format(fills="other_institution, overlap_days")}
"""

_BED_TABLES = (
    params_table("p_bed_blocking", {"max_idle_days": _I,
                                    "skip_admission_and_discharge_days": _B}),
    list_table("p_bed_blocking_med_type", "inpatient_med_types", "med_type"),
    list_table("p_bed_blocking_type", "non_treatment_types", "med_chrgitm_type"),
)  # fmt: skip
_OVERLAP_TABLES = (
    params_table("p_overlapping_visits", {"min_overlap_days": _I, "include_outpatient": _B,
                                          "ignore_edge_days": _B}),
    list_table("p_overlapping_visits_med_type", "inpatient_med_types", "med_type", INPATIENT),
)  # fmt: skip

QUERIES = (
    FamilyQuery("bed_blocking", BED_BLOCKING, param_tables=_BED_TABLES),
    FamilyQuery("overlapping_visits", OVERLAPPING_VISITS, param_tables=_OVERLAP_TABLES,
                history=True),
)  # fmt: skip
