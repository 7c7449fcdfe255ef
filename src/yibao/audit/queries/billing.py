"""The billing families: main and secondary operations, bundled content, split billing, stacking.

主次操作 (main_secondary_operation), 除外内容/打包 (bundled), 分解收费/重复记账 (split_billing) and
叠加用药 (same_class_stacking). Each compares lines of one visit with each other; the ``window``
parameter (``day`` | ``visit``) says whether they must share the fee date. Lines are ordered by
fee date, fee time (unknown last) and line number (``feedetl_sn``, numerically when it is digits).

Which lines and which amount are at issue:

* main_secondary_operation: among one visit's operations of one group in the window, the one with
  the dearest catalogue price (``pric_uplmt`` when the line carries it, else the billed ``pric``;
  ties: the earliest line) is the main operation. Each other line may cost at most
  ``secondary_ratio`` × catalogue price × operations, where a line is ``cnt`` operations (at least
  one: a discount entered as ``cnt`` 0.5 is one operation billed at half); a main line of
  ``cnt`` > 1 may cost one full price plus the ratio for each further one. At issue: the line's
  amount above what it may cost (``amount_at_issue``). A line of several groups is found once,
  through the group where the excess is largest (then the first group by name). Without
  ``pric_uplmt``, a secondary operation already billed at a reduced unit price looks like a full
  price: such data needs ``pric_uplmt``.
* bundled: the whole consumable line billed beside the item whose price includes it (the
  consumable's code equals the row's ``consumable``, or starts with it for ``prefix``); found
  once however many item lines or rows match.
* split_billing: the whole ``code_b`` line when ``code_a`` is billed in the window; found once.
* same_class_stacking: the drugs of one listed class (characters 2–6 of the national code) in the
  window are ordered by when each drug (the first ``drug_key_length`` characters of the code)
  was first billed in the visit. The first ``min_drugs`` − 1 drugs are kept; every line of a later
  drug in that window is found, whole. ``drugs`` names the first drug and the drug found
  (冠心宁注射液、舒血宁注射液).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yibao.audit.model import Rule
from yibao.audit.queries.base import JOIN, LINE, FamilyQuery, mapping_param
from yibao.kernel.money import fen

__all__ = ["QUERIES"]

#: the COMMON columns of a CTE row (after ``rule_id``)
_ROW = "mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv"
#: fee lines in the order they happened (line numbers compared as numbers when digits)
_ORDER = "{p}fee_day, {p}fee_epoch_s NULLS LAST, LENGTH({p}feedetl_sn), {p}feedetl_sn"

MAIN_SECONDARY = f"""
WITH ops AS (
  SELECT k.rule_id, k.code, k.name, k.grp, k.source, k.secondary_ratio, {LINE},
         l.fee_day, l.fee_epoch_s,
         COALESCE(l.pric_uplmt, l.pric) AS list_price,
         CASE WHEN l.cnt > 1 THEN l.cnt ELSE CAST(1 AS DECIMAL(16, 4)) END AS operations,
         CASE WHEN k.win_mode = 'day' THEN l.fee_day ELSE 0 END AS part
  FROM lines l
  JOIN k_main_secondary_operation k ON k.code = l.code
  {JOIN}
), ranked AS (
  SELECT o.*,
         ROW_NUMBER() OVER (PARTITION BY rule_id, mdtrt_id, grp, part
                            ORDER BY list_price DESC, {_ORDER.format(p="")}) AS rank_no,
         FIRST_VALUE(name) OVER (PARTITION BY rule_id, mdtrt_id, grp, part
                                 ORDER BY list_price DESC, {_ORDER.format(p="")}) AS main_name
  FROM ops o
), priced AS (
  SELECT r.*,
         CASE WHEN rank_no = 1
              THEN list_price + secondary_ratio * list_price * (operations - 1)
              ELSE secondary_ratio * list_price * operations END AS allowed_price
  FROM ranked r
), picked AS (
  SELECT p.*,
         ROW_NUMBER() OVER (PARTITION BY rule_id, mdtrt_id, feedetl_sn
                            ORDER BY amount - allowed_price DESC, grp) AS pick
  FROM priced p
  WHERE amount > allowed_price
)
SELECT rule_id, {_ROW}, amount - allowed_price AS amount_at_issue,
       code, name, grp, source, main_name, allowed_price
FROM picked
WHERE pick = 1
"""

_CONSUMABLE = """(CASE WHEN k.consumable_match = 'prefix'
                 THEN SUBSTR(c.code, 1, LENGTH(k.consumable)) ELSE c.code END) = k.consumable"""

BUNDLED = f"""
WITH hits AS (
  SELECT k.rule_id, c.mdtrt_id, c.psn_no, c.feedetl_sn, c.amount, c.fee_date, c.admdvs,
         c.hosp_lv, k.item_code, k.item_name, k.consumable, k.consumable_name, k.source,
         c.code AS billed_code, c.name AS billed_name, i.feedetl_sn AS item_sn,
         ROW_NUMBER() OVER (PARTITION BY k.rule_id, c.mdtrt_id, c.feedetl_sn
                            ORDER BY k.item_code, k.consumable, {_ORDER.format(p="i.")}) AS pick
  FROM k_bundled k
  {JOIN}
  JOIN lines i ON i.code = k.item_code
  JOIN lines c ON c.mdtrt_id = i.mdtrt_id AND c.feedetl_sn <> i.feedetl_sn
              AND (k.win_mode = 'visit' OR c.fee_day = i.fee_day)
              AND {_CONSUMABLE}
)
SELECT rule_id, {_ROW}, item_code, item_name, consumable, consumable_name, source,
       billed_code, billed_name, item_sn
FROM hits
WHERE pick = 1
"""

SPLIT_BILLING = f"""
WITH hits AS (
  SELECT k.rule_id, b.mdtrt_id, b.psn_no, b.feedetl_sn, b.amount, b.fee_date, b.admdvs,
         b.hosp_lv, k.code_a, k.name_a, k.code_b, k.name_b, k.source, a.feedetl_sn AS a_sn,
         ROW_NUMBER() OVER (PARTITION BY k.rule_id, b.mdtrt_id, b.feedetl_sn
                            ORDER BY k.code_a, {_ORDER.format(p="a.")}) AS pick
  FROM k_split_billing k
  {JOIN}
  JOIN lines b ON b.code = k.code_b
  JOIN lines a ON a.mdtrt_id = b.mdtrt_id AND a.code = k.code_a
              AND a.feedetl_sn <> b.feedetl_sn
              AND (k.win_mode = 'visit' OR a.fee_day = b.fee_day)
)
SELECT rule_id, {_ROW}, code_a, name_a, code_b, name_b, source, a_sn
FROM hits
WHERE pick = 1
"""

_CLASS = "PARTITION BY rule_id, mdtrt_id, drug_class"
SAME_CLASS_STACKING = f"""
WITH used AS (
  SELECT k.rule_id, k.drug_class, k.class_name, k.source, k.min_drugs, {LINE},
         l.code, l.name, l.fee_day, l.fee_epoch_s,
         SUBSTR(l.code, 1, CASE WHEN SUBSTR(l.code, 1, 1) = 'X' THEN k.key_x ELSE k.key_z END)
           AS drug_key,
         CASE WHEN k.win_mode = 'day' THEN l.fee_day ELSE 0 END AS part
  FROM lines l
  JOIN k_same_class_stacking k ON k.drug_class = SUBSTR(l.code, 2, 5)
  {JOIN}
  WHERE SUBSTR(l.code, 1, 1) IN ('X', 'Z')
), numbered AS (
  SELECT u.*, ROW_NUMBER() OVER ({_CLASS} ORDER BY {_ORDER.format(p="")}) AS line_no
  FROM used u
), started AS (
  SELECT n.*, MIN(line_no) OVER ({_CLASS}, drug_key) AS drug_start
  FROM numbered n
), ranked AS (
  SELECT s.*, DENSE_RANK() OVER ({_CLASS}, part ORDER BY drug_start) AS drug_no
  FROM started s
), named AS (
  SELECT r.*,
         MIN(CASE WHEN drug_no = 1 THEN name END) OVER ({_CLASS}, part) AS first_drug,
         MAX(drug_no) OVER ({_CLASS}, part) AS drug_count
  FROM ranked r
)
SELECT rule_id, {_ROW}, drug_class, class_name, source, code, name, drug_key, first_drug,
       drug_count
FROM named
WHERE drug_no >= min_drugs
"""


def _stacking_params(rule: Rule) -> Mapping[str, Any]:
    keys = mapping_param(rule, "drug_key_length")
    return {"win_mode": rule.params["window"], "min_drugs": rule.params["min_drugs"],
            "key_x": keys["X"], "key_z": keys["Z"]}  # fmt: skip


def _window(rule: Rule) -> Mapping[str, Any]:
    return {"win_mode": rule.params["window"]}


QUERIES = (
    FamilyQuery("main_secondary_operation", MAIN_SECONDARY, trigger="code",
                param_columns=lambda r: {**_window(r),
                                         "secondary_ratio": r.params["secondary_ratio"]},
                typed={"secondary_ratio": "DECIMAL(5, 4)"},
                fills=lambda r: {"billed_price": str(r["amount"]),
                                 "allowed_price": str(fen(r["allowed_price"]))}),
    FamilyQuery("bundled", BUNDLED, trigger="item_code",
                param_columns=lambda r: {**_window(r),
                                         "consumable_match": r.params["consumable_match"]},
                fills=lambda r: {"consumable_billed": f"{r['billed_name']} {r['amount']}元"}),
    FamilyQuery("split_billing", SPLIT_BILLING, trigger="code_b", param_columns=_window),
    FamilyQuery("same_class_stacking", SAME_CLASS_STACKING, trigger="drug_class",
                param_columns=_stacking_params,
                typed={"min_drugs": "INTEGER", "key_x": "INTEGER", "key_z": "INTEGER"},
                fills=lambda r: {"drugs": f"{r['first_drug']}、{r['name']}"}),
)  # fmt: skip
