"""Personal names as a bank compares them: traditional characters and the minority middle dot.

The bank checks the account holder's name (户名核对) against the name in our debit file; a name
written in traditional characters (張偉 for 张伟) or with another middle dot in a minority name
(买买提·艾力, 买买提.艾力, 买买提艾力) fails the check (F03). :func:`to_simplified` converts with
OpenCC's ``t2s`` table (``opencc-python-reimplemented``, loaded on first use, not at import);
:func:`name_difference` tells the clerk which of the two it is.
"""

from __future__ import annotations

from functools import cache

import opencc  # type: ignore[import-untyped]

from yibao.registry.bank import NameDifference, compare_names, unify_dots

__all__ = ["name_difference", "normalise_name", "to_simplified"]


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` with traditional characters converted to simplified ones (张伟 for 張偉)."""
    converted: str = _converter().convert(text)
    return converted


def normalise_name(name: str) -> str:
    """A name in simplified characters with every middle dot written ``·`` (U+00B7)."""
    return unify_dots(to_simplified(name))


def name_difference(on_file: str, at_bank: str) -> NameDifference:
    """How the name on file differs from the bank's: same, traditional, dot, both, or other."""
    return compare_names(on_file, at_bank, to_simplified=to_simplified)
