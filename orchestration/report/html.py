"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no requests."""

from __future__ import annotations

from html import escape

from orchestration.report.document import (
    Block,
    Cell,
    Column,
    Cover,
    Figure,
    Heading,
    Paragraph,
    Row,
    Table,
)
from orchestration.report.fonts import CSS_FONT_STACK

CSS = """
@page { size: A4; margin: 15mm 15mm 17mm; }
@page landscape { size: A4 landscape; margin: 15mm 15mm 17mm; }
* { box-sizing: border-box; }
html { background: #e9ebee; }
body { margin: 0; padding: 24px 0; color: #1a1a1a; font-family: FONTS;
       font-size: 10.5pt; line-height: 1.45; }
.page { background: #fff; width: 210mm; max-width: calc(100% - 24px); margin: 0 auto 24px;
        padding: 16mm 14mm; box-shadow: 0 1px 4px rgba(0,0,0,.18); }
.page.landscape { width: 297mm; }
.cover { min-height: 200mm; display: flex; flex-direction: column; justify-content: center; }
.cover h1 { font-size: 28pt; letter-spacing: .02em; margin: 0 0 12mm; color: #1f3b57; }
.cover p { font-size: 15pt; font-weight: bold; margin: 0 0 3mm; }
.cover .date { font-size: 12pt; margin-top: 8mm; }
.cover .source { font-size: 9pt; font-weight: normal; color: #555; margin-top: 14mm; }
h1 { font-size: 16pt; color: #1f3b57; margin: 0 0 4mm; }
h2 { font-size: 11.5pt; margin: 7mm 0 2.5mm; color: #1f3b57; }
h3 { font-size: 10.5pt; margin: 5mm 0 2mm; }
h1, h2, h3, p.label { break-after: avoid; }
p { margin: 0 0 2.5mm; }
p.label { font-weight: bold; margin-top: 2mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 5mm; font-size: 8.5pt; }
th, td { padding: 1.2mm 1.6mm; vertical-align: top; }
thead th { background: #dfe6ee; border-bottom: 1.5px solid #1f3b57; font-weight: bold;
           white-space: pre-line; text-align: left; }
thead th.num { text-align: right; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.budget { break-inside: avoid; }
table.budget tbody tr { border-bottom: 1px solid #e3e6ea; }
table.budget tr.subtotal td { font-weight: bold; border-top: 1px solid #8a9bb0; }
table.budget tr.section td { font-weight: bold; font-size: 8pt; color: #1f3b57;
                             padding-top: 2mm; }
table.budget tr.item td { font-style: italic; color: #444; }
table.budget tr.item td:first-child { padding-left: 5mm; }
table.goals { font-size: 8pt; }
table.goals td { border: 1px solid #c8d0da; }
table.goals td strong { display: block; margin-bottom: 1mm; }
table.goals ul { margin: 0; padding-left: 4mm; }
tr { break-inside: avoid; }
/* A goal's row may be taller than a page: it breaks between lines of its cells. */
table.goals tr { break-inside: auto; }
.status { display: inline-block; padding: .4mm 1.6mm; border-radius: 2mm; font-weight: bold; }
.status-achieved { background: #d7ecd9; color: #1b5e20; }
.status-partially_achieved { background: #fbecc4; color: #6d4c00; }
.status-not_achieved { background: #f6d3d3; color: #8e1b1b; }
figure.chart { margin: 4mm 0 6mm; break-inside: avoid; }
figure.chart svg { display: block; width: 100%; height: auto; }
@media print {
  html, body { background: #fff; padding: 0; }
  body { font-size: 9.5pt; line-height: 1.4; }
  .page { width: auto; max-width: none; margin: 0; padding: 0; box-shadow: none;
          break-before: page; }
  .page:first-child { break-before: auto; }
  .page.landscape { page: landscape; width: auto; }
  .cover { min-height: 240mm; }
  h1 { font-size: 15pt; }
  h2 { font-size: 11pt; margin: 5mm 0 2mm; }
  h3 { font-size: 10pt; margin: 4mm 0 1.5mm; }
  /* The printed size of a table's text: its own (the wide goal tables' smaller). Its
     columns are as wide as the document sets them (each fits its longest word), which
     spares the layout measuring every cell. */
  table, table.goals { font-size: var(--print-size, 8pt); table-layout: fixed; }
  table.budget tr.section td { font-size: inherit; }
  figure.chart { margin: 2mm 0 4mm; }
  figure.chart svg { max-width: 180mm; }  /* as wide as on a portrait page */
}
""".replace("FONTS", CSS_FONT_STACK)


def _attrs(attrs: dict[str, str]) -> str:
    return "".join(f' {name}="{escape(value, quote=True)}"' for name, value in attrs.items())


def _text(text: str) -> str:
    return escape(text, quote=False).replace("\n", "<br>")


def _is_numeric(column: Column) -> bool:
    return column.align == "right"


def _cell(cell: Cell, column: Column, header: bool = False) -> str:
    classes = ["num"] if _is_numeric(column) and cell.colspan == 1 else []
    attrs = dict(cell.attrs)
    if classes:
        attrs["class"] = " ".join(classes)
    if cell.colspan > 1:
        attrs["colspan"] = str(cell.colspan)
    body = ""
    if cell.heading:
        body += f"<strong>{_text(cell.heading)}</strong>"
    if cell.bullets:
        body += "<ul>" + "".join(f"<li>{_text(b)}</li>" for b in cell.bullets) + "</ul>"
    if cell.status:
        body += f'<span class="status status-{escape(cell.status)}">{_text(cell.text)}</span>'
    elif cell.text:
        body += _text(cell.text)
    tag = "th" if header else "td"
    return f"<{tag}{_attrs(attrs)}>{body}</{tag}>"


def _row(row: Row, columns: tuple[Column, ...]) -> str:
    attrs = {"class": row.style, **row.attrs}
    cells = "".join(_cell(c, col) for c, col in zip(row.cells, columns, strict=False))
    return f"<tr{_attrs(attrs)}>{cells}</tr>"


def _table(table: Table) -> str:
    css_class = "goals" if table.kind == "goals" else "budget"
    head = "".join(
        f"<th{_attrs({'class': 'num'}) if _is_numeric(c) else ''}>{escape(c.label)}</th>"
        for c in table.columns
    )
    body = "".join(_row(r, table.columns) for r in table.rows)
    colgroup = "".join(
        f'<col style="width:{c.width / sum(x.width for x in table.columns) * 100:.1f}%">'
        for c in table.columns
    )
    print_size = {"style": f"--print-size: {table.font_size:g}pt"}
    return (
        f'<table class="{css_class}"{_attrs({**table.attrs, **print_size})}>'
        f"<colgroup>{colgroup}</colgroup>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 3)
        return f"<h{level}>{escape(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        css = f' class="{block.style}"' if block.style != "body" else ""
        return f"<p{css}>{_text(block.text)}</p>"
    if isinstance(block, Figure):
        return (
            f'<figure class="chart" data-chart="{block.chart.chart_id}">{block.chart.svg}</figure>'
        )
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"unknown block {block!r}")


def _cover(cover: Cover, source: str) -> str:
    lines = "".join(f"<p>{escape(line)}</p>" for line in cover.lines)
    return (
        f'<section class="page cover"><h1>{escape(cover.title)}</h1>{lines}'
        f'<p class="date">{escape(cover.date_label)}</p>'
        f'<p class="source">{escape(source)}</p></section>'
    )


def render_html(blocks: list[Block], title: str, source: str, period: str) -> str:
    """The blocks as a page: a new section for every heading that starts a new page."""
    sections: list[str] = []
    current: list[str] = []
    landscape = False

    def close() -> None:
        if current:
            css = "page landscape" if landscape else "page"
            sections.append(f'<section class="{css}">{"".join(current)}</section>')
            current.clear()

    for block in blocks:
        if isinstance(block, Cover):
            sections.append(_cover(block, source))
            continue
        if isinstance(block, Heading) and block.new_page:
            close()
            landscape = block.landscape
        current.append(_block(block))
    close()
    return (
        '<!DOCTYPE html>\n<html lang="fi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body>\n<main class="report" data-period="{escape(period)}">\n'
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )
