"""Write a CSV of generated inpatient cases for ``yibao drg group`` (the 1M-row timing of docs/drg-grouping.md).

Cases come from :func:`yibao.drg.samples.draw_cases` (the same generator ``yibao bench drg`` uses),
streamed to the file, so a million rows need no memory::

    .venv/bin/python tools/drg_cases.py /tmp/drg_1m.csv --rows 1000000
    time .venv/bin/yibao drg group /tmp/drg_1m.csv -o /tmp/drg_1m_out.csv
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from yibao.drg.formats import INPUT_COLUMNS, case_row
from yibao.drg.rules import load_rules
from yibao.drg.samples import draw_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with args.target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(INPUT_COLUMNS)
        writer.writerows(case_row(c) for c in draw_cases(load_rules(), args.rows, seed=args.seed))


if __name__ == "__main__":
    main()
