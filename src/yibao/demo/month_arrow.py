"""NumPy columns of a generated month turned into Arrow tables of the audit fact schemas.

Everything stays vectorised: decimals are built from scaled integers (an int64 of fen becomes a
DECIMAL(16,2) without any float, by writing the 128-bit words directly), dates from day numbers,
strings by taking from a small vocabulary or by formatting integers in Arrow's compute kernels.
Ages on the fee date follow ``audit.facts.age_on`` exactly (completed years and months).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from yibao.audit.facts import AMOUNT, COUNT, PRICE

__all__ = [
    "ages",
    "bools",
    "dates",
    "decimals",
    "ids",
    "integers",
    "table",
    "take",
    "timestamps",
]


def _validity(valid: Any) -> Any:
    if valid is None:
        return None
    return pa.array(np.asarray(valid, dtype=bool), type=pa.bool_()).buffers()[1]


def decimals(scaled: Any, kind: Any, valid: Any = None) -> Any:
    """A decimal array of ``kind`` from integers already scaled to its places (fen for 2 places)."""
    values = np.ascontiguousarray(scaled, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63
    return pa.Array.from_buffers(kind, len(values), [_validity(valid), pa.py_buffer(words)])


def money(fen: Any, valid: Any = None) -> Any:
    return decimals(fen, AMOUNT, valid)


def price(fen: Any, valid: Any = None) -> Any:
    """A DECIMAL(16,6) price from fen."""
    return decimals(np.asarray(fen, dtype=np.int64) * 10_000, PRICE, valid)


def count(units: Any, valid: Any = None) -> Any:
    """A DECIMAL(16,4) quantity from whole units."""
    return decimals(np.asarray(units, dtype=np.int64) * 10_000, COUNT, valid)


def dates(days: Any) -> Any:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32())


def timestamps(seconds: Any) -> Any:
    return pa.array(np.asarray(seconds, dtype=np.int64), type=pa.timestamp("s"))


def integers(values: Any, kind: Any = None, valid: Any = None) -> Any:
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(values, type=kind or pa.int32(), mask=mask)


def bools(values: Any, valid: Any = None) -> Any:
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_(), mask=mask)


def take(vocabulary: Any, index: Any, valid: Any = None) -> Any:
    """``vocabulary[index]`` as a plain string array; null where ``valid`` is false."""
    positions = pa.array(np.asarray(index, dtype=np.int64),
                         mask=None if valid is None else ~np.asarray(valid, dtype=bool))  # fmt: skip
    return vocabulary.take(positions)


def ids(prefix: str, numbers: Any, width: int) -> Any:
    """``prefix`` + the number padded with zeros to ``width`` digits."""
    text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()),
                        width=width, padding="0")  # fmt: skip
    return pc.binary_join_element_wise(prefix, text, "")


def _ymd(days: Any) -> tuple[Any, Any, Any]:
    moment = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month_start = moment.astype("datetime64[M]")
    year = moment.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (moment - month_start).astype(np.int64) + 1
    return year, month, day


def ages(birth_days: Any, fee_days: Any) -> tuple[Any, Any, Any]:
    """Completed years, completed months and days of life on each fee day (as ``age_on``)."""
    by, bm, bd = _ymd(birth_days)
    fy, fm, fd = _ymd(fee_days)
    months = (fy - by) * 12 + fm - bm - (fd < bd)
    years = fy - by - ((fm < bm) | ((fm == bm) & (fd < bd)))
    lived = np.asarray(fee_days, dtype=np.int64) - np.asarray(birth_days, dtype=np.int64)
    return years.astype(np.int32), months.astype(np.int32), lived.astype(np.int32)


def table(schema: Any, columns: Mapping[str, Any]) -> Any:
    """A table of ``schema`` from arrays by name (every field must be given)."""
    arrays: Sequence[Any] = [columns[f.name] for f in schema]
    return pa.Table.from_arrays(list(arrays), schema=schema)
