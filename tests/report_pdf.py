"""Checks of a rendered report PDF, read back with pypdf: its tags (the structure a screen
reader follows), how full its pages are, words broken inside, and words the board should
not read. Each returns what it found wrong (empty: the PDF passes)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html import unescape
from io import BytesIO
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

MM = 72 / 25.4
# The printed area of a page (orchestration/report/html.py: @page margins).
TOP_MARGIN, BOTTOM_MARGIN = 15 * MM, 17 * MM
# A page (but the last) is nearly empty when its content ends above this share of its height.
MIN_PAGE_FILL = 0.3
# The structure a report's tags must have: headings, paragraphs, tables with header cells
# (and its charts as figures: tag_problems).
REQUIRED_TAGS = ("/H1", "/H2", "/P", "/Table", "/TR", "/TH", "/TD")
# Words of the system's internals that the board should not read.
JARGON = re.compile(
    r"\b(marts?|dbt|duckdb|warehouse|staging|parquet|load_id|sha-?256|tietovarast\w*|"
    r"tietovaraston|\w*-kerro(s|ksesta|kseen))\b",
    re.IGNORECASE,
)


def reader_of(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


@dataclass(frozen=True)
class StructElement:
    tag: str  # /H1, /P, /Figure ...
    alt: str | None


def struct_elements(reader: PdfReader) -> list[StructElement]:
    """Every element of the PDF's structure tree, depth first (none: untagged)."""
    root = reader.trailer["/Root"]
    if "/StructTreeRoot" not in root:
        return []
    found: list[StructElement] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
            return
        if not isinstance(node, DictionaryObject):
            return  # a marked-content id: the leaf's content
        if "/S" in node:
            alt = node.get("/Alt")
            found.append(StructElement(str(node["/S"]), None if alt is None else str(alt)))
        if "/K" in node:
            walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return found


def svg_titles(html: str) -> list[str]:
    """The alternative texts of the HTML's charts (each SVG's <title>), in order."""
    return [unescape(t) for t in re.findall(r"<svg [^>]*><title>([^<]*)</title>", html)]


def tag_problems(reader: PdfReader, figure_alts: list[str] | None = None) -> list[str]:
    """What keeps the PDF from being a tagged one in Finnish with a title: the catalog's
    /MarkInfo and /StructTreeRoot, the structure's headings, paragraphs and tables with
    header cells, each figure with its alternative text (figure_alts: the texts expected,
    in order, [] for none), /Lang fi, and the title in the metadata."""
    root = reader.trailer["/Root"]
    problems = []
    mark_info = root.get("/MarkInfo")
    if mark_info is None or not mark_info.get_object().get("/Marked", False):
        problems.append("not marked as tagged (/MarkInfo /Marked true)")
    elements = struct_elements(reader)
    if not elements:
        problems.append("no structure tree (/StructTreeRoot)")
    tags = Counter(e.tag for e in elements)
    problems += [f"no {tag} element" for tag in REQUIRED_TAGS if elements and not tags[tag]]
    alts = [e.alt for e in elements if e.tag == "/Figure"]
    if any(not alt for alt in alts):
        problems.append("a figure without alternative text")
    if figure_alts is not None and alts != figure_alts:
        problems.append(f"figure texts {alts} are not {figure_alts}")
    if str(root.get("/Lang", "")) != "fi":
        problems.append(f"language {root.get('/Lang')!r}, not 'fi'")
    title = (reader.metadata or {}).get("/Title")
    if not title:
        problems.append("no title in the metadata")
    return problems


def _content_heights(page: Any) -> list[float]:
    """The heights (y from the bottom) where the page has content: each text's baseline,
    and the top and bottom of each form XObject drawn on it (WeasyPrint draws a chart's
    centred and right-aligned labels as forms: pypdf gives the text inside without the
    page's matrix, so the form's box stands for it)."""
    heights: list[float] = []
    forms = page["/Resources"].get("/XObject", {}) if "/Resources" in page else {}
    depth = 0  # inside a form XObject

    def before(operator: bytes, args: list[Any], cm: list[float], tm: list[float]) -> None:
        nonlocal depth
        if operator != b"Do":
            return
        if not depth:
            form = forms[args[0]].get_object()
            if "/BBox" in form:
                x0, y0, x1, y1 = (float(v) for v in form["/BBox"])
                a, b, c, d, e, f = (float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
                    x, y = a * x + c * y + e, b * x + d * y + f  # the form's own matrix
                    heights.append(cm[1] * x + cm[3] * y + cm[5])
        depth += 1

    def after(operator: bytes, *_: Any) -> None:
        nonlocal depth
        depth -= operator == b"Do"

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip() and not depth:
            heights.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    page.extract_text(
        visitor_operand_before=before, visitor_operand_after=after, visitor_text=visit
    )
    return heights


def page_fills(reader: PdfReader) -> list[float]:
    """How far down each page its content reaches, as a share of the printed area's
    height (the footer below it left out): 1 reaches the bottom margin."""
    fills = []
    for page in reader.pages:
        height = float(page.mediabox.height)
        top, bottom = height - TOP_MARGIN, BOTTOM_MARGIN
        body = [y for y in _content_heights(page) if y > bottom - 1]
        fills.append((top - min(body)) / (top - bottom) if body else 0.0)
    return fills


def nearly_empty_pages(reader: PdfReader, min_fill: float = MIN_PAGE_FILL) -> list[str]:
    """Pages but the last whose content ends in the top part of the page."""
    fills = page_fills(reader)
    return [
        f"page {number} is {fill:.0%} full"
        for number, fill in enumerate(fills[:-1], start=1)
        if fill < min_fill
    ]


def _whole_or_broken_at_hyphen(word: str, tokens: set[str]) -> bool:
    if word in tokens:
        return True
    # A line may break after a hyphen or a slash (laaja- / alaisen): each piece whole.
    pieces = [p for p in re.split(r"(?<=[-/])", word) if p]
    return len(pieces) > 1 and all(p in tokens for p in pieces)


def words_split(reader: PdfReader, texts: list[str]) -> list[str]:
    """The words of these texts that the PDF does not print whole (broken inside a word,
    not after a hyphen or a slash)."""
    tokens = set(" ".join(p.extract_text() for p in reader.pages).replace("\u00a0", " ").split())
    words = {w for text in texts for w in text.replace("\u00a0", " ").split()}
    return sorted(w for w in words if not _whole_or_broken_at_hyphen(w, tokens))


def jargon(text: str) -> list[str]:
    """Words of the system's internals in a text the board reads."""
    return sorted({m.group(0) for m in JARGON.finditer(text)})
