"""Checks of free-text and code fields that every context's input shares; errors name the field."""

from __future__ import annotations

from yibao.kernel.errors import InvalidValue

__all__ = ["clean_text", "region_code"]


def clean_text(value: object, *, field: str, limit: int, required: bool = True) -> str:
    """A text, stripped: at most ``limit`` characters, no NUL; blank refused when ``required``."""
    if value is None:
        if required:
            raise InvalidValue(field, "missing")
        return ""
    if not isinstance(value, str):
        raise InvalidValue(field, f"expected text, got {type(value).__name__}")
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidValue(field, "empty")
    if len(cleaned) > limit:
        raise InvalidValue(field, f"longer than {limit} characters")
    if "\x00" in cleaned:
        raise InvalidValue(field, "contains a NUL character")
    return cleaned


def region_code(value: object, *, field: str) -> str:
    """A region code (医保区划 ``admdvs``, 行政区划): six ASCII digits."""
    if not isinstance(value, str):
        raise InvalidValue(field, f"expected a region code, got {type(value).__name__}")
    code = value.strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise InvalidValue(field, f"{value!r} is not a region code (six digits)")
    return code
