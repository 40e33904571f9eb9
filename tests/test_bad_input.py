"""Bad deliveries are refused with the file, line, column and what was expected.

Every case copies the embedded delivery (seeds/2023-03) into tmp_path, perturbs
one thing and checks the single error validate_delivery reports. Line numbers
are physical lines of the file (header = line 1; 0 = the whole file). The
near-misses at the end show that the unperturbed copy, and inputs that only
look odd, are accepted.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.delivery import Delivery
from orchestration.ingest.loading import load_delivery
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractError, ExtractRefused
from orchestration.ingest.validation import validate_delivery
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR

BOM = b"\xef\xbb\xbf"
# The 2023 actual of HYTE's personnel costs to March (ledger.csv, CRLF, with BOM).
LEDGER_ROW = "2023;3;HYTE;henkilostokulut;actual;-82967;1"
LEDGER_BUDGET_ROW = "2023;12;HYTE;henkilostokulut;budget;-451100;1"
PCT_ROW = "2023;3;budget_binding;HYTO;tulot;realised_pct;24,70;%"
ACTUAL_TOTAL_ROW = "2023;3;budget_binding;HYTO;tulot;actual;739180;1"
INVESTMENT_ROW = "2023;3;OPKOU;KAILAS-KOULU-VALINEET;menot;actual;"
LINES = "expected an operating line: aineet_tarvikkeet_ja_tavarat, arvonalentumiset, avustukset"

Perturb = Callable[[Path], int]


# --- helpers ------------------------------------------------------------------


def copy_delivery(parent: Path) -> Path:
    target = parent / "2023-03"
    shutil.copytree(DEFAULT_DELIVERY_DIR, target)
    return target


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    """A writable copy of the embedded delivery, named 2023-03."""
    return copy_delivery(tmp_path)


def replace_once(path: Path, old: bytes, new: bytes) -> int:
    """Replace the only occurrence of `old`; return its physical line number."""
    data = path.read_bytes()
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times in {path.name}"
    path.write_bytes(data.replace(old, new))
    return data.count(b"\n", 0, data.index(old)) + 1


def edit_row(path: Path, old: str, new: str) -> int:
    """Rewrite text of one row in place (BOM, line endings kept); return its line."""
    return replace_once(path, old.encode(), new.encode())


def edit_lines(path: Path, change: Callable[[int, str], str]) -> None:
    """Apply change(line_number, text) to every non-empty line of a UTF-8 file."""
    data = path.read_bytes()
    bom = BOM if data.startswith(BOM) else b""
    eol = b"\r\n" if b"\r\n" in data else b"\n"
    lines = data[len(bom) :].split(eol)
    changed = [
        change(n, line.decode()).encode() if line else line for n, line in enumerate(lines, 1)
    ]
    path.write_bytes(bom + eol.join(changed))


def write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def refusal(folder: Path, period: ReportingPeriod | None = None) -> list[ExtractError]:
    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(folder, period)
    return refused.value.errors


def ledger_row(delivery: Delivery, line: int) -> dict:
    return next(r for r in delivery.extracts["ledger"].rows if r["_source_line"] == line)


# --- perturbations: each changes one thing and returns the line it broke -------


def row(file: str, old: str, new: str) -> Perturb:
    return lambda folder: edit_row(folder / file, old, new)


def ledger_amount(amount: str) -> Perturb:
    return row("ledger.csv", LEDGER_ROW, f"2023;3;HYTE;henkilostokulut;actual;{amount};1")


def header_change(change: Callable[[int, str], str]) -> Perturb:
    def perturb(folder: Path) -> int:
        edit_lines(folder / "ledger.csv", change)
        return 1

    return perturb


def tab_separated(folder: Path) -> int:
    edit_lines(folder / "ledger.csv", lambda n, text: text.replace(";", "\t"))
    return 1


def duplicated_ledger_row(folder: Path) -> int:
    line = edit_row(folder / "ledger.csv", LEDGER_ROW + "\r\n", (LEDGER_ROW + "\r\n") * 2)
    return line + 1


def comma_delimited_unquoted_decimal(folder: Path) -> int:
    ledger = folder / "ledger.csv"
    edit_lines(ledger, lambda n, text: text.replace(";", ","))
    return edit_row(ledger, "actual,-82967,1", "actual,-82967,50,1")


def undefined_cp1252_byte(folder: Path) -> int:
    return replace_once(folder / "organisation.csv", b"Virikkeellinen", b"Virikkeellinen\x81")


def latin1_byte_in_utf8(folder: Path) -> int:
    org = folder / "organisation.csv"
    return replace_once(org, "Virikkeellinen elämä".encode(), b"Virikkeellinen el\xe4m\xc3\xa4")


def latin1_byte_after_utf8_c_caron(folder: Path) -> int:
    """UTF-8 'č' is C4 8D: its second byte is one Windows-1252 leaves undefined."""
    org = folder / "organisation.csv"
    replace_once(org, b"toimiala;HYTO", "toimiala (Ivančić);HYTO".encode())
    return latin1_byte_in_utf8(folder)


def latin1_byte_after_bom(folder: Path) -> int:
    return replace_once(
        folder / "ledger.csv",
        b"HYTE;henkilostokulut;actual;-82967",
        b"HYT\xc4;henkilostokulut;actual;-82967",
    )


def utf16_file(folder: Path) -> int:
    org = folder / "organisation.csv"
    write_bytes(org, org.read_bytes().decode("utf-8").encode("utf-16"))
    return 1


def nul_byte_in_row(folder: Path) -> int:
    return replace_once(folder / "ledger.csv", b";-82967;", b";-82\x00967;")


def empty_file(folder: Path) -> int:
    write_bytes(folder / "ledger.csv", b"")
    return 0


def header_only(folder: Path) -> int:
    ledger = folder / "ledger.csv"
    write_bytes(ledger, ledger.read_bytes().split(b"\r\n")[0] + b"\r\n")
    return 0


def unknown_extra_file(folder: Path) -> int:
    (folder / "notes.csv").write_text("note;text\n1;hello\n", encoding="utf-8")
    return 0


def missing_control_totals(folder: Path) -> int:
    (folder / "control_totals.csv").unlink()
    return 0


def second_ledger(folder: Path) -> int:
    shutil.copy(folder / "ledger.csv", folder / "ledger_2023-03.csv")
    return 0


BAD_INPUTS = [
    # -- delimiter and header (ledger.csv, line 1)
    pytest.param(
        tab_separated,
        "ledger.csv",
        "",
        "(found tab); expected column names separated by ';' or ','",
        id="tab-separated",
    ),
    pytest.param(
        header_change(lambda n, t: t.replace("period;", "period,") if n == 1 else t),
        "ledger.csv",
        "",
        "header contains both ';' and ','",
        id="header-semicolon-and-comma",
    ),
    pytest.param(
        header_change(lambda n, t: t.rsplit(";", 1)[0]),
        "ledger.csv",
        "unit",
        "missing column; expected the columns fiscal_year;period;org_code;line_code;"
        "scenario;amount;unit",
        id="missing-column",
    ),
    pytest.param(
        header_change(lambda n, t: t + (";comment" if n == 1 else ";")),
        "ledger.csv",
        "comment",
        "unexpected column for a ledger extract; expected the columns fiscal_year;",
        id="extra-column",
    ),
    pytest.param(
        header_change(lambda n, t: t + (";amount" if n == 1 else ";0")),
        "ledger.csv",
        "amount",
        "column appears more than once",
        id="duplicated-column",
    ),
    # -- numbers
    pytest.param(
        ledger_amount("abc"),
        "ledger.csv",
        "amount",
        "a number such as -1 234 567,89",
        id="non-numeric-amount",
    ),
    pytest.param(
        ledger_amount(""),
        "ledger.csv",
        "amount",
        "a value is required (a number such as -1 234 567,89)",
        id="empty-amount",
    ),
    pytest.param(
        ledger_amount("1,234"),
        "ledger.csv",
        "amount",
        "'1,234' is ambiguous",
        id="ambiguous-comma-thousands",
    ),
    pytest.param(
        ledger_amount("1.234"),
        "ledger.csv",
        "amount",
        "write thousands with spaces (1 234)",
        id="ambiguous-point-thousands",
    ),
    pytest.param(
        ledger_amount("1.234,5"),
        "ledger.csv",
        "amount",
        "use spaces for thousands and one decimal separator",
        id="point-thousands-comma-decimal",
    ),
    pytest.param(
        ledger_amount("1.234.567"),
        "ledger.csv",
        "amount",
        "thousands separators other than spaces are not accepted; write 1 234 567,89",
        id="point-thousands-twice",
    ),
    pytest.param(
        ledger_amount("12 34"),
        "ledger.csv",
        "amount",
        "spaces may only separate groups of three digits (e.g. 1 234 567,89)",
        id="spaces-not-grouping-thousands",
    ),
    pytest.param(
        ledger_amount("-123456789012345"),
        "ledger.csv",
        "amount",
        "(found '-123456789012345')",
        id="amount-too-large-for-warehouse",
    ),
    # -- codes and references (ledger.csv)
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYTX;henkilostokulut;actual;-82967;1"),
        "ledger.csv",
        "org_code",
        "unknown organisation unit 'HYTX'; expected a unit of organisation.csv",
        id="unknown-unit",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYLA;henkilostokulut;actual;-82967;1"),
        "ledger.csv",
        "org_code",
        "unit 'HYLA' is above the delivery's scope HYTO; expected a unit within HYTO",
        id="unit-above-the-scope-books-in-ledger",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYTE;henkilostokulu;actual;-82967;1"),
        "ledger.csv",
        "line_code",
        f"report line 'henkilostokulu' is unknown; {LINES}",
        id="unknown-report-line",
    ),
    pytest.param(
        row(
            "ledger.csv",
            "2023;3;HYTE;palvelujen_ostot;actual;-30771;1",
            "2023;3;HYTE;palkat_ja_palkkiot;actual;-30771;1",
        ),
        "ledger.csv",
        "line_code",
        "'palkat_ja_palkkiot' is booked together with 'henkilostokulut' above it "
        "(fiscal_year=2023, org_code=HYTE, scenario=actual); expected the lines of one level",
        id="a-line-and-a-line-above-it-both-booked",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYTE;henkilostokulut;forecast;-82967;1"),
        "ledger.csv",
        "scenario",
        "'forecast' is not allowed; expected one of actual, budget, original_budget, "
        "budget_changes",
        id="unknown-scenario",
    ),
    pytest.param(
        duplicated_ledger_row,
        "ledger.csv",
        "scenario",
        "duplicate key (fiscal_year=2023, period=3, org_code=HYTE, line_code=henkilostokulut, "
        "scenario=actual); first seen on line 13; expected one row per key",
        id="duplicate-key",
    ),
    # -- reporting period (ledger.csv, goals.csv)
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;13;HYTE;henkilostokulut;actual;-82967;1"),
        "ledger.csv",
        "period",
        "13 is outside 1-12; expected the month",
        id="period-13",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;0;HYTE;henkilostokulut;actual;-82967;1"),
        "ledger.csv",
        "period",
        "0 is outside 1-12; expected the month",
        id="period-0",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2021;3;HYTE;henkilostokulut;actual;-82967;1"),
        "ledger.csv",
        "fiscal_year",
        "2021 does not belong to reporting period 2023-03; expected 2023 or the prior year 2022",
        id="ledger-fiscal-year-2021",
    ),
    pytest.param(
        row("goals.csv", "2023;3;V01;", "2022;3;V01;"),
        "goals.csv",
        "fiscal_year",
        "2022 does not match the delivery's reporting period 2023-03; expected 2023",
        id="goals-fiscal-year-2022",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;6;HYTE;henkilostokulut;actual;-82967;1"),
        "ledger.csv",
        "period",
        "actual up to month 6 lies after the reporting period 2023-03; expected at most 3",
        id="actual-after-reporting-period",
    ),
    pytest.param(
        row(
            "ledger.csv",
            LEDGER_BUDGET_ROW,
            "2022;12;HYTE;henkilostokulut;original_budget;-451100;1",
        ),
        "ledger.csv",
        "fiscal_year",
        "original_budget for 2022 in a delivery for 2023-03; expected the original_budget of "
        "2023 (of the prior year only the budget after changes is given)",
        id="original-budget-for-prior-year",
    ),
    # -- row shape
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYTE;henkilostokulut;actual;-82967"),
        "ledger.csv",
        "",
        "truncated row: 6 fields, expected 7",
        id="truncated-row",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, LEDGER_ROW + ";1"),
        "ledger.csv",
        "",
        "too many fields: 8 fields, expected 7",
        id="too-many-fields",
    ),
    pytest.param(
        comma_delimited_unquoted_decimal,
        "ledger.csv",
        "",
        "in a ','-delimited file a decimal comma must be quoted",
        id="comma-delimited-unquoted-decimal-comma",
    ),
    pytest.param(
        row("narratives.csv", 'elinvoimaisuuden kehittyminen."', "elinvoimaisuuden kehittyminen."),
        "narratives.csv",
        "",
        "malformed CSV quoting",
        id="unclosed-quote",
    ),
    pytest.param(
        row(
            "narratives.csv",
            '2023;3;HYTO;report_date;1;"28.04.2023"',
            "2023;3;HYTO;report_date;1;31.4.2023",
        ),
        "narratives.csv",
        "text",
        "'31.4.2023' is not a date; expected the report's date as d.m.yyyy",
        id="report-date-not-a-day",
    ),
    pytest.param(
        row(
            "narratives.csv",
            '2023;3;HYTO;report_date;1;"28.04.2023"',
            "2023;3;HYTO;report_date;1;huhtikuu",
        ),
        "narratives.csv",
        "text",
        "'huhtikuu' is not a date",
        id="report-date-not-a-date",
    ),
    # -- units
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYTE;henkilostokulut;actual;-82967;100"),
        "ledger.csv",
        "unit",
        "'100' is not allowed; expected one of 1, 1000",
        id="unit-100",
    ),
    pytest.param(
        row("ledger.csv", LEDGER_ROW, "2023;3;HYTE;henkilostokulut;actual;-82967;1 000"),
        "ledger.csv",
        "unit",
        "'1 000' is not allowed; expected one of 1, 1000",
        id="unit-1-000-with-space",
    ),
    pytest.param(
        row("control_totals.csv", PCT_ROW, PCT_ROW.replace(";%", ";1000")),
        "control_totals.csv",
        "unit",
        "'1000' for measure realised_pct; expected %",
        id="percent-measure-in-thousands",
    ),
    pytest.param(
        row("control_totals.csv", ACTUAL_TOTAL_ROW, ACTUAL_TOTAL_ROW.replace(";1", ";%")),
        "control_totals.csv",
        "unit",
        "'%' for measure actual; expected 1 or 1000 (euros)",
        id="euro-measure-in-percent",
    ),
    pytest.param(
        row("control_totals.csv", ACTUAL_TOTAL_ROW, ACTUAL_TOTAL_ROW.replace("tulot", "tulotx")),
        "control_totals.csv",
        "line_code",
        "unknown report line 'tulotx' for statement budget_binding; expected one of tulot",
        id="control-total-unknown-line",
    ),
    # -- goals, metrics, investments, organisation
    pytest.param(
        row(
            "goals.csv",
            'Hyvinvointijohtaja";"Toteutuu";achieved',
            'Hyvinvointijohtaja";"Toteutuu";not_achieved',
        ),
        "goals.csv",
        "status",
        "'not_achieved' contradicts status_fi 'Toteutuu'; expected achieved",
        id="goal-status-contradicts-status-fi",
    ),
    pytest.param(
        row("goal_metrics.csv", "2023;3;K01;taitomerkit_per", "2023;3;K99;taitomerkit_per"),
        "goal_metrics.csv",
        "goal_id",
        "unknown goal 'K99'; expected a goal_id of goals",
        id="metric-of-unknown-goal",
    ),
    pytest.param(
        row("goal_metrics.csv", 'opettajien osuus";31.3.2023;', 'opettajien osuus";31.13.2023;'),
        "goal_metrics.csv",
        "observed_on",
        "a date such as 31.3.2023",
        id="date-31-13-2023",
    ),
    pytest.param(
        row("goal_metrics.csv", 'opettajien osuus";31.3.2023;', 'opettajien osuus";31/3/2023;'),
        "goal_metrics.csv",
        "observed_on",
        "a date like 31.3.2023 or 2023-03-31 is required",
        id="date-with-slashes",
    ),
    pytest.param(
        row("goal_metrics.csv", 'osuus";31.3.2023;;;50;', 'osuus";31.3.2023;;;;'),
        "goal_metrics.csv",
        "observed_value",
        "neither target_value nor observed_value given; expected at least one",
        id="metric-without-values",
    ),
    pytest.param(
        row("investments.csv", INVESTMENT_ROW, INVESTMENT_ROW.replace("VALINEET", "VALINEX")),
        "investments.csv",
        "project_code",
        "unknown project 'KAILAS-KOULU-VALINEX'; expected a project_code of investment_projects",
        id="investment-unknown-project",
    ),
    pytest.param(
        row("investments.csv", INVESTMENT_ROW, INVESTMENT_ROW.replace("OPKOU", "VAKA")),
        "investments.csv",
        "org_code",
        "project 'KAILAS-KOULU-VALINEET' belongs to OPKOU; expected OPKOU",
        id="investment-org-differs-from-project",
    ),
    pytest.param(
        row("organisation.csv", "OPKOU;service_area;HYTO;", "OPKOU;service_area;HYTX;"),
        "organisation.csv",
        "parent_code",
        "unknown parent 'HYTX'; expected an org_code of this file",
        id="organisation-unknown-parent",
    ),
    # -- encodings and bytes
    pytest.param(
        undefined_cp1252_byte,
        "organisation.csv",
        "",
        "undecodable byte 0x81 at character 38: the file is neither UTF-8 nor Windows-1252",
        id="undefined-byte-0x81",
    ),
    pytest.param(
        latin1_byte_in_utf8,
        "organisation.csv",
        "",
        "byte 0xE4 at character 41 is not UTF-8, but other parts of the file are: mixed "
        "encodings cannot be read reliably; save the file again as UTF-8",
        id="mixed-encodings",
    ),
    pytest.param(
        latin1_byte_after_utf8_c_caron,
        "organisation.csv",
        "",
        "mixed encodings cannot be read reliably; save the file again as UTF-8",
        id="mixed-encodings-with-c-caron",
    ),
    pytest.param(
        latin1_byte_after_bom,
        "ledger.csv",
        "",
        "byte 0xC4 at character 11 is not UTF-8, although the file starts with a UTF-8 "
        "byte-order mark",
        id="latin1-byte-in-bom-file",
    ),
    pytest.param(
        utf16_file,
        "organisation.csv",
        "",
        "the file is binary or UTF-16; expected a CSV file saved as UTF-8 or Windows-1252",
        id="utf16-file",
    ),
    pytest.param(
        nul_byte_in_row,
        "ledger.csv",
        "",
        "NUL byte at character 39: the file is binary or UTF-16",
        id="nul-byte-in-row",
    ),
    pytest.param(
        empty_file,
        "ledger.csv",
        "",
        "the file is empty; expected a header and rows",
        id="empty-file",
    ),
    pytest.param(
        header_only,
        "ledger.csv",
        "",
        "the file has a header but no rows; expected at least one row",
        id="header-only",
    ),
    # -- the files of the folder
    pytest.param(
        unknown_extra_file,
        "notes.csv",
        "",
        "unknown extract; expected a file named after one of organisation, ledger,",
        id="unknown-extra-file",
    ),
    pytest.param(
        missing_control_totals,
        "control_totals.csv",
        "",
        "required control totals (printed figures) extract is missing from 2023-03/",
        id="required-extract-missing",
    ),
    pytest.param(
        second_ledger,
        "ledger_2023-03.csv",
        "",
        "a second ledger extract beside ledger.csv; expected one file per kind",
        id="two-ledger-files",
    ),
]


@pytest.mark.parametrize(("perturb", "file", "column", "expected"), BAD_INPUTS)
def test_bad_input_is_refused_with_its_place(
    delivery: Path, perturb: Perturb, file: str, column: str, expected: str
) -> None:
    line = perturb(delivery)
    errors = refusal(delivery)
    shown = "\n".join(f"  {e.file}:{e.line} [{e.column}] {e.message}" for e in errors)
    assert [(e.file, e.line, e.column) for e in errors] == [(file, line, column)], shown
    assert expected in errors[0].message, shown


def test_perturbed_lines_are_the_seed_rows_we_mean(delivery: Path) -> None:
    """Guards the line numbers above: they are found in the seed, not assumed."""
    ledger = (delivery / "ledger.csv").read_bytes()
    assert ledger.startswith(BOM + b"fiscal_year;period;org_code;")
    assert ledger.split(b"\r\n")[12].decode() == LEDGER_ROW
    assert edit_row(delivery / "ledger.csv", LEDGER_ROW, LEDGER_ROW) == 13
    assert edit_row(delivery / "goals.csv", "2023;3;V04;", "2023;3;V04;") == 12


def test_organisation_cycle_names_the_units_in_the_loop(delivery: Path) -> None:
    """HYLA <-> HYTO loop; the service areas below HYTO run into it but are not in it."""
    org = delivery / "organisation.csv"
    hyla = edit_row(org, "HYLA;board;HEINOLA;", "HYLA;board;HYTO;")
    errors = refusal(delivery)
    assert {(e.file, e.column) for e in errors} == {("organisation.csv", "parent_code")}
    looping = sorted(e.line for e in errors if "loops back to this unit" in e.message)
    assert looping == [hyla, hyla + 1], "\n".join(map(str, errors))


def test_folder_without_period_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "2023-13"
    shutil.copytree(DEFAULT_DELIVERY_DIR, folder)
    errors = refusal(folder)
    assert [(e.file, e.line, e.column) for e in errors] == [(str(folder), 0, "")]
    assert "name the folder YYYY-MM (e.g. 2023-03)" in errors[0].message


# --- near misses: the unperturbed copy and odd-looking inputs that are valid ----


def test_unperturbed_copy_is_valid(delivery: Path) -> None:
    valid = validate_delivery(delivery)
    assert valid.reporting_period == ReportingPeriod(2023, 3)
    assert sorted(valid.extracts) == sorted(
        set(CONTRACTS) - {"ledger_accounts", "org_mapping", "forecasts"}
    )
    ledger = valid.extracts["ledger"]
    assert (ledger.encoding, ledger.delimiter, len(ledger.rows)) == ("utf-8-sig", ";", 184)
    assert ledger_row(valid, 13)["amount"] == Decimal("-82967")


def test_explicit_period_for_a_folder_not_named_by_period(tmp_path: Path) -> None:
    folder = tmp_path / "delivery"
    shutil.copytree(DEFAULT_DELIVERY_DIR, folder)
    valid = validate_delivery(folder, ReportingPeriod(2023, 3))
    assert str(valid.reporting_period) == "2023-03"
    assert "cannot tell the reporting period" in refusal(folder)[0].message


@pytest.mark.parametrize(
    ("amount", "value"),
    [
        pytest.param("-82\u00a0967", Decimal("-82967"), id="nbsp-thousands"),
        pytest.param("-82\u202f967,00", Decimal("-82967.00"), id="narrow-nbsp-thousands"),
        pytest.param("-1 082 967,5", Decimal("-1082967.5"), id="space-thousands-decimal-comma"),
        pytest.param("82 967-", Decimal("-82967"), id="trailing-minus"),
        pytest.param("\u22120,125", Decimal("-0.125"), id="leading-zero-three-decimals"),
    ],
)
def test_number_near_misses_are_accepted(delivery: Path, amount: str, value: Decimal) -> None:
    line = ledger_amount(amount)(delivery)
    assert ledger_row(validate_delivery(delivery), line)["amount"] == value


def test_comma_delimited_file_with_quoted_decimal_comma_is_accepted(delivery: Path) -> None:
    ledger = delivery / "ledger.csv"
    edit_lines(ledger, lambda n, text: text.replace(";", ","))
    line = edit_row(ledger, "actual,-82967,1", 'actual,"-82 967,50",1')
    valid = validate_delivery(delivery)
    assert valid.extracts["ledger"].delimiter == ","
    assert ledger_row(valid, line)["amount"] == Decimal("-82967.50")


def test_windows_1252_file_is_accepted(delivery: Path) -> None:
    org = delivery / "organisation.csv"
    write_bytes(org, org.read_bytes().decode("utf-8").encode("cp1252"))
    assert b"el\xe4m\xe4" in org.read_bytes()
    extract = validate_delivery(delivery).extracts["organisation"]
    assert extract.encoding == "cp1252"
    assert {r["org_code"]: r["name_fi"] for r in extract.rows}["VIRE"] == "Virikkeellinen elämä"


def test_whole_delivery_in_windows_1252_is_accepted(delivery: Path) -> None:
    for path in delivery.glob("*.csv"):
        write_bytes(path, path.read_bytes().decode("utf-8-sig").encode("cp1252"))
    valid = validate_delivery(delivery)
    assert valid.extracts["goals"].encoding == "cp1252"
    assert len(valid.extracts["ledger"].rows) == 184


def test_windows_1252_with_curly_quotes_after_a_is_accepted(delivery: Path) -> None:
    """'ä”' is E4 94 in Windows-1252, bytes that also look like the start of UTF-8."""
    narratives = delivery / "narratives.csv"
    line = edit_row(narratives, "kehittyminen.", "kehittyminen. Teema on ”Hyvä elämä”.")
    write_bytes(narratives, narratives.read_bytes().decode("utf-8").encode("cp1252"))
    extract = validate_delivery(delivery).extracts["narratives"]
    assert extract.encoding == "cp1252"
    text = next(r["text"] for r in extract.rows if r["_source_line"] == line)
    assert text.endswith("Teema on ”Hyvä elämä”.")


def test_ledger_named_with_period_is_accepted(delivery: Path) -> None:
    (delivery / "ledger.csv").rename(delivery / "ledger_2023-03.csv")
    valid = validate_delivery(delivery)
    assert valid.extracts["ledger"].path.name == "ledger_2023-03.csv"
    assert len(valid.extracts["ledger"].rows) == 184


def test_ledger_without_bom_with_lf_and_trailing_blank_lines_is_accepted(delivery: Path) -> None:
    ledger = delivery / "ledger.csv"
    write_bytes(ledger, ledger.read_bytes()[len(BOM) :].replace(b"\r\n", b"\n") + b"\n\n")
    valid = validate_delivery(delivery)
    extract = valid.extracts["ledger"]
    assert (extract.encoding, len(extract.rows)) == ("utf-8", 184)
    assert ledger_row(valid, 13)["amount"] == Decimal("-82967")


# --- the command line ---------------------------------------------------------


def test_cli_refuses_a_bad_file_and_says_where(
    delivery: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = delivery / "ledger.csv"
    line = ledger_amount("1,234")(delivery)
    assert main(["validate", str(ledger), "--period", "2023-03"]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out
    assert f"ledger.csv:{line} column 'amount': '1,234' is ambiguous" in out
    assert "write thousands with spaces (1 234)" in out


def test_cli_accepts_the_good_folder(delivery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(delivery)]) == 0
    out = capsys.readouterr().out
    assert "VALID: delivery" in out and "for 2023-03" in out
    assert "ledger.csv" in out and "184 rows" in out


def test_cli_refuses_a_bad_folder(delivery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = ledger_amount("12 34")(delivery)
    assert main(["validate", str(delivery)]) == 1
    out = capsys.readouterr().out
    assert "nothing was loaded" in out
    assert f"ledger.csv:{line} column 'amount': spaces may only separate groups" in out


def test_the_same_problem_on_many_rows_is_shown_once_with_its_count(
    delivery: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scenario the contract does not take, on every row of two statement lines: one
    line naming the count and the first rows, not one line per row. Another problem in
    the same file stays a line of its own, and the error list keeps every row."""
    ledger = delivery / "ledger.csv"
    rows = ledger.read_bytes().decode("utf-8-sig").split("\r\n")
    changed = []
    for index, row in enumerate(rows):
        line_code = row.split(";")[3] if row.count(";") == 6 else ""
        if row.startswith("2023;3;") and line_code in ("henkilostokulut", "palvelujen_ostot"):
            rows[index] = row.replace(";actual;", ";forecast;")
            changed.append(index + 1)
    amount_line = next(i + 1 for i, r in enumerate(rows) if r.startswith("2023;12;"))
    rows[amount_line - 1] = rows[amount_line - 1].rsplit(";", 2)[0] + ";12 34;1"
    ledger.write_bytes(BOM + "\r\n".join(rows).encode("utf-8"))
    assert len(changed) > 5 and amount_line not in changed

    errors = refusal(delivery)
    assert sorted(e.line for e in errors if e.column == "scenario") == changed
    assert main(["validate", str(delivery)]) == 1
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("  - ")]
    shown = ", ".join(str(line) for line in changed[:5])
    scenario = next(e.message for e in errors if e.column == "scenario")
    amount = next(e.message for e in errors if e.column == "amount")
    expected = {
        changed[0]: f"  - ledger.csv lines {shown} and {len(changed) - 5} more "
        f"({len(changed)} rows) column 'scenario': {scenario}",
        amount_line: f"  - ledger.csv:{amount_line} column 'amount': {amount}",
    }
    # In the order the problems were first found: by line.
    assert problems == [expected[line] for line in sorted(expected)], out
    assert f"2023-03: 2 problem(s) on {len(errors)} lines; nothing was loaded." in out


def test_grouping_keeps_distinct_problems_apart():
    """Only the same message in the same file and column groups; whole-file errors and a
    problem on one line read as before."""
    errors = [
        ExtractError("ledger.csv", 3, "unit", "'2' is not one of 1, 1000"),
        ExtractError("ledger.csv", 0, "", "the file is empty"),
        ExtractError("goals.csv", 0, "", "the file is empty"),
        ExtractError("ledger.csv", 7, "unit", "'2' is not one of 1, 1000"),
        ExtractError("ledger.csv", 8, "scenario", "'2' is not one of 1, 1000"),
        ExtractError("ledger.csv", 9, "unit", "'3' is not one of 1, 1000"),
    ]
    assert ExtractRefused(errors).problems() == [
        "ledger.csv lines 3, 7 (2 rows) column 'unit': '2' is not one of 1, 1000",
        "ledger.csv: the file is empty",
        "goals.csv: the file is empty",
        "ledger.csv:8 column 'scenario': '2' is not one of 1, 1000",
        "ledger.csv:9 column 'unit': '3' is not one of 1, 1000",
    ]
    assert len(ExtractRefused(errors).errors) == 6  # every row is still an error of its own


# --- a refused delivery leaves the warehouse as it was -------------------------


def warehouse_state(con: duckdb.DuckDBPyConnection) -> tuple:
    return (
        con.execute("SELECT count(*), sum(amount) FROM raw.ledger").fetchall(),
        con.execute("SELECT * FROM raw.load_log ORDER BY extract_kind").fetchall(),
        con.execute("SELECT count(*) FROM raw.investments").fetchall(),
    )


def test_refused_delivery_loads_nothing(tmp_path: Path) -> None:
    contracts = list(CONTRACTS.values())
    database = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(database) as con:
        load_delivery(con, validate_delivery(copy_delivery(tmp_path / "good")), contracts)
        before = warehouse_state(con)
    # every extract kind but ledger_accounts (the ledger comes by report line here)
    # Every extract of the embedded delivery: all but the account ledger and org changes.
    assert before[0][0][0] == 184 and len(before[1]) == len(CONTRACTS) - 3

    bad = copy_delivery(tmp_path / "bad")
    ledger_amount("-90 000")(bad)  # a valid restatement of the ledger ...
    row("investments.csv", INVESTMENT_ROW, INVESTMENT_ROW.replace("OPKOU", "VAKA"))(bad)
    with duckdb.connect(database) as con:
        with pytest.raises(ExtractRefused) as refused:  # ... beside a broken investments file
            load_delivery(con, validate_delivery(bad), contracts)
        assert [e.file for e in refused.value.errors] == ["investments.csv"]
        assert warehouse_state(con) == before
