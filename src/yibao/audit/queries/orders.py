"""The order families: prescriptions, quantities against the order, prices, discharge medication.

处方限量 (prescription_limit), 超量/计量单位 (quantity_unit), 超限价 (price_ceiling) and 出院带药超量
(discharge_medication). Three of them have no table (or an optional one), so their parameters
come from parameter tables (``p_<family>``, one row per rule) rather than ``k_<family>``.

Which lines and which amount are at issue (one finding per line and rule):

* prescription_limit: the lines of one prescription (visit + ``rx_no``), discharge medication
  (``dscg_med_flag``) left to discharge_medication. Western and patent medicine
  (``med_chrgitm_type`` 09, 11): a line of the (``max_drugs`` + 1)-th and later drug (drugs in
  the order first billed) is at issue whole; otherwise a line whose ``medc_days`` exceeds the
  visit's limit (``emergency_days`` for ``emergency_med_types``, else ``chronic_days`` for
  ``chronic_med_types``, else ``outpatient_days``) is at issue for the days beyond it:
  amount × (medc_days − limit) / medc_days. 中药饮片 (10): a line of the (``herbal_max_herbs`` +
  1)-th and later herb (``herbal_max_herbs_special`` for chronic med types) whole; otherwise,
  when the prescription's ``doses`` (剂数, one dose a day) exceed ``herbal_max_doses``, the doses
  beyond: amount × (doses − limit) / doses. Fills: ``rx_no``; ``days``: the line's days of
  supply (the doses for herbs); ``limit``: the limit broken (days, doses, or number of drugs or
  herbs); ``drugs``: how many drugs (herbs) the prescription has; ``excess``: the finding in
  words (用药10天，超过7天 / 药品6种，超过5种 / 中药饮片8剂，超过5剂 / 中药饮片16味，超过15味).
* quantity_unit: a line with an ordered quantity whose billed quantity, converted to order units
  (the table row of the code, billed and order units: ``order_units_per_billed``; or 1 when
  ``compare_same_unit`` and both units are the same text), exceeds the ordered quantity ×
  (1 + ``tolerance``). At issue: the billed quantity beyond that, × the line's price: amount ×
  (billed − ordered × (1 + tolerance)) / billed, in order units.
* price_ceiling: a line whose unit price exceeds the ceiling (``catalog``: the line's
  ``pric_uplmt``; ``table``: the rule's row for the code and the institution's tier) plus
  ``tolerance``. At issue: (pric − ceiling − tolerance) × cnt, at most the line's amount.
* discharge_medication: lines flagged as taken home. A drug line (``med_chrgitm_type`` in
  ``drug_types``, or no type and a drug code) whose ``medc_days`` exceed ``max_days``
  (``chronic_max_days`` when the visit's med type is chronic: the rule's ``chronic_med_types``
  if it ever has one, else 14, 140104, 140201, 140401 as for prescription_limit) is at issue for
  the days beyond: amount × (medc_days − limit) / medc_days; any other line, unless
  ``items_allowed``, whole. Fills: ``days`` (the line's ``medc_days``, — when it has none);
  in the detail: ``limit``, ``kind`` (drug | item) and ``excess`` (带药10天，超过7天 /
  带检查治疗项目出院).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from yibao.audit.model import Rule
from yibao.audit.queries.base import LINE, FamilyQuery, ParamTable

__all__ = ["QUERIES"]

#: the COMMON columns of a CTE row (after ``rule_id``)
_ROW = "mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv"
#: the chronic (门诊慢特病) med types when a rule's parameters name none
_CHRONIC = ("14", "140104", "140201", "140401")

_RX_PARTITION = "PARTITION BY rule_id, mdtrt_id, rx_no, kind"
PRESCRIPTION_LIMIT = f"""
WITH rx AS (
  SELECT r.rule_id, {LINE}, l.rx_no, l.code, l.name, l.medc_days, l.doses, l.fee_day,
         l.fee_epoch_s,
         CASE WHEN l.med_chrgitm_type = '10' THEN 'herbal' ELSE 'drug' END AS kind,
         CASE WHEN e.rule_id IS NOT NULL THEN r.emergency_days
              WHEN c.rule_id IS NOT NULL THEN r.chronic_days
              ELSE r.outpatient_days END AS day_limit,
         CASE WHEN l.med_chrgitm_type <> '10' THEN r.max_drugs
              WHEN c.rule_id IS NOT NULL THEN r.herbal_max_herbs_special
              ELSE r.herbal_max_herbs END AS count_limit,
         r.herbal_max_doses
  FROM lines l
  CROSS JOIN p_prescription_limit r
  JOIN active_rules a ON a.rule_id = r.rule_id
  LEFT JOIN p_prescription_med_type e ON e.rule_id = r.rule_id AND e.kind = 'emergency'
                                     AND e.med_type = l.med_type
  LEFT JOIN p_prescription_med_type c ON c.rule_id = r.rule_id AND c.kind = 'chronic'
                                     AND c.med_type = l.med_type
  WHERE l.rx_no IS NOT NULL AND l.med_chrgitm_type IN ('09', '10', '11')
    AND (l.dscg_med_flag IS NULL OR l.dscg_med_flag = FALSE)
), numbered AS (
  SELECT x.*, ROW_NUMBER() OVER ({_RX_PARTITION}
         ORDER BY fee_day, fee_epoch_s NULLS LAST, LENGTH(feedetl_sn), feedetl_sn) AS line_no
  FROM rx x
), started AS (
  SELECT n.*, MIN(line_no) OVER ({_RX_PARTITION}, code) AS drug_start
  FROM numbered n
), ranked AS (
  SELECT s.*, DENSE_RANK() OVER ({_RX_PARTITION} ORDER BY drug_start) AS drug_no
  FROM started s
), checked AS (
  SELECT d.*, MAX(drug_no) OVER ({_RX_PARTITION}) AS drug_count,
         CASE WHEN drug_no > count_limit THEN CASE WHEN kind = 'herbal' THEN 'herbs'
                                                   ELSE 'drugs' END
              WHEN kind = 'drug' AND medc_days > day_limit THEN 'days'
              WHEN kind = 'herbal' AND doses > herbal_max_doses THEN 'doses' END AS broken
  FROM ranked d
)
SELECT rule_id, {_ROW},
       CASE broken WHEN 'days' THEN medc_days WHEN 'doses' THEN doses ELSE 1 END AS cnt,
       CASE broken WHEN 'days' THEN medc_days - day_limit
                   WHEN 'doses' THEN doses - herbal_max_doses ELSE 1 END AS excess_cnt,
       code, name, rx_no, broken,
       CASE WHEN kind = 'herbal' THEN doses ELSE medc_days END AS days,
       CASE broken WHEN 'days' THEN day_limit WHEN 'doses' THEN herbal_max_doses
                   ELSE count_limit END AS lim,
       drug_count AS drugs
FROM checked
WHERE broken IS NOT NULL
"""

QUANTITY_UNIT = f"""
WITH compared AS (
  SELECT r.rule_id, {LINE}, COALESCE(k.code, l.code) AS code, COALESCE(k.name, l.name) AS name,
         l.billed_unit, l.order_unit, k.source, l.cnt AS quantity, l.order_cnt AS order_quantity,
         r.tolerance,
         COALESCE(k.order_units_per_billed, CAST(1 AS DECIMAL(16, 4))) AS order_units_per_billed
  FROM lines l
  CROSS JOIN p_quantity_unit r
  JOIN active_rules a ON a.rule_id = r.rule_id
  LEFT JOIN k_quantity_unit k ON k.rule_id = r.rule_id AND k.code = l.code
                             AND k.billed_unit = l.billed_unit AND k.order_unit = l.order_unit
  WHERE l.order_cnt IS NOT NULL
    AND (k.rule_id IS NOT NULL OR (r.compare_same_unit AND l.billed_unit = l.order_unit))
)
SELECT rule_id, {_ROW},
       quantity * order_units_per_billed AS cnt,
       quantity * order_units_per_billed - order_quantity * (1 + tolerance) AS excess_cnt,
       code, name, billed_unit, order_unit, order_units_per_billed, source, quantity,
       order_quantity
FROM compared
WHERE quantity * order_units_per_billed > order_quantity * (1 + tolerance)
"""

PRICE_CEILING = f"""
WITH priced AS (
  SELECT r.rule_id, {LINE}, l.code, COALESCE(k.name, l.name) AS name, t.tier, k.source,
         l.cnt, l.pric AS unit_price, r.tolerance,
         CASE WHEN r.ceilings = 'table' THEN k.max_price ELSE l.pric_uplmt END AS ceiling
  FROM lines l
  CROSS JOIN p_price_ceiling r
  JOIN active_rules a ON a.rule_id = r.rule_id
  LEFT JOIN hosp_lv_rank h ON h.hosp_lv = l.hosp_lv
  LEFT JOIN tier_rank t ON t.tier_rank = h.tier_rank
  LEFT JOIN k_price_ceiling k ON r.ceilings = 'table' AND k.rule_id = r.rule_id
                             AND k.code = l.code AND k.tier = t.tier
), excess AS (
  SELECT p.*, (unit_price - ceiling - tolerance) * cnt AS over_ceiling
  FROM priced p
  WHERE ceiling IS NOT NULL AND unit_price > ceiling + tolerance
)
SELECT rule_id, {_ROW},
       CASE WHEN over_ceiling > amount THEN amount ELSE over_ceiling END AS amount_at_issue,
       code, name, tier, source, unit_price, ceiling
FROM excess
"""

DISCHARGE_MEDICATION = f"""
WITH home AS (
  SELECT r.rule_id, {LINE}, l.code, l.name, l.medc_days, r.items_allowed,
         CASE WHEN t.rule_id IS NOT NULL
                   OR (l.med_chrgitm_type IS NULL AND SUBSTR(l.code, 1, 1) IN ('X', 'Z'))
              THEN 'drug' ELSE 'item' END AS kind,
         CASE WHEN c.rule_id IS NOT NULL THEN r.chronic_max_days ELSE r.max_days END AS lim
  FROM lines l
  CROSS JOIN p_discharge_medication r
  JOIN active_rules a ON a.rule_id = r.rule_id
  LEFT JOIN p_discharge_code t ON t.rule_id = r.rule_id AND t.kind = 'drug_type'
                              AND t.value = l.med_chrgitm_type
  LEFT JOIN p_discharge_code c ON c.rule_id = r.rule_id AND c.kind = 'chronic'
                              AND c.value = l.med_type
  WHERE l.dscg_med_flag = TRUE
)
SELECT rule_id, {_ROW},
       CASE WHEN kind = 'drug' THEN medc_days ELSE 1 END AS cnt,
       CASE WHEN kind = 'drug' THEN medc_days - lim ELSE 1 END AS excess_cnt,
       code, name, kind, medc_days AS days, lim
FROM home
WHERE (kind = 'drug' AND medc_days > lim) OR (kind = 'item' AND items_allowed = FALSE)
"""

_EXCESS = {
    "days": "用药{days}天，超过{lim}天",
    "doses": "中药饮片{days}剂，超过{lim}剂",
    "drugs": "药品{drugs}种，超过{lim}种",
    "herbs": "中药饮片{drugs}味，超过{lim}味",
}


def _prescription_fills(row: Mapping[str, Any]) -> Mapping[str, str]:
    values = {k: "" if row[k] is None else str(row[k]) for k in ("days", "lim", "drugs")}
    return {"limit": values["lim"], "excess": _EXCESS[str(row["broken"])].format(**values)}


def _discharge_fills(row: Mapping[str, Any]) -> Mapping[str, str]:
    days = "—" if row["days"] is None else str(row["days"])
    excess = f"带药{days}天，超过{row['lim']}天" if row["kind"] == "drug" else "带检查治疗项目出院"
    return {"days": days, "limit": str(row["lim"]), "excess": excess}


def _price_text(value: Decimal) -> str:
    """A unit price with at least two decimals and no trailing zeros beyond (25.00, 0.125)."""
    text = format(value.normalize(), "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _one_row(rule: Rule, *names: str) -> Iterator[dict[str, Any]]:
    yield {"rule_id": rule.rule_id, **{n: rule.params[n] for n in names}}


def _codes(rule: Rule, **kinds: str) -> Iterator[dict[str, Any]]:
    """One row per code of each list parameter: ``kind`` → parameter name (or chronic)."""
    for kind, name in kinds.items():
        codes = rule.params.get(name, _CHRONIC if name == "chronic_med_types" else ())
        for code in codes if isinstance(codes, tuple | list) else ():
            yield {"rule_id": rule.rule_id, "kind": kind, "value": str(code)}


_V, _I, _B = "VARCHAR", "INTEGER", "BOOLEAN"
_RX_LIMITS = ("outpatient_days", "emergency_days", "chronic_days", "max_drugs",
              "herbal_max_doses", "herbal_max_herbs", "herbal_max_herbs_special")  # fmt: skip
_RX = ParamTable("p_prescription_limit", {"rule_id": _V, **dict.fromkeys(_RX_LIMITS, _I)},
                 lambda r: _one_row(r, *_RX_LIMITS))  # fmt: skip
_RX_MED_TYPES = ParamTable(
    "p_prescription_med_type", {"rule_id": _V, "kind": _V, "med_type": _V},
    lambda r: ({"rule_id": c["rule_id"], "kind": c["kind"], "med_type": c["value"]}
               for c in _codes(r, emergency="emergency_med_types",
                               chronic="chronic_med_types")),
)  # fmt: skip
_QUANTITY = ParamTable("p_quantity_unit", {"rule_id": _V, "tolerance": "DECIMAL(5, 4)",
                       "compare_same_unit": _B},
                       lambda r: _one_row(r, "tolerance", "compare_same_unit"))  # fmt: skip
_PRICE = ParamTable("p_price_ceiling", {"rule_id": _V, "ceilings": _V,
                    "tolerance": "DECIMAL(16, 2)"},
                    lambda r: _one_row(r, "ceilings", "tolerance"))  # fmt: skip
_DISCHARGE = ParamTable("p_discharge_medication", {"rule_id": _V, "max_days": _I,
                        "chronic_max_days": _I, "items_allowed": _B},
                        lambda r: _one_row(r, "max_days", "chronic_max_days",
                                           "items_allowed"))  # fmt: skip
_DISCHARGE_CODES = ParamTable(
    "p_discharge_code",
    {"rule_id": _V, "kind": _V, "value": _V},
    lambda r: _codes(r, drug_type="drug_types", chronic="chronic_med_types"),
)

QUERIES = (
    FamilyQuery("prescription_limit", PRESCRIPTION_LIMIT, param_tables=(_RX, _RX_MED_TYPES),
                fills=_prescription_fills),
    FamilyQuery("quantity_unit", QUANTITY_UNIT, param_tables=(_QUANTITY,),
                typed={"order_units_per_billed": "DECIMAL(16, 4)"}),
    FamilyQuery("price_ceiling", PRICE_CEILING, param_tables=(_PRICE,),
                typed={"max_price": "DECIMAL(16, 6)"},
                fills=lambda r: {"unit_price": _price_text(r["unit_price"]),
                                 "ceiling": _price_text(r["ceiling"])}),
    FamilyQuery("discharge_medication", DISCHARGE_MEDICATION,
                param_tables=(_DISCHARGE, _DISCHARGE_CODES),
                fills=_discharge_fills),
)  # fmt: skip
