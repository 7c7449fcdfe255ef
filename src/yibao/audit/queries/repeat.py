"""The repeat families: too many days, too many a day, too often, or billed twice.

限支付疗程 (pay_course), 限定频次 (frequency), 限定周期 (cycle) and 重复收费 (duplicate_pair).

Amounts at issue:

* pay_course: the whole amount of every line dated after the ``max_days``-th counted day. With
  ``episode = visit`` the days are counted within the visit; with ``episode = person`` within
  the person's lines (every visit, every institution) of the ``lookback_days`` days ending on the
  fee date (a rolling window: ``billed_days`` counts the distinct fee days in it, ``span`` runs
  from its first fee day). The query reads history (``history = True``) for the person episodes;
* frequency: the part of the day's quantity beyond ``max_quantity``, taken from the day's last
  lines (ordered by fee time, then visit and line number); ``count_mode = lines``: each line
  beyond the ``max_quantity``-th, whole;
* cycle: the part beyond ``max_count`` in the ``cycle_days`` days ending on the fee date, taken
  from the latest lines; ``count = days``: the whole lines of a day beyond the limit;
* duplicate_pair: the whole amount of the 从项 (sub) line; with ``flag = both`` the 主项 line too;
  a line in several pairs of one rule is found once (the first pair by main, sub code).
"""

from __future__ import annotations

from yibao.audit.queries.base import JOIN, LINE, FamilyQuery

__all__ = ["QUERIES"]

PAY_COURSE = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.max_days, k.source, k.measure, k.episode, k.lookback_days,
         {LINE}, l.fee_day,
         CASE WHEN k.group_by = 'name' THEN k.name ELSE k.code END AS grp
  FROM lines l
  JOIN k_pay_course k ON k.code = l.code
  {JOIN}
), per_visit AS (
  SELECT u.*,
         DENSE_RANK() OVER (PARTITION BY rule_id, mdtrt_id, grp ORDER BY fee_day) AS billed_day,
         fee_day - MIN(fee_day) OVER (PARTITION BY rule_id, mdtrt_id, grp) + 1 AS span_day
  FROM used u
  WHERE episode = 'visit'
), person_days AS (
  SELECT DISTINCT rule_id, psn_no, grp, fee_day, lookback_days
  FROM used
  WHERE episode = 'person'
), person_window AS (
  SELECT c.rule_id, c.psn_no, c.grp, c.fee_day, COUNT(*) AS billed_day,
         c.fee_day - MIN(p.fee_day) + 1 AS span_day
  FROM person_days c
  JOIN person_days p ON p.rule_id = c.rule_id AND p.psn_no = c.psn_no AND p.grp = c.grp
                    AND p.fee_day <= c.fee_day AND p.fee_day > c.fee_day - c.lookback_days
  GROUP BY c.rule_id, c.psn_no, c.grp, c.fee_day
), per_person AS (
  SELECT u.*, w.billed_day, w.span_day
  FROM used u
  JOIN person_window w ON w.rule_id = u.rule_id AND w.psn_no = u.psn_no AND w.grp = u.grp
                      AND w.fee_day = u.fee_day
), counted AS (
  SELECT n.*, CASE WHEN measure = 'span' THEN span_day ELSE billed_day END AS days
  FROM (SELECT * FROM per_visit UNION ALL SELECT * FROM per_person) n
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       code, name, max_days, source, days
FROM counted
WHERE days > max_days
"""

FREQUENCY = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.max_quantity, k.unit, k.source, {LINE},
         l.cnt, l.fee_day, l.fee_time,
         CASE WHEN k.count_mode = 'lines' THEN CAST(1 AS DECIMAL(16, 4)) ELSE l.cnt END AS qty,
         CASE WHEN k.per = 'person' THEN l.psn_no ELSE l.mdtrt_id END AS owner
  FROM lines l
  JOIN k_frequency k ON k.code = l.code
  {JOIN}
), running AS (
  SELECT u.*,
         SUM(qty) OVER (PARTITION BY rule_id, code, owner, fee_day
                        ORDER BY fee_time NULLS LAST, mdtrt_id, feedetl_sn
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         SUM(qty) OVER (PARTITION BY rule_id, code, owner, fee_day) AS day_quantity
  FROM used u
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       qty AS cnt,
       upto - CASE WHEN upto - qty > max_quantity THEN upto - qty ELSE max_quantity END
         AS excess_cnt,
       code, name, max_quantity, unit, source, day_quantity
FROM running
WHERE upto > max_quantity
"""

CYCLE = f"""
WITH used AS (
  SELECT k.rule_id, k.code, k.name, k.max_count, k.cycle_days, k.source, k.count_mode,
         {LINE}, l.cnt, l.fee_day, l.fee_time,
         CASE WHEN k.across THEN '*' ELSE l.fixmedins_code END AS place
  FROM lines l
  JOIN k_cycle k ON k.code = l.code
  {JOIN}
), seq AS (
  SELECT u.*,
         ROW_NUMBER() OVER (PARTITION BY rule_id, code, psn_no, place
                            ORDER BY fee_day, fee_time NULLS LAST, mdtrt_id, feedetl_sn) AS n
  FROM used u
), windowed AS (
  SELECT c.rule_id, c.mdtrt_id, c.psn_no, c.feedetl_sn, c.amount, c.fee_date, c.admdvs,
         c.hosp_lv, c.cnt, c.code, c.name, c.max_count, c.cycle_days, c.source, c.count_mode,
         SUM(p.cnt) AS quantity_count,
         COUNT(DISTINCT p.fee_day) AS day_count,
         MAX(CASE WHEN p.n < c.n THEN p.fee_date END) AS previous_date
  FROM seq c
  JOIN seq p ON p.rule_id = c.rule_id AND p.code = c.code AND p.psn_no = c.psn_no
            AND p.place = c.place AND p.n <= c.n AND p.fee_day > c.fee_day - c.cycle_days
  GROUP BY c.rule_id, c.mdtrt_id, c.psn_no, c.feedetl_sn, c.amount, c.fee_date, c.admdvs,
           c.hosp_lv, c.cnt, c.code, c.name, c.max_count, c.cycle_days, c.source, c.count_mode
), counted AS (
  SELECT w.*,
         CASE WHEN count_mode = 'days' THEN day_count ELSE quantity_count END AS cycle_count
  FROM windowed w
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv, cnt,
       CASE WHEN count_mode = 'days' THEN cnt
            WHEN quantity_count - cnt > max_count THEN cnt
            ELSE quantity_count - max_count END AS excess_cnt,
       code, name, max_count, cycle_days, source, cycle_count, previous_date
FROM counted
WHERE cycle_count > max_count
"""

_PAIR_SIDE = """
  SELECT rule_id, psn_no, main_code, main_name, sub_code, sub_name, win, note, source,
         {s}_mdtrt_id AS mdtrt_id, {s}_sn AS feedetl_sn, {s}_amount AS amount,
         {s}_fee_date AS fee_date, {s}_admdvs AS admdvs, {s}_hosp_lv AS hosp_lv,
         {o}_sn AS other_sn
  FROM pairs"""

DUPLICATE_PAIR = f"""
WITH pairs AS (
  SELECT k.rule_id, k.main_code, k.main_name, k.sub_code, k.sub_name, k.win, k.note,
         k.source, k.flag, s.psn_no,
         s.mdtrt_id AS sub_mdtrt_id, s.feedetl_sn AS sub_sn, s.amount AS sub_amount,
         s.fee_date AS sub_fee_date, s.admdvs AS sub_admdvs, s.hosp_lv AS sub_hosp_lv,
         m.mdtrt_id AS main_mdtrt_id, m.feedetl_sn AS main_sn, m.amount AS main_amount,
         m.fee_date AS main_fee_date, m.admdvs AS main_admdvs, m.hosp_lv AS main_hosp_lv
  FROM k_duplicate_pair k
  {JOIN}
  JOIN lines s ON s.code = k.sub_code
  JOIN lines m ON m.code = k.main_code AND m.mdtrt_id = s.mdtrt_id
  WHERE k.win = 'visit'
     OR (k.win = 'day' AND m.fee_day = s.fee_day)
     OR (k.win IN ('1h', '6h') AND m.fee_epoch_s - s.fee_epoch_s
           < CASE WHEN k.win = '1h' THEN 3600 ELSE 21600 END
         AND s.fee_epoch_s - m.fee_epoch_s < CASE WHEN k.win = '1h' THEN 3600 ELSE 21600 END)
), sides AS (
{_PAIR_SIDE.format(s="sub", o="main")}
  UNION ALL
{_PAIR_SIDE.format(s="main", o="sub")}
  WHERE flag = 'both'
), ranked AS (
  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY rule_id, mdtrt_id, feedetl_sn
                                 ORDER BY main_code, sub_code, other_sn) AS pick
  FROM sides d
)
SELECT rule_id, mdtrt_id, psn_no, feedetl_sn, amount, fee_date, admdvs, hosp_lv,
       main_code, main_name, sub_code, sub_name, win, note, source, other_sn
FROM ranked
WHERE pick = 1
"""


QUERIES = (
    FamilyQuery("pay_course", PAY_COURSE, trigger="code",
                typed={"max_days": "INTEGER", "lookback_days": "INTEGER"},
                param_columns=lambda r: {"episode": r.params["episode"],
                                         "lookback_days": r.params.get("lookback_days"),
                                         "measure": r.params["measure"],
                                         "group_by": r.params["group_by"]},
                history=True),
    FamilyQuery("frequency", FREQUENCY, trigger="code", typed={"max_quantity": "DECIMAL(16, 4)"},
                param_columns=lambda r: {"count_mode": r.params["count"],
                                         "per": r.params["per"]}),
    FamilyQuery("cycle", CYCLE, trigger="code", typed={"max_count": "INTEGER", "cycle_days": "INTEGER",
                                       "across": "BOOLEAN"},
                param_columns=lambda r: {"count_mode": r.params["count"],
                                         "across": bool(r.params["across_institutions"])},
                fills=lambda r: {"count": str(r["cycle_count"])}, history=True),
    FamilyQuery("duplicate_pair", DUPLICATE_PAIR, trigger="sub_code",
                param_columns=lambda r: {"flag": r.params["flag"]}),
)  # fmt: skip
