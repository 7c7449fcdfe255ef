"""Whether the Chinese fonts a printed document needs are installed, asked of fontconfig itself.

WeasyPrint lays text out with Pango, and Pango finds fonts through fontconfig. Without a font that
covers Chinese, Pango falls back to whatever it has and the PDF shows boxes (豆腐块) where the
names and amounts' labels should be, silently. :func:`require_chinese_fonts` asks the same
fontconfig library what ``fc-list :lang=zh family`` would list and refuses with
:class:`FontsMissing` when no Noto CJK family is among them. fontconfig reads its configuration
(``FONTCONFIG_FILE``, ``FONTCONFIG_PATH``) anew on each call here, so an empty configuration
provokes the refusal without uninstalling anything. ``tools/fonts.sh ensure`` installs the fonts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from yibao.kernel.errors import YibaoError

__all__ = ["FontsMissing", "chinese_fonts", "require_chinese_fonts"]

#: the families the stylesheet names, from Debian's fonts-noto-cjk
NOTO_CJK = ("Noto Sans CJK", "Noto Serif CJK")
_INSTALL = "run tools/fonts.sh ensure (apt-get install fonts-noto-cjk)"
_MATCH = 0  # FcResultMatch


class FontsMissing(YibaoError):
    """No Chinese font (or no font library) is installed: a document would print boxes, not text."""

    code = "YB7001"
    exit_code = 6


class _FontSet(ctypes.Structure):
    """fontconfig's ``FcFontSet``: a count, a capacity and an array of patterns."""

    _fields_ = (
        ("nfont", ctypes.c_int),
        ("sfont", ctypes.c_int),
        ("fonts", ctypes.POINTER(ctypes.c_void_p)),
    )


@cache
def _fontconfig() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("fontconfig") or "libfontconfig.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    pointer = ctypes.c_void_p
    for function, restype, argtypes in (
        ("FcInitLoadConfigAndFonts", pointer, ()),
        ("FcConfigDestroy", None, (pointer,)),
        ("FcNameParse", pointer, (ctypes.c_char_p,)),
        ("FcPatternDestroy", None, (pointer,)),
        ("FcObjectSetCreate", pointer, ()),
        ("FcObjectSetAdd", ctypes.c_int, (pointer, ctypes.c_char_p)),
        ("FcObjectSetDestroy", None, (pointer,)),
        ("FcFontList", ctypes.POINTER(_FontSet), (pointer, pointer, pointer)),
        ("FcFontSetDestroy", None, (ctypes.POINTER(_FontSet),)),
        ("FcPatternGetString", ctypes.c_int,
         (pointer, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p))),
    ):  # fmt: skip
        getattr(lib, function).restype = restype
        getattr(lib, function).argtypes = argtypes
    return lib


def chinese_fonts() -> tuple[str, ...]:
    """The Noto CJK families fontconfig lists for Chinese (``fc-list :lang=zh family``), sorted.

    Raises :class:`FontsMissing` when the fontconfig library itself cannot be loaded.
    """
    lib = _fontconfig()
    if lib is None:
        raise FontsMissing(f"fonts: the fontconfig library is not installed: {_INSTALL}")
    config = lib.FcInitLoadConfigAndFonts()
    if not config:
        return ()
    pattern = lib.FcNameParse(b":lang=zh")
    objects = lib.FcObjectSetCreate()
    lib.FcObjectSetAdd(objects, b"family")
    found = lib.FcFontList(config, pattern, objects)
    try:
        families = set(_families(lib, found.contents)) if found else set()
    finally:
        if found:
            lib.FcFontSetDestroy(found)
        lib.FcObjectSetDestroy(objects)
        lib.FcPatternDestroy(pattern)
        lib.FcConfigDestroy(config)
    return tuple(sorted(f for f in families if f.startswith(NOTO_CJK)))


def _families(lib: ctypes.CDLL, fonts: _FontSet) -> list[str]:
    """Every family name of every pattern (a font names itself in several languages)."""
    names = []
    value = ctypes.c_char_p()
    for i in range(fonts.nfont):
        n = 0
        while lib.FcPatternGetString(fonts.fonts[i], b"family", n, ctypes.byref(value)) == _MATCH:
            if value.value is not None:
                names.append(value.value.decode("utf-8", "replace"))
            n += 1
    return names


def require_chinese_fonts() -> tuple[str, ...]:
    """The Noto CJK families installed; :class:`FontsMissing` when there are none."""
    families = chinese_fonts()
    if not families:
        raise FontsMissing(f"fonts: no Chinese font (Noto CJK) is installed: {_INSTALL}")
    return families
