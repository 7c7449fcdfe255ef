"""Printed documents: a Jinja2 HTML template and its context, rendered to PDF bytes by WeasyPrint.

Templates live in ``yibao/documents/templates/``; each extends ``base.html``, which carries the
stylesheet (A4, Noto CJK fonts, tables whose amount columns are right-aligned with tabular digits,
"第 N 页 / 共 M 页" in the footer) and the heading every document shares: the agency's name
(``agency``), the ``title``, the document's ``number`` and its ``date``. A template that names a
variable the context lacks is an error, never an empty cell.

Two filters format values as the documents print them: ``yuan`` (an exact amount to the fen with
thousands separators, ``12,345.60``) and ``masked`` (all but the last characters hidden). The same
functions are exported for the code and tests that must agree with the page.

Before anything is drawn, :func:`render_pdf` checks that a Chinese font is installed
(:mod:`yibao.documents.fonts`) and refuses with :class:`~yibao.documents.fonts.FontsMissing`
otherwise, so a document never prints boxes in place of Chinese text.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path

import jinja2

from yibao.documents.fonts import FontsMissing, require_chinese_fonts
from yibao.kernel.money import fen

__all__ = ["TEMPLATES", "masked", "render_html", "render_pdf", "yuan"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def yuan(amount: Decimal | None) -> str:
    """An amount as printed: to the fen, thousands separated (``-1,234.50``); empty for none."""
    if amount is None:
        return ""
    return format(fen(amount), ",.2f")


def masked(value: str, keep: int = 4) -> str:
    """``value`` with every character but the last ``keep`` replaced by ``*`` (证件号码 on paper)."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["yuan"] = yuan
    environment.filters["masked"] = masked
    return environment


def render_html(template: str, context: Mapping[str, object]) -> str:
    """The HTML of ``template`` (a file name under :data:`TEMPLATES`) filled with ``context``."""
    return _environment().get_template(template).render(context)


def render_pdf(template: str, context: Mapping[str, object]) -> bytes:
    """The PDF of ``template`` filled with ``context``; refuses when no Chinese font is installed."""
    require_chinese_fonts()
    try:
        # imported here: it loads Pango, which only printing needs
        from weasyprint import HTML
    except OSError as exc:  # the shared libraries are missing, not a bug of ours
        raise FontsMissing(
            f"fonts: WeasyPrint cannot load Pango ({exc}): run tools/fonts.sh ensure"
        ) from None
    html = HTML(string=render_html(template, context), base_url=str(TEMPLATES))
    pdf = html.write_pdf()
    assert pdf is not None  # write_pdf returns the bytes when no target is given
    return bytes(pdf)
