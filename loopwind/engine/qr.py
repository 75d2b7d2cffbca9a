"""The ``qr(text)`` helper of every engine: a QR code as an SVG data URI."""

from __future__ import annotations

from typing import Any

import segno

from .colors import normalize_color
from .errors import TemplateError


def qr_data_uri(text: Any, dark: str = "#000000", light: str = "#ffffff", border: int = 2) -> str:
    text = str(text)
    if len(text) > 2000:
        raise TemplateError(
            "qr() text is longer than 2000 characters.", code="helper_error", details={"helper": "qr"}
        )
    dark_c, light_c = normalize_color(str(dark)), normalize_color(str(light))
    if dark_c is None or light_c is None:
        raise TemplateError("qr() colors must be CSS colors.", code="helper_error", details={"helper": "qr"})
    qr = segno.make(text, micro=False)
    return qr.svg_data_uri(scale=10, border=max(0, min(int(border), 10)), dark=dark_c, light=light_c)
