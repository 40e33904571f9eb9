"""The interim report of the four public report formats in tests/deliveries/: each report
prints the tables, columns, lines and items its delivery printed, in the delivery's units
and precision, and leaves out what the delivery does not have.

The four deliveries load in one run (conftest.formats_run), shared with the tests of what
they load and reconcile (the second half of this module); the figures asserted are those of
tests/deliveries/README.md, and every printed figure of the deliveries is found in the
reports as printed. Their faults, each failing at its printed precision, are in
test_reconciliation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html import unescape
from pathlib import Path

import duckdb
import pytest

from orchestration.quality.reconciliation import CHECKS
from orchestration.report import load_report, render_documents, render_report
from orchestration.report.document import build_document, follow_up_table
from orchestration.report.numbers import format_amount, percentage
from tests.conftest import PipelineRun
from tests.deliveries import EXPORTS, FORMATS
from tests.report_pdf import jargon, nearly_empty_pages, svg_titles, tag_problems
from tests.test_report import HtmlRow, HtmlTable, ReportParser, plain

REPORTS = {
    "HAMEENLINNA": "osavuosikatsaus_2024-04_HAMEENLINNA_HAMEENLINNA.html",
    "MIKKELI": "osavuosikatsaus_2024-05_MIKKELI_SIVLTK.html",
    "KOUVOLA": "osavuosikatsaus_2024-06_KOUVOLA_KASOP.html",
    "PORVOO": "osavuosikatsaus_2024-08_PORVOO_PTEKPA.html",
}
# The city whose finance-system export comes through a source profile (tests/test_profiles.py).
EXPORT_REPORT = "osavuosikatsaus_2024-04_JOENSUU_JOENSUU.html"


@pytest.fixture(scope="module")
def four(formats_run: PipelineRun) -> PipelineRun:
    """The run of the four deliveries (conftest.formats_run); it renders and publishes each
    one's report."""
    return formats_run


def _parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def htmls(four: PipelineRun) -> dict[str, str]:
    """The published report of each delivery (no summaries: one scope each)."""
    report_dir = four.published.parent / "report"
    reports = {**REPORTS, "JOENSUU": EXPORT_REPORT}
    assert sorted(p.name for p in report_dir.glob("*.html")) == sorted(reports.values())
    return {
        municipality: (report_dir / name).read_text(encoding="utf-8")
        for municipality, name in reports.items()
    }


@pytest.fixture(scope="module")
def reports(htmls: dict[str, str]) -> dict[str, ReportParser]:
    return {municipality: _parse(html) for municipality, html in htmls.items()}


def page_headings(html: str) -> list[str]:
    return [plain(unescape(text)) for _, text in re.findall(r"<h([123])>(.*?)</h\1>", html)]


def row(table: HtmlTable, line: str, item: str | None = None) -> HtmlRow:
    (found,) = [
        r
        for r in table.rows
        if r.attrs.get("data-line") == line and r.attrs.get("data-item") == item
    ]
    return found


def cells(table: HtmlTable, line: str, item: str | None = None) -> list[str]:
    return [plain(c.text) for c in row(table, line, item).cells]


def measures(table: HtmlTable) -> list[str]:
    return [c.attrs["data-measure"] for c in table.line_rows()[0].cells[1:]]


def headings(table: HtmlTable) -> list[str]:
    return [r.cells[0].text for r in table.rows if r.attrs.get("class") == "section"]


# Every printed figure --------------------------------------------------------------------


def test_every_printed_figure_is_in_the_report_as_printed(four: PipelineRun, reports):
    """Each control total (line, unit, statement, measure, item) has its row and column,
    and the report shows the figure in the printed unit, to the printed precision."""
    with duckdb.connect(str(four.published), read_only=True) as con:
        printed = con.execute(
            "select municipality_code, statement, org_code, line_code, measure, item, "
            "expected_value, printed_unit from marts.fct_control_total_reconciliation"
        ).fetchall()
    assert len(printed) > 500
    for municipality, statement, org, line, measure, item, expected, unit in printed:
        table = reports[municipality].table(statement, org)
        shown = row(table, line, None if item == "all" else item).measure(measure)
        value = Decimal(plain(shown).replace(" ", "").replace(",", "."))
        assert value * (1 if unit == "%" else int(unit)) == expected, (org, line, measure, item)


def test_the_tables_print_only_the_printed_lines(four: PipelineRun, reports):
    with duckdb.connect(str(four.published), read_only=True) as con:
        printed = con.execute(
            "select municipality_code, statement, org_code, "
            "list(distinct line_code) from marts.fct_control_total_reconciliation "
            "where item = 'all' group by all"
        ).fetchall()
    for municipality, statement, org, lines in printed:
        table = reports[municipality].table(statement, org)
        assert {r.attrs.get("data-line") for r in table.rows} - {None} == set(lines), org
    # The tables of a municipality are those printed, nothing more.
    tables = {(m, s, o) for m, s, o, _ in printed}
    for municipality, parser in reports.items():
        for table in parser.tables:
            kind = table.attrs["data-table"]
            if kind in ("operating", "budget_binding", "investment"):
                assert (municipality, kind, table.attrs["data-org"]) in tables


def test_no_delivery_has_goals_texts_or_investments_so_none_is_headed(htmls, reports):
    for municipality, html in htmls.items():
        if municipality not in REPORTS:
            continue  # the export's city has goals and investments
        headings = page_headings(html)
        assert headings[0].startswith("OSAVUOSIKATSAUS 1-")
        for absent in (
            "Käyttösuunnitelma",
            "INVESTOINNIT",
            "KUVAUS TOIMIALAN JA PALVELUALUEIDEN TOIMINNASTA JA TARKOITUKSESTA",
            "TOIMINTAYMPÄRISTÖN MUUTOKSET",
            "Sitovuustaso",
            "ARVIO TALOUSARVION TOTEUTUMISESTA 2024",
            "ENNUSTEIDEN OSUVUUS",
            "STRATEGIASTA JOHDETUT TAVOITTEET/TOIMIALA (VALTUUSTON SITOVUUSTASO)",
            "KÄYTTÖSUUNNITELMAN PALVELUALUEITTAISET TAVOITTEET",
        ):
            assert absent not in headings, (municipality, absent)
        text = reports[municipality].plain_text
        assert "Toiminnalliset tavoitteet" not in text and "TOTEUMAN KUVAUS" not in text
        parser = reports[municipality]
        assert not parser.tables_of("goals") and not parser.tables_of("investment")
        assert "goal_status" not in parser.charts


# (a) The city's income statement -----------------------------------------------------------


def test_the_city_reports_its_own_income_statement_without_departments(four: PipelineRun, reports):
    assert "no department" not in four.output
    parser = reports["HAMEENLINNA"]
    (table,) = parser.tables_of("operating")
    assert table.attrs["data-org"] == "HAMEENLINNA"
    assert not parser.tables_of("budget_binding")
    assert measures(table) == ["prior_year_same_period_actual", "budget", "actual", "realised_pct"]
    assert "HÄMEENLINNAN KAUPUNKI" in parser.plain_text
    # budget 2024, actual 1-4/2024 and 1-4/2023 in whole thousands, the % with one decimal
    assert cells(table, "toimintatuotot") == [
        "Toimintatuotot",
        "26 405",
        "85 147",
        "27 049",
        "31,8",
    ]
    assert cells(table, "toimintakulut")[1:] == ["-99 595", "-327 165", "-103 559", "31,7"]
    assert cells(table, "toimintakate")[1:] == ["-72 748", "-239 608", "-76 028", "31,7"]
    assert cells(table, "vuosikate")[1:] == ["12 652", "21 708", "12 423", "57,2"]
    assert cells(table, "tilikauden_ylijaama")[1:] == ["4 682", "-2 873", "4 222", "-147,0"]
    for line in ("verotulot", "valtionosuudet", "palkat_ja_palkkiot", "korkokulut"):
        assert row(table, line).attrs["class"] == "leaf"
    assert headings(table) == [
        "TOIMINTATUOTOT",
        "TOIMINTAKULUT",
        "HENKILÖSTÖKULUT",
        "HENKILÖSIVUKULUT",
        "POISTOT JA ARVONALENTUMISET",
    ]
    assert row(table, "henkilostokulut").attrs["class"] == "subtotal"


# (b) A department's budget changes, variance and forecast ---------------------------------


def test_budget_changes_variance_and_forecast_columns_in_tenths_of_thousands(htmls, reports):
    parser = reports["KOUVOLA"]
    table = parser.table("operating", "KASOP")
    assert measures(table) == [
        "original_budget",
        "budget_changes",
        "budget",
        "actual",
        "variance",
        "realised_pct",
        "forecast",
        "forecast_variance",
    ]
    assert [t.attrs["data-org"] for t in parser.tables_of("operating")] == [
        "KASOP",
        "KLUKIO",
        "KPERUS",
        "KVARHA",
    ]
    assert cells(table, "toimintatuotot")[1:] == [
        "10 585,6",
        "480,0",
        "11 065,6",
        "4 848,7",
        "-6 216,9",
        "43,8",
        "10 990,0",
        "-75,6",
    ]
    assert row(table, "toimintakulut").measure("actual") == "-84\u00a0050,1"
    assert cells(table, "toimintakate")[1:] == [
        "-146 131,0",
        "-2 020,0",
        "-148 151,0",
        "-79 201,4",
        "68 949,6",
        "53,5",
        "-150 020,0",
        "-1 869,0",
    ]
    assert row(table, "myyntituotot").measure("forecast") == ""  # forecast only where given
    kvarha = parser.table("operating", "KVARHA")
    assert cells(kvarha, "toimintakate")[1:4] == ["-55 116,4", "-1 070,0", "-56 186,4"]
    assert row(kvarha, "toimintakate").measure("forecast") == "-57\u00a0470,0"
    assert row(parser.table("operating", "KLUKIO"), "avustukset").measure("realised_pct") == "0,0"
    for label in (
        "TA 2024\n1000e",
        "TA-muutokset\n1000e",
        "TA 2024\n+muutos\n1000e",
        "TOT 2024\n6 kk/1000e",
        "Poikkeama\n1000e",
        "TOT-24\n%",
        "Ennuste 2024\n1000e",
        "Ennusteen poikkeama\n1000e",
    ):
        assert f'<th class="num">{label}</th>' in htmls["KOUVOLA"], label
    assert not [r for t in parser.tables for r in t.rows if "data-item" in r.attrs]


def test_the_follow_up_shows_the_controllers_forecast_and_its_reasons(reports):
    parser = reports["KOUVOLA"]
    (follow_up,) = parser.tables_of("follow_up")
    by_org = {r.attrs["data-org"]: r for r in follow_up.rows}
    assert list(by_org) == ["KASOP", "KLUKIO", "KPERUS", "KVARHA"]
    assert [plain(c.text) for c in by_org["KASOP"].cells] == [
        "Kasvatus ja opetus",
        "Valtuusto",
        "Toimintakate",
        "-148 151,0",
        "-79 201,4",
        "53,5",
        "-150 020,0",
        "-1 869,0",
        "kyllä",
    ]
    assert by_org["KLUKIO"].measure("forecast") == "-12\u00a0310,0"
    assert by_org["KLUKIO"].measure("is_forecast_over_budget") == "ei"
    assert by_org["KVARHA"].measure("is_forecast_over_budget") == "kyllä"
    text = parser.plain_text
    assert text.count("ENNUSTEEN PERUSTELUT:") == 3
    for reason in (
        "Toimintatuotot: Asiakasmaksutuotot jäävät arviolta 0,1 milj. euroa",
        "Toimintakulut: Palkkaratkaisun kustannukset ja sijaiskulut ylittävät määrärahan",
        "Toimintakulut: Koulukuljetusten uusi sopimus",
        "Toimintatuotot: Oppisopimus- ja maksupalvelukoulutuksen myynti ylittää arvion.",
    ):
        assert reason in text
    # Each service area's reasons follow its own table.
    assert (
        text.index("LUKIOKOULUTUS -PALVELUALUE")
        < text.index("Oppisopimus")
        < (text.index("PERUSOPETUS -PALVELUALUE"))
    )
    forecasts = {
        b.attrs["data-key"]: Decimal(b.attrs["data-value"])
        for b in parser.bars("forecast")
        if b.attrs["data-series"] == "forecast_net"
    }
    assert forecasts == {
        "KLUKIO": Decimal("-12310000.00"),
        "KPERUS": Decimal("-80240000.00"),
        "KVARHA": Decimal("-57470000.00"),
    }


# (c) A board's TULOT / MENOT / NETTO with whole-number percentages -------------------------


def test_the_board_prints_only_its_binding_tables_with_whole_percentages(reports):
    parser = reports["MIKKELI"]
    assert not parser.tables_of("operating") and "TULOSLASKELMA" not in parser.plain_text
    tables = parser.tables_of("budget_binding")
    assert [t.attrs["data-org"] for t in tables] == [
        "SIVLTK",
        "MKULTT",
        "MLUKIO",
        "MPERUS",
        "MVARHA",
    ]
    board = parser.table("budget_binding", "SIVLTK")
    assert measures(board) == ["budget", "actual", "realised_pct"]
    assert cells(board, "tulot") == ["TULOT", "10 552 400", "4 143 677", "39"]
    assert cells(board, "menot") == ["MENOT", "-133 601 000", "-57 446 049", "43"]
    assert cells(board, "netto") == ["NETTO", "-123 048 600", "-53 302 372", "43"]
    nets = {
        t.attrs["data-org"]: cells(t, "netto")[1:]
        for t in tables
        if t.attrs["data-org"] != "SIVLTK"
    }
    assert nets == {
        "MVARHA": ["-40 850 300", "-17 363 581", "43"],
        "MPERUS": ["-59 699 500", "-26 303 320", "44"],
        "MLUKIO": ["-10 749 500", "-4 801 311", "45"],
        "MKULTT": ["-11 749 300", "-4 834 160", "41"],
    }
    assert "SIVISTYSLAUTAKUNTA" in parser.plain_text and "MIKKELIN KAUPUNKI" in parser.plain_text
    assert "43,3" not in parser.plain_text  # the mart's one decimal is not what was printed


# (d) External and internal items, the council binding the external net -------------------


def test_external_and_internal_items_are_printed_under_their_lines(reports):
    parser = reports["PORVOO"]
    table = parser.table("operating", "PTEKPA")
    assert [(r.attrs["data-line"], r.attrs.get("data-item")) for r in table.line_rows()] == [
        (line, item)
        for line in ("toimintatuotot", "toimintakulut", "toimintakate")
        for item in (None, "external", "internal")
    ]
    assert cells(table, "toimintakate", "external") == [
        "ulkoiset",
        "-47 722 800",
        "-30 459 984",
        "63,8",
    ]
    assert cells(table, "toimintakate", "internal") == [
        "sisäiset",
        "48 703 000",
        "31 189 494",
        "64,0",
    ]
    assert cells(table, "toimintakate")[1:] == ["980 200", "729 510", "74,4"]
    assert cells(table, "toimintatuotot", "external")[1:3] == ["7 388 000", "4 814 241"]
    assert cells(table, "toimintakulut", "external")[1:3] == ["-55 110 800", "-35 274 225"]
    assert row(table, "toimintakate", "external").attrs["class"] == "item"
    tila = parser.table("operating", "PTILA")
    assert cells(tila, "toimintakate", "external")[1:] == ["-26 132 200", "-16 009 987", "61,3"]
    assert cells(tila, "toimintakate", "internal")[1:] == ["36 069 600", "24 057 318", "66,7"]
    pruoka = parser.table("operating", "PRUOKA")
    assert cells(pruoka, "toimintakate")[1:] == ["983 600", "-169 611", "-17,2"]
    assert headings(table) == []  # the net is a result, not a section


def test_the_follow_up_names_the_external_binding(reports):
    parser = reports["PORVOO"]
    (follow_up,) = parser.tables_of("follow_up")
    by_org = {r.attrs["data-org"]: [plain(c.text) for c in r.cells] for r in follow_up.rows}
    assert by_org["PTEKPA"] == [
        "Tekniset palvelut",
        "Valtuusto",
        "Ulkoinen toimintakate",
        "-47 722 800",
        "-30 459 984",
        "63,8",
    ]
    assert by_org["PTILA"][1:4] == ["Käyttösuunnitelma", "Toimintakate", "9 937 400"]
    (subtitle,) = [e.text for e in parser.charts["forecast"] if "1-12/2024" in e.text]
    assert "Tekniset palvelut: toimintakate 1-12/2024" in subtitle
    assert not [b for b in parser.bars("forecast") if b.attrs["data-series"] == "forecast_net"]


def test_every_format_has_its_pdf(four: PipelineRun):
    from pypdf import PdfReader

    report_dir = four.published.parent / "report"
    texts = {
        municipality: plain(
            " ".join(
                p.extract_text()
                for p in PdfReader(report_dir / name.replace(".html", ".pdf")).pages
            )
        )
        for municipality, name in REPORTS.items()
    }
    assert "Verotulot 63 563 197 450 66 067 33,5" in texts["HAMEENLINNA"]
    assert "NETTO -123 048 600 -53 302 372 43" in texts["MIKKELI"]
    assert (
        "TOIMINTAKATE -146 131,0 -2 020,0 -148 151,0 -79 201,4 68 949,6 53,5" in (texts["KOUVOLA"])
    )
    assert "ulkoiset -47 722 800 -30 459 984 63,8" in texts["PORVOO"]
    # Each is tagged, has no nearly empty page and no word of the system's internals.
    for municipality, name in REPORTS.items():
        reader = PdfReader(report_dir / name.replace(".html", ".pdf"))
        html = (report_dir / name).read_text(encoding="utf-8")
        assert tag_problems(reader, figure_alts=svg_titles(html)) == [], municipality
        assert nearly_empty_pages(reader) == [], municipality
        assert jargon(texts[municipality]) == [], municipality


def test_realised_pct_outside_the_tables_is_printed_as_the_tables_print_it(four: PipelineRun):
    # The board prints whole percentages: so does its follow-up, as its NETTO rows do (the
    # marts' follow-up has one decimal: 42,5 for MVARHA).
    board = load_report(four.published, "2024-05", "MIKKELI")
    assert board.realised_decimals == 0
    (part,) = board.parts
    rows = follow_up_table(board.period, part, board).rows
    realised = {r.attrs["data-org"]: r.cells[5].text for r in rows}
    assert realised == {"MKULTT": "41", "MLUKIO": "45", "MPERUS": "44", "MVARHA": "43"}
    assert _rows(
        four,
        "select realised_pct from marts.fct_binding_level_follow_up where org_code = 'MVARHA'",
    ) == [(Decimal("42.5"),)]
    # The department printing tenths prints them in its follow-up and its chart too.
    department = load_report(four.published, "2024-06", "KOUVOLA")
    assert department.realised_decimals == 1
    (follow_up,) = [
        b for b in build_document(department) if getattr(b, "kind", None) == "follow_up"
    ]
    assert follow_up.rows[0].cells[5].text == "53,5"


# Forecast accuracy, once a closed year has its outturn -------------------------------------


def _history(published: Path, folder: Path) -> Path:
    """A copy of the warehouse with forecasts of 2023 against its outturn, as a warehouse
    holding Kouvola's 2023 follow-ups and its year-end would have them."""
    copy = folder / "history.duckdb"
    shutil.copyfile(published, copy)
    rows = [
        # period made, month, unit, line, kind, forecast, budget, outturn, outturn period
        ("2023-06", 6, "KASOP", "toimintakate", "controllers", -145.0, -144.0, -146.5, "2023-12"),
        ("2023-06", 6, "KASOP", "toimintakate", "linear", -149.2, -144.0, -146.5, "2023-12"),
        ("2023-09", 9, "KASOP", "toimintakate", "controllers", -146.2, -144.0, -146.5, "2023-12"),
        ("2023-06", 6, "KVARHA", "toimintakate", "seasonal", -54.1, -53.0, -54.6, "2023-12"),
        # not the bound line, an older year, an outturn the report period did not know yet
        ("2023-06", 6, "KASOP", "toimintakulut", "linear", -160.0, -150.0, -158.0, "2023-12"),
        ("2022-06", 6, "KASOP", "toimintakate", "linear", -139.0, -140.0, -141.0, "2022-12"),
        ("2023-06", 6, "KPERUS", "toimintakate", "linear", -80.0, -78.0, -79.0, "2024-09"),
    ]
    with duckdb.connect(str(copy)) as con:
        for period, month, org, line, kind, forecast, budget, outturn, outturn_period in rows:
            forecast, budget, outturn = (
                Decimal(str(v)) * 1_000_000 for v in (forecast, budget, outturn)
            )
            con.execute(
                "insert into marts.fct_forecast_accuracy by name select ? as reporting_period, "
                "? as fiscal_year, ? as reporting_month, 'KOUVOLA' as municipality_code, "
                "'KASOP' as scope_code, ? as org_code, ? as line_code, ? as forecast_kind, "
                "? as forecast_value, ? as budget, ? as outturn, ? as outturn_period, "
                "? as forecast_error, ? as budget_error, "
                "round((? - ?) / abs(?) * 100, 1) as forecast_error_pct, "
                "abs(? - ?) < abs(? - ?) as is_closer_than_budget",
                [
                    period,
                    int(period[:4]),
                    month,
                    org,
                    line,
                    kind,
                    forecast,
                    budget,
                    outturn,
                    outturn_period,
                    forecast - outturn,
                    budget - outturn,
                    forecast,
                    outturn,
                    outturn,
                    forecast,
                    outturn,
                    budget,
                    outturn,
                ],
            )
    return copy


def test_forecast_accuracy_of_the_closed_year_is_shown_per_unit(four: PipelineRun, tmp_path: Path):
    history = _history(four.published, tmp_path)
    files = render_report(history, "2024-06", tmp_path / "out", "KOUVOLA")
    parser = _parse(files.html.read_text(encoding="utf-8"))
    assert "ENNUSTEIDEN OSUVUUS" in page_headings(files.html.read_text(encoding="utf-8"))
    tables = parser.tables_of("forecast_accuracy")
    assert [t.attrs["data-org"] for t in tables] == ["KASOP", "KVARHA"]
    kasop = [(r.attrs["data-period"], r.attrs["data-kind"]) for r in tables[0].rows]
    assert kasop == [("2023-06", "controllers"), ("2023-06", "linear"), ("2023-09", "controllers")]
    first = [plain(c.text) for c in tables[0].rows[0].cells]
    # in the unit's printed amounts (thousands, one decimal): -145 against -146,5 million
    assert first == [
        "1-6/2023",
        "Yksikön ennuste",
        "-145 000,0",
        "-146 500,0",
        "1 500,0",
        "1,0",
        "kyllä",
    ]
    assert [plain(c.text) for c in tables[1].rows[0].cells][1:4] == [
        "Kausivaihtelun mukaan",
        "-54 100,0",
        "-54 600,0",
    ]
    assert "Ennuste 2023 1000e" in parser.plain_text


# The delivery's printed figures say nothing: the lines with figures, the seed's columns ----


def test_without_printed_figures_the_report_prints_the_lines_with_figures(
    four: PipelineRun, tmp_path: Path
):
    copy = tmp_path / "unprinted.duckdb"
    shutil.copyfile(four.published, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "delete from marts.fct_control_total_reconciliation where municipality_code = 'KOUVOLA'"
        )
    data = load_report(copy, "2024-06", "KOUVOLA")
    html, _ = render_documents(data)
    table = _parse(html).table("operating", "KASOP")
    assert measures(table) == [
        "prior_year_actual",
        "prior_year_same_period_actual",
        "budget",
        "actual",
        "remaining",
        "realised_pct",
    ]
    assert [r.attrs["data-line"] for r in table.line_rows()][-4:] == [
        "toimintakate",
        "vuosikate",
        "tilikauden_tulos",
        "tilikauden_ylijaama",
    ]
    assert cells(table, "toimintakate")[3:] == [
        "-148 151 000",
        "-79 201 399",
        "-68 949 601",
        "53,5",
    ]


# Numbers ----------------------------------------------------------------------------------


def test_percentages_round_as_the_marts_and_amounts_print_in_their_unit():
    assert percentage(Decimal(2030), Decimal(4000), 1) == Decimal("50.7")
    assert percentage(Decimal("-53302372"), Decimal("-123048600"), 0) == Decimal(43)
    assert str(percentage(Decimal(0), Decimal(7), 1)) == "0.0"
    assert format_amount(Decimal("-84050091.16"), "1000", 1) == "-84\u00a0050,1"
    assert format_amount(Decimal("480000"), "1000", 1) == "480,0"
    assert format_amount(Decimal("-400"), "1000", 0) == "0"
    assert format_amount(None, "1", 0) == ""


# --- what the four deliveries load and reconcile ------------------------------------------


def _rows(run: PipelineRun, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(run.published), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _figure(run: PipelineRun, org: str, line: str, columns: str) -> tuple:
    (row,) = _rows(
        run,
        f"select {columns} from marts.fct_budget_vs_actual where org_code = ? and line_code = ?",
        [org, line],
    )
    return row


def _printed_rows(folder: Path) -> int:
    return len((folder / "control_totals.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_every_format_loads_and_every_printed_figure_reconciles(formats_run: PipelineRun):
    output = formats_run.output
    for check in sorted(set(CHECKS) - {"investment_totals_reconcile"}):
        assert re.search(rf"{check} passed: \d+ figures, \d+ rounding differences, 0 fail", output)
    # Only the export has investments (on its investment accounts): 12 printed figures.
    assert "investment_totals_reconcile passed: 12 figures, 0 rounding differences" in output
    by_municipality = dict(
        _rows(
            formats_run,
            "select municipality_code, count(*) from marts.fct_control_total_reconciliation "
            "where reconciliation_status in ('exact', 'rounding') group by 1",
        )
    )
    municipalities = {
        "city": "HAMEENLINNA",
        "budget_changes": "KOUVOLA",
        "board": "MIKKELI",
        "external_internal": "PORVOO",
        "account_export": "JOENSUU",
    }
    assert by_municipality == {
        municipalities[name]: _printed_rows(folder)
        for name, folder in {**FORMATS, **EXPORTS}.items()
    }
    reports = {r.name for r in formats_run.result.reports} if formats_run.result else set()
    assert reports == {
        "osavuosikatsaus_2024-04_HAMEENLINNA_HAMEENLINNA.html",
        "osavuosikatsaus_2024-06_KOUVOLA_KASOP.html",
        "osavuosikatsaus_2024-05_MIKKELI_SIVLTK.html",
        "osavuosikatsaus_2024-08_PORVOO_PTEKPA.html",
        EXPORT_REPORT,
    }


def test_a_city_income_statement_runs_from_tax_revenue_to_the_surplus(formats_run: PipelineRun):
    columns = "budget, actual, prior_year_same_period_actual"
    assert _figure(formats_run, "HAMEENLINNA", "toimintakate", columns) == (
        Decimal("-239607800"),
        Decimal("-76028323"),
        Decimal("-72748488"),
    )
    assert _figure(formats_run, "HAMEENLINNA", "vuosikate", "budget, actual") == (
        21708000,
        12422833,
    )
    # the surplus is the result: no appropriations are booked
    assert _figure(formats_run, "HAMEENLINNA", "tilikauden_ylijaama", "budget, actual") == (
        -2872600,
        4221562,
    )
    lines = {
        line
        for (line,) in _rows(
            formats_run,
            "select line_code from marts.fct_budget_vs_actual where org_code = 'HAMEENLINNA'",
        )
    }
    assert {"verotulot", "valtionosuudet", "korkotuotot", "muut_rahoituskulut"} <= lines
    assert {"palkat_ja_palkkiot", "elakekulut", "henkilosivukulut", "henkilostokulut"} <= lines


def test_a_department_follows_its_budget_changes_and_forecasts(formats_run: PipelineRun):
    columns = (
        "original_budget, budget_changes, budget, forecast, forecast_variance, realised_pct, "
        "prior_year_actual, prior_year_same_period_actual"
    )
    assert _figure(formats_run, "KASOP", "toimintakate", columns) == (
        Decimal("-146131000"),
        Decimal("-2020000"),
        Decimal("-148151000"),
        Decimal("-150020000"),
        Decimal("-1869000"),
        Decimal("53.5"),
        None,  # no prior year delivered, none made up
        None,
    )
    # variance = actual - budget: the department has spent less than the whole year's budget
    actual, variance = _figure(formats_run, "KASOP", "toimintakate", "actual, variance")
    assert variance == actual - Decimal("-148151000") and variance > 0
    reasons = _rows(
        formats_run,
        "select org_code, line_code, forecast, forecast_reason from marts.fct_forecasts "
        "where org_code = 'KVARHA' and line_code = 'toimintakulut'",
    )
    assert reasons[0][:3] == ("KVARHA", "toimintakulut", Decimal("-63370000"))
    assert "Palkkaratkaisun" in reasons[0][3]
    # the controllers' forecast of the bound net, and its flag
    (follow_up,) = _rows(
        formats_run,
        "select binding_level, bound_line_code, forecast_net, is_forecast_over_budget "
        "from marts.fct_binding_level_follow_up where org_code = 'KASOP'",
    )
    assert follow_up == ("council", "toimintakate", Decimal("-150020000"), True)


def test_a_board_prints_whole_number_percentages_of_tulot_and_menot(formats_run: PipelineRun):
    assert _figure(formats_run, "SIVLTK", "toimintakate", "budget, actual") == (
        Decimal("-123048600"),
        Decimal("-53302372"),
    )
    printed = _rows(
        formats_run,
        "select distinct statement, printed_decimals, tolerance "
        "from marts.fct_control_total_reconciliation "
        "where municipality_code = 'MIKKELI' and measure = 'realised_pct'",
    )
    assert printed == [("budget_binding", 0, 1)]  # whole numbers, within one step
    (netto,) = _rows(
        formats_run,
        "select expected_value, computed_value from marts.fct_control_total_reconciliation "
        "where org_code = 'SIVLTK' and line_code = 'netto' and measure = 'realised_pct'",
    )
    assert netto == (43, 43)


def test_external_and_internal_items_and_an_external_binding(formats_run: PipelineRun):
    total, external = _figure(formats_run, "PTEKPA", "toimintakate", "budget, budget_external")
    assert (total, external) == (Decimal("980200"), Decimal("-47722800"))
    assert total - external == Decimal("48703000")  # the internal items
    actual, actual_external = _figure(
        formats_run, "PTEKPA", "toimintakate", "actual, actual_external"
    )
    assert (actual, actual_external) == (Decimal("729510"), Decimal("-30459984"))
    (bound,) = _rows(
        formats_run,
        "select binding_level, bound_items, budget_net, actual_net, realised_pct, "
        "forecast_linear_net, is_linear_forecast_over_budget "
        "from marts.fct_binding_level_follow_up where org_code = 'PTEKPA'",
    )
    assert bound == (
        "council",
        "external",
        Decimal("-47722800"),
        Decimal("-30459984"),
        Decimal("63.8"),
        Decimal("-45689976"),  # x 12 / 8
        False,
    )
    # the seed's municipality keeps the default: the department's net of all items
    assert _rows(
        formats_run,
        "select distinct bound_items from marts.fct_binding_level_follow_up "
        "where municipality_code <> 'PORVOO'",
    ) == [("all",)]


def _check_sums(folder: Path) -> subprocess.CompletedProcess:
    checker = Path(__file__).parent / "deliveries" / "check_sums.py"
    return subprocess.run(
        [sys.executable, str(checker), str(folder)], capture_output=True, text=True
    )


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_checker_of_the_test_deliveries_agrees(name: str):
    """tests/deliveries/check_sums.py recomputes every printed figure on its own, without
    the warehouse: the test deliveries are consistent by a second reckoning."""
    done = _check_sums(FORMATS[name])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checker_of_the_test_deliveries_finds_a_wrong_figure(tmp_path: Path):
    folder = tmp_path / "2024-05"
    shutil.copytree(FORMATS["board"], folder)
    printed = folder / "control_totals.csv"
    text = printed.read_text(encoding="utf-8")
    row = "2024;5;budget_binding;MVARHA;menot;realised_pct;42;%"
    assert row in text
    printed.write_text(text.replace(row, row.replace(";42;", ";40;")), encoding="utf-8")
    done = _check_sums(folder)
    assert done.returncode == 1 and "MVARHA" in done.stdout + done.stderr


# --- what the new columns and extracts refuse, with file, line and column ------------------


def _refused(folder: Path) -> list[str]:
    from orchestration.ingest.reading import ExtractRefused
    from orchestration.ingest.validation import validate_delivery

    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(folder)
    return [str(e) for e in refused.value.errors]


def _copy_with(tmp_path: Path, name: str, file: str, old: str, new: str) -> Path:
    folder = tmp_path / FORMATS[name].name
    shutil.copytree(FORMATS[name], folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_a_forecast_is_made_at_the_reporting_month(tmp_path: Path):
    from orchestration.ingest.validation import validate_delivery

    assert "forecasts" in validate_delivery(FORMATS["budget_changes"]).extracts
    folder = _copy_with(tmp_path, "budget_changes", "forecasts.csv", "\n2024;6;", "\n2024;12;")
    assert _refused(folder) == [
        "forecasts.csv:2 column 'period': 12 does not match the delivery's reporting period "
        "2024-06; expected 6"
    ]


def test_items_are_external_or_internal(tmp_path: Path):
    folder = _copy_with(tmp_path, "external_internal", "ledger.csv", ";external;", ";ulkoinen;")
    (error,) = _refused(folder)
    assert error.startswith("ledger.csv:2 column 'item': 'ulkoinen' is not allowed; expected ")
    assert error.endswith("one of external, internal (found 'ulkoinen')")


def test_a_delivery_of_organisation_ledger_and_control_totals_is_whole(tmp_path: Path):
    """No goals, investments or narratives: none is required (every format above)."""
    from orchestration.ingest.validation import validate_delivery

    for folder in FORMATS.values():
        assert set(validate_delivery(folder).extracts) <= {
            "organisation",
            "ledger",
            "control_totals",
            "forecasts",
        }
    folder = tmp_path / "2024-05"
    shutil.copytree(FORMATS["board"], folder)
    (folder / "control_totals.csv").unlink()
    assert _refused(folder) == [
        "control_totals.csv: required control totals (printed figures) extract is missing "
        "from 2024-05/"
    ]


# A finance-system export through its source profile ----------------------------------------


def _export_sums(prefixes: tuple[str, ...], units: tuple[str, ...]) -> tuple[Decimal, Decimal]:
    """(budget, actual) of the export's rows on accounts starting with a prefix, booked
    under one of the units (any level of its hierarchy columns), in the report sign."""
    import csv

    export = EXPORTS["account_export"] / "toteutuma_tileittain_2024-04.csv"
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    budget = actual = Decimal(0)
    for row in rows:
        account = row[9].removeprefix("TILI/").split(" ")[0]
        if account.startswith(prefixes) and set(units) & {row[0], row[2], row[4], row[6]}:
            # the export's ledger sign: income negative, expenses positive
            budget -= Decimal(row[10].replace(" ", "").replace(",", "."))
            actual -= Decimal(row[11].replace(" ", "").replace(",", "."))
    return budget, actual


def test_the_export_loads_through_its_profile_with_its_goal_sheet(formats_run: PipelineRun):
    output = formats_run.output
    assert re.search(r"raw/ledger_accounts +132 rows loaded +from toteutuma_tileittain", output)
    # The units come from the export's hierarchy columns, with the lines they first appear on.
    assert _rows(
        formats_run,
        "select org_level, count(*), min(_source_line) from raw.organisation "
        "where _source_file = 'toteutuma_tileittain_2024-04.csv' group by 1 order by 3, 1",
    ) == [
        ("cost_centre", 7, 2),
        ("department", 2, 2),
        ("municipality", 1, 2),
        ("service_area", 4, 2),
    ]
    assert re.search(r"raw/goals +3 rows loaded +from tavoitteet_2024-04.xlsx", output)
    assert _rows(
        formats_run,
        "select goal_id, goal_level, status_fi from marts.fct_goals "
        "where municipality_code = 'JOENSUU' order by goal_id",
    ) == [
        ("T1", "council", "Toteutuu osittain"),
        ("T2", "operating_plan", "Toteutuu"),
        ("T3", "council", "Ei toteudu"),
    ]


def test_internal_accounts_are_kept_and_flagged_the_rest_external(formats_run: PipelineRun):
    total = _figure(formats_run, "JOENSUU", "palvelujen_ostot", "budget, actual")
    external = _figure(
        formats_run, "JOENSUU", "palvelujen_ostot", "budget_external, actual_external"
    )
    assert total == _export_sums(("44", "94"), ("JOENSUU",))
    assert external == _export_sums(("44",), ("JOENSUU",))
    internal = _export_sums(("94",), ("JOENSUU",))
    assert internal[1] < 0 and total[1] == external[1] + internal[1]
    # A department without internal income has its income external only.
    assert (
        _figure(formats_run, "KASVU", "toimintatuotot", "actual, actual_external")
        == (_export_sums(("30", "32", "33"), ("KASVU",))[1],) * 2
    )


def test_activation_is_operating_and_investment_accounts_are_investments(
    formats_run: PipelineRun,
):
    activation = _export_sums(("37",), ("TEKPA",))
    assert activation[1] > 0  # income in the report sign
    assert _figure(formats_run, "TEKPA", "valmistus_omaan_kayttoon", "budget, actual") == activation
    menot = _export_sums(("80", "81", "82", "83", "84"), ("TEKPA",))
    assert menot[1] < 0
    assert _rows(
        formats_run,
        "select budget, actual from marts.fct_investments "
        "where org_code = 'TEKPA' and line_code = 'menot'",
    ) == [menot]
    # The operating expenses hold no investment account.
    assert (
        _figure(formats_run, "TEKPA", "toimintakulut", "actual")[0]
        == _export_sums(("4", "94", "96"), ("TEKPA",))[1]
    )
