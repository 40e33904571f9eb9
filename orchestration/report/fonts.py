"""The report's font, DejaVu Sans, as shipped inside matplotlib (no system fonts needed)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_FAMILY = "DejaVu Sans"
# Charts and pages name DejaVu Sans first; a browser without it falls back to these.
CSS_FONT_STACK = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif"


def font_dir() -> Path:
    return Path(str(files("matplotlib").joinpath("mpl-data", "fonts", "ttf")))


def font_file(bold: bool = False, italic: bool = False) -> Path:
    style = {(False, False): "", (True, False): "-Bold", (False, True): "-Oblique"}
    return font_dir() / f"DejaVuSans{style.get((bold, italic), '-BoldOblique')}.ttf"


@cache
def _advance_widths(bold: bool) -> tuple[dict[int, int], int, int]:
    font = TTFont(str(font_file(bold=bold)), lazy=True)
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = {code: hmtx[glyph][0] for code, glyph in cmap.items()}
    return widths, font["head"].unitsPerEm, hmtx[".notdef"][0]


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of a line of text in DejaVu Sans at `size` (same unit as size)."""
    widths, units_per_em, missing = _advance_widths(bold)
    return sum(widths.get(ord(ch), missing) for ch in text) * size / units_per_em
