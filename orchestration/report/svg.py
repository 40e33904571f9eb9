"""A minimal SVG writer: rectangles, lines and text with presentation attributes only.

Only what browsers and WeasyPrint's SVG renderer draw the same way: no CSS, no markers, no
fonts but the report's own. Values for machines go in data-* attributes; the chart's
alternative text (what it shows, in words and figures) in its <title>, which screen
readers read and the tagged PDF takes as the figure's /Alt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from orchestration.report.fonts import CSS_FONT_STACK


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = f"{value:.2f}".rstrip("0").rstrip(".")
        parts.append(f'{name.replace("_", "-")}="{escape(str(value), quote=True)}"')
    return " ".join(parts)


@dataclass
class Svg:
    width: float
    height: float
    chart_id: str
    title: str
    parts: list[str] = field(default_factory=list)
    alt_text: str = ""  # the title when empty

    def rect(self, x: float, y: float, w: float, h: float, fill: str, **attrs: object) -> None:
        geometry = {"x": x, "y": y, "width": max(w, 0.0), "height": h, "fill": fill}
        self.parts.append(f"<rect {_attrs({**geometry, **attrs})}/>")

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        width: float = 1.0,
        **attrs: object,
    ) -> None:
        geometry = {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": stroke}
        self.parts.append(f"<line {_attrs({**geometry, 'stroke_width': width, **attrs})}/>")

    def text(
        self,
        x: float,
        y: float,
        content: str,
        size: float = 12.0,
        anchor: str = "start",
        bold: bool = False,
        fill: str = "#1a1a1a",
        **attrs: object,
    ) -> None:
        attributes = {
            "x": x,
            "y": y,
            "font_family": CSS_FONT_STACK,
            "font_size": size,
            "font_weight": "bold" if bold else None,
            "text_anchor": anchor if anchor != "start" else None,
            "fill": fill,
            **attrs,
        }
        self.parts.append(f"<text {_attrs(attributes)}>{escape(content, quote=False)}</text>")

    def render(self) -> str:
        """The SVG element, without a namespace: inline in HTML5 it needs none."""
        head = _attrs(
            {
                "width": self.width,
                "height": self.height,
                "viewBox": f"0 0 {self.width:g} {self.height:g}",
                "role": "img",
                "aria_label": self.title,
                "data_chart": self.chart_id,
            }
        )
        background = (
            f'<rect x="0" y="0" width="{self.width:g}" height="{self.height:g}" fill="#ffffff"/>'
        )
        alt = f"<title>{escape(self.alt_text or self.title, quote=False)}</title>"
        return f"<svg {head}>{alt}{background}{''.join(self.parts)}</svg>"
