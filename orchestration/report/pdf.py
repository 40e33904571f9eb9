"""The report as a PDF (fpdf2, pure Python): the same blocks as the HTML, charts as vectors."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from fpdf import FPDF
from fpdf.fonts import FontFace

from orchestration.report.document import (
    Block,
    Cell,
    Cover,
    Figure,
    Heading,
    Paragraph,
    Row,
    Table,
)
from orchestration.report.fonts import FONT_FAMILY, font_file

INK = (26, 26, 26)
ACCENT = (31, 59, 87)
HEADING_FILL = (223, 230, 238)
SUBTOTAL_FILL = (243, 245, 248)
MUTED = (85, 85, 85)
STATUS_FILLS = {
    "achieved": (215, 236, 217),
    "partially_achieved": (251, 236, 196),
    "not_achieved": (246, 211, 211),
}
HEADING_SIZES = {1: 15.0, 2: 11.0, 3: 10.0}
BODY_SIZE = 9.5
MARKDOWN_MARKERS = ("**", "__", "--", "~~")  # fpdf2 markdown: bold, italics, underline, strike


class ReportPDF(FPDF):
    """A4 pages with the report's title and page numbers in the footer."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        for style, bold in (("", False), ("B", True)):
            self.add_font(FONT_FAMILY, style, str(font_file(bold=bold)))
        self.add_font(FONT_FAMILY, "I", str(font_file(italic=True)))
        self.set_font(FONT_FAMILY, size=BODY_SIZE)
        self.set_text_color(*INK)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-11)
        self.set_font(FONT_FAMILY, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")
        self.set_text_color(*INK)


def _lines(pdf: FPDF, height: float, text: str) -> None:
    """A paragraph across the text width, leaving the cursor at the next line's start."""
    pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _space_left(pdf: FPDF) -> float:
    return pdf.h - pdf.b_margin - pdf.get_y()


def _cover(pdf: ReportPDF, cover: Cover, source: str) -> None:
    pdf.add_page()
    pdf.set_y(95)
    pdf.set_font(FONT_FAMILY, "B", 26)
    pdf.set_text_color(*ACCENT)
    _lines(pdf, 12, cover.title)
    pdf.ln(8)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT_FAMILY, "B", 15)
    for line in cover.lines:
        _lines(pdf, 8, line)
    pdf.ln(14)
    pdf.set_font(FONT_FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED)
    _lines(pdf, 4.5, source)
    pdf.set_text_color(*INK)


def _heading(pdf: ReportPDF, heading: Heading, orientation: str) -> str:
    wanted = "L" if heading.landscape else "P"
    if heading.new_page or pdf.page == 0:
        pdf.add_page(orientation=wanted)
        orientation = wanted
    elif _space_left(pdf) < 40:
        pdf.add_page(orientation=orientation)
    else:
        pdf.ln(3 if heading.level > 1 else 1)
    size = HEADING_SIZES.get(heading.level, 10.0)
    pdf.set_font(FONT_FAMILY, "B", size)
    pdf.set_text_color(*(ACCENT if heading.level < 3 else INK))
    _lines(pdf, size * 0.5, heading.text)
    pdf.set_text_color(*INK)
    pdf.ln(1.5)
    return orientation


def _paragraph(pdf: ReportPDF, paragraph: Paragraph) -> None:
    style = {"label": "B", "note": "I"}.get(paragraph.style, "")
    pdf.set_font(FONT_FAMILY, style, BODY_SIZE)
    _lines(pdf, 4.6, paragraph.text)
    pdf.ln(1.6)


def _figure(pdf: ReportPDF, figure: Figure) -> None:
    chart = figure.chart
    width = min(pdf.epw, 180.0)
    height = width * chart.height / chart.width
    if _space_left(pdf) < height + 2:
        pdf.add_page(orientation=pdf.cur_orientation)
    pdf.ln(2)
    pdf.image(BytesIO(chart.svg.encode("utf-8")), x=pdf.l_margin, w=width, h=height)
    pdf.set_y(pdf.get_y() + 3)


def _markdown_escaped(text: str) -> str:
    """Text that fpdf2's markdown prints as it is (e.g. '--' is not an underline)."""
    text = text.replace("\\", "\\\\")
    for marker in MARKDOWN_MARKERS:
        text = text.replace(marker, "\\" + marker)
    return text


def _cell_text(cell: Cell, markdown: bool) -> str:
    """The cell as text; with markdown, its heading is printed bold."""
    parts = [f"• {b}" for b in cell.bullets]
    if cell.text:
        parts.append(cell.text)
    body = "\n".join(parts)
    if not markdown:
        return "\n".join(p for p in (cell.heading, body) if p)
    body = _markdown_escaped(body)
    if not cell.heading:
        return body
    return f"**{_markdown_escaped(cell.heading)}**" + (f"\n{body}" if body else "")


def _row_style(row: Row, size: float) -> FontFace | None:
    if row.style in ("subtotal", "section"):
        fill = SUBTOTAL_FILL if row.style == "subtotal" else None
        return FontFace(emphasis="BOLD", size_pt=size, fill_color=fill)
    if row.style == "item":  # a line's external / internal items, under the line
        return FontFace(emphasis="ITALICS", size_pt=size)
    return None


CELL_PADDING = (0.8, 1.2)  # mm: top/bottom, left/right
ITEM_INDENT = "\u2003"  # an em space: the items of a line are indented under it


def _wrapped(pdf: ReportPDF, text: str, width: float, line_height: float) -> list[str]:
    """The lines a table cell of this width breaks the text into (current font)."""
    inner = width - 2 * CELL_PADDING[1] + 2 * pdf.c_margin
    return pdf.multi_cell(inner, line_height, text, dry_run=True, output="LINES")


def _fitting_rows(
    pdf: ReportPDF, row: Row, widths: list[float], line_height: float, max_lines: int
) -> list[Row]:
    """A row too tall for one page, split into continuation rows at line boundaries.

    fpdf2 cannot break a table row across pages; a long status text would stop the report.
    Only plain-text cells are split; the other cells of a continuation row are empty.
    """
    chunks: dict[int, list[str]] = {}
    for index, (cell, width) in enumerate(zip(row.cells, widths, strict=False)):
        if cell.heading or cell.bullets or cell.status:
            continue
        lines = _wrapped(pdf, cell.text, width, line_height)
        if len(lines) > max_lines:
            chunks[index] = [
                "\n".join(lines[i : i + max_lines]) for i in range(0, len(lines), max_lines)
            ]
    if not chunks:
        return [row]
    parts = max(len(c) for c in chunks.values())
    rows = []
    for part in range(parts):
        cells = []
        for index, cell in enumerate(row.cells):
            if index in chunks:
                pieces = chunks[index]
                cells.append(replace(cell, text=pieces[part] if part < len(pieces) else ""))
            else:
                cells.append(cell if part == 0 else Cell(colspan=cell.colspan))
        rows.append(replace(row, cells=tuple(cells)))
    return rows


def _table(pdf: ReportPDF, table: Table) -> None:
    size = table.font_size
    is_goals = table.kind == "goals"
    line_height = size * 0.46
    pdf.set_font(FONT_FAMILY, "", size)
    total = sum(c.width for c in table.columns)
    widths = [c.width / total * pdf.epw for c in table.columns]
    if _space_left(pdf) < 30:
        pdf.add_page(orientation=pdf.cur_orientation)
    page_height = pdf.h - pdf.t_margin - pdf.b_margin
    max_lines = max(int((page_height - 4 * line_height - 12) / line_height), 5)
    rows = [
        r for row in table.rows for r in _fitting_rows(pdf, row, widths, line_height, max_lines)
    ]
    with pdf.table(
        col_widths=tuple(widths),
        text_align=tuple(c.align.upper() for c in table.columns),
        headings_style=FontFace(emphasis="BOLD", size_pt=size, fill_color=HEADING_FILL),
        line_height=line_height,
        borders_layout="ALL" if is_goals else "HORIZONTAL_LINES",
        v_align="TOP",
        padding=CELL_PADDING,
        markdown=is_goals,
        repeat_headings=1,
        width=pdf.epw,
    ) as pdf_table:
        heading = pdf_table.row()
        for column in table.columns:
            heading.cell(_markdown_escaped(column.label) if is_goals else column.label)
        for row in rows:
            pdf_row = pdf_table.row()
            style = _row_style(row, size)
            for index, cell in enumerate(row.cells):
                text = _cell_text(cell, markdown=is_goals)
                if row.style == "item" and index == 0:
                    text = ITEM_INDENT + text
                if cell.status:
                    fill = STATUS_FILLS.get(cell.status)
                    cell_style = FontFace(emphasis="BOLD", size_pt=size, fill_color=fill)
                    pdf_row.cell(text, style=cell_style)
                else:
                    pdf_row.cell(text, style=style, colspan=cell.colspan)
    pdf.ln(3)


def render_pdf(blocks: list[Block], footer: str, source: str) -> bytes:
    pdf = ReportPDF(footer)
    pdf.set_title(footer)
    pdf.set_lang("fi")
    pdf.set_creator("kuntaseuranta")
    orientation = "P"
    for block in blocks:
        if isinstance(block, Cover):
            _cover(pdf, block, source)
        elif isinstance(block, Heading):
            orientation = _heading(pdf, block, orientation)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Figure):
            _figure(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
    return bytes(pdf.output())
