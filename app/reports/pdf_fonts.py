"""The Chinese font every PDF of the platform uses (certificates, transcripts).

The TrueType font named by ``CERTIFICATE_FONT`` (default: Debian's fonts-wqy-microhei,
``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc``, face ``CERTIFICATE_FONT_INDEX`` 0) is registered
with reportlab, which embeds the subset of glyphs a document uses (``/FontFile2``), so the PDF looks
the same in every viewer. Only when that file is missing does it fall back, with a logged warning, to
the CID font STSong-Light, which is not embedded (the viewer substitutes a Song face).
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app, has_app_context
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

DEFAULT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
TTF_NAME = "AcademyCJK"
FALLBACK = "STSong-Light"
FONT = FALLBACK  # kept for older imports; call cjk_font() for the font actually in use

_registered: dict[tuple[str, int], str] = {}


def _setting() -> tuple[str, int]:
    if has_app_context():
        return (
            str(current_app.config.get("CERTIFICATE_FONT") or DEFAULT_PATH),
            int(current_app.config.get("CERTIFICATE_FONT_INDEX") or 0),
        )
    return DEFAULT_PATH, 0


def cjk_font() -> str:
    """Register (once) and return the name of the font for Chinese text: the embedded TrueType font, else STSong-Light."""
    path, index = _setting()
    key = (path, index)
    if key in _registered:
        return _registered[key]
    name = f"{TTF_NAME}-{len(_registered)}" if _registered else TTF_NAME
    if Path(path).is_file():
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
        except (TTFError, OSError) as error:
            log.warning("PDF font unusable, falling back to %s: %s (%s)", FALLBACK, path, error)
            name = _fallback()
    else:
        log.warning("PDF font file missing, falling back to %s (not embedded): %s", FALLBACK, path)
        name = _fallback()
    _registered[key] = name
    return name


def _fallback() -> str:
    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


def is_embedded(name: str) -> bool:
    """Whether the font of this name is embedded in the PDFs (a TrueType subset)."""
    return name != FALLBACK
