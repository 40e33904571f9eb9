"""The report as a PDF: the report's own HTML laid out for print by WeasyPrint, tagged.

One source for both formats: the PDF is the HTML's print layout (its @media print rules:
A4 pages, landscape pages for the wide tables, headings kept with what follows them), so
the two never disagree on a figure. WeasyPrint tags the PDF from the HTML's structure
(headings H1-H3, paragraphs, lists, tables with their header cells, each chart a Figure
whose alternative text is the SVG's <title>), takes the document language from
<html lang="fi">, the title from <title> and the bookmarks from the headings.

What only the PDF needs is added here: the fonts, embedded from the files matplotlib ships
(no system fonts needed, the HTML itself must load nothing), and the footer of every page
but the cover (the report's name and the page number).
"""

from __future__ import annotations

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from orchestration.report.fonts import FONT_FAMILY, font_file

FOOTER_SIZE = "7.5pt"
MUTED = "#555555"
# (font-weight, font-style) of each face the report uses, and its file.
FACES = {
    ("normal", "normal"): font_file(),
    ("bold", "normal"): font_file(bold=True),
    ("normal", "italic"): font_file(italic=True),
    ("bold", "italic"): font_file(bold=True, italic=True),
}


def _css_string(text: str) -> str:
    """A CSS string literal: quotes and backslashes escaped, line breaks as spaces."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + " ".join(escaped.split()) + '"'


def print_css(footer: str) -> str:
    faces = "".join(
        f"@font-face {{ font-family: {_css_string(FONT_FAMILY)}; font-weight: {weight}; "
        f"font-style: {style}; src: url({_css_string(path.as_uri())}); }}\n"
        for (weight, style), path in FACES.items()
    )
    margin_box = (
        f"font-family: {_css_string(FONT_FAMILY)}; font-size: {FOOTER_SIZE}; color: {MUTED};"
    )
    return faces + (
        "@page {"
        f" @bottom-left {{ content: {_css_string(footer)}; {margin_box} }}"
        f' @bottom-right {{ content: counter(page) " / " counter(pages); {margin_box} }} }}\n'
        "@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }\n"
    )


def render_pdf(html: str, footer: str) -> bytes:
    """The HTML report as a tagged PDF, every page but the cover with the footer."""
    fonts = FontConfiguration()
    stylesheet = CSS(string=print_css(footer), font_config=fonts)
    pdf = HTML(string=html).write_pdf(stylesheets=[stylesheet], font_config=fonts, pdf_tags=True)
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf
