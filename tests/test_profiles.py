"""Source profiles (orchestration/ingest/profiles.py): a finance system's export read as an
extract through a TOML profile, without conversion scripts.

The export of tests/deliveries/account_export (the shape of a city's account-level
export, written by write_export.py) is read here as CSV and as the same workbook; the
whole delivery is loaded and reconciled in the shared run of the report formats
(tests/test_report_formats.py). Every profile error is shown refusing with its message,
and the accounting sign is turned into the report sign on every line type.
"""

from __future__ import annotations

import array
import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.cli import main as warehouse
from orchestration.ingest import profiles
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused
from orchestration.ingest.validation import (
    convert_export,
    find_extract_files,
    load_report_lines,
    sign_rule,
    validate_delivery,
)
from orchestration.warehouse.paths import PROJECT_ROOT
from tests.deliveries import EXPORTS

EXPORT_DIR = EXPORTS["account_export"]
EXPORT = EXPORT_DIR / "toteutuma_tileittain_2024-04.csv"
WRITER = EXPORT_DIR.parent / "write_export.py"
PERIOD = ReportingPeriod(2024, 4)


def _profile(folder: Path, text: str, name: str = "p.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(call) -> str:
    with pytest.raises(ExtractRefused) as refused:
        call()
    return str(refused.value)


def _records(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _as_xlsx(source: Path, target: Path) -> Path:
    """The export as finance staff save it from Excel: amounts as number cells, a title
    row above the header."""
    rows = _records(source)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Toteutuma"
    sheet.append(["Talousarvion toteutuma tileittäin 1-4/2024"])
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list = row[:10]
        for text in row[10:]:
            number = Decimal(text.replace(" ", "").replace(",", "."))
            cells.append(float(number))
        sheet.append(cells)
    book.save(target)
    return target


@pytest.fixture(scope="module")
def report_lines():
    return load_report_lines()


@pytest.fixture(scope="module")
def wide() -> profiles.LoadedProfile:
    return profiles.resolve("wide_account_export")


# The shipped profiles and the export's own --------------------------------------------


def test_the_library_ships_a_wide_and_a_long_account_export():
    assert profiles.library_names() == ["long_account_export", "wide_account_export"]
    for name in profiles.library_names():
        loaded = profiles.resolve(name)
        assert loaded.profile.extract == "ledger_accounts"
        assert loaded.path.parent == PROJECT_ROOT / "profiles"


def test_the_export_is_found_by_its_profile_beside_plain_contract_files():
    files, errors = find_extract_files(EXPORT_DIR)
    assert errors == []
    assert files == {
        "control_totals": EXPORT_DIR / "control_totals.csv",
        "goals": EXPORT_DIR / "tavoitteet_2024-04.xlsx",
        "ledger_accounts": EXPORT,
        "organisation": EXPORT,
    }


def test_the_wide_export_becomes_contract_rows_in_the_report_sign(wide, report_lines):
    conversion = convert_export(EXPORT, wide, PERIOD, report_lines, to_file=False)
    first = _records(EXPORT)[1]
    assert first[9] == "TILI/300000 Myyntituotot"
    assert (first[10], first[11]) == ("-41 126,48", "-9 459,09")
    # Two contract rows of the first record: the whole year's budget and the actual to
    # the folder's month, income positive (the ledger's credit is negative).
    rows = [values for line, values in conversion.table.records if line == 2]
    assert rows == [
        ["2024", "12", "VAKA-110", "300000", "budget", "41126.48", "1", ""],
        ["2024", "4", "VAKA-110", "300000", "actual", "9459.09", "1", ""],
    ]
    assert conversion.mapping.unmapped == ["Raportointirivi"]
    units = {row[0]: row[1:4] for _, row in conversion.organisation.records}
    assert units["JOENSUU"] == ["municipality", "", "Joensuun kaupunki"]
    assert units["KASVU"] == ["department", "JOENSUU", "Kasvun ja oppimisen toimiala"]
    assert units["VAKA-110"] == ["cost_centre", "VAKA", "Päiväkoti Kanervala"]
    assert len(units) == 14
    # Every amount as the export has it, negated: nothing lost or rounded.
    total = sum(
        Decimal(text.replace(" ", "").replace(",", "."))
        for row in _records(EXPORT)[1:]
        for text in row[10:]
    )
    assert sum(Decimal(v[5]) for _, v in conversion.table.records) == -total


def test_the_same_export_as_a_workbook_gives_the_same_rows(wide, report_lines, tmp_path):
    workbook = _as_xlsx(EXPORT, tmp_path / "toteutuma_tileittain_2024-04.xlsx")
    _profile(
        tmp_path,
        'extends = "wide_account_export"\nfiles = ["toteutuma_tileittain*.xlsx"]\n'
        '[read]\nsheet = "Toteutuma"\nheader_row = 2\n',
        "toteutuma.toml",
    )
    loaded = profiles.profile_for(workbook)
    assert loaded is not None and loaded.path.name == "toteutuma.toml"
    from_csv = convert_export(EXPORT, wide, PERIOD, report_lines, to_file=False)
    from_xlsx = convert_export(workbook, loaded, PERIOD, report_lines, to_file=False)

    # The same contract rows, the same amounts to the cent; the sheet's rows are one
    # further down (the title row).
    def exact(records):
        return [(line, v[:5], Decimal(v[5]), v[6:]) for line, v in records]

    assert exact((line + 1, v) for line, v in from_csv.table.records) == exact(
        from_xlsx.table.records
    )
    assert from_xlsx.organisation.records == [
        (line + 1, row) for line, row in from_csv.organisation.records
    ]


def test_a_profile_in_the_folder_reads_the_goal_sheet(report_lines):
    delivery = validate_delivery(EXPORT_DIR)
    goals = delivery.extracts["goals"]
    assert goals.path.name == "tavoitteet_2024-04.xlsx"
    assert [
        (r["_source_line"], r["goal_id"], r["goal_level"], r["org_codes"], r["status"])
        for r in goals.rows
    ] == [
        (4, "T1", "council", "KASVU", "partially_achieved"),
        (5, "T2", "operating_plan", "PERUS", "achieved"),
        (6, "T3", "council", "TEKPA", "not_achieved"),
    ]
    assert delivery.scope.code == "JOENSUU"
    # The ledger goes the bulk path: converted once into a contract-shaped file.
    ledger = delivery.extracts["ledger_accounts"]
    assert ledger.bulk_source is not None and ledger.path == EXPORT
    assert ledger.bulk_source.record_lines[:3].tolist() == [2, 2, 3]


def test_a_changed_profile_changes_what_the_load_log_keeps(wide, tmp_path):
    folder = tmp_path / "2024-04"
    shutil.copytree(EXPORT_DIR, folder)
    before = validate_delivery(folder).extracts["goals"].sha256
    profile = folder / "tavoitteet.toml"
    profile.write_text(profile.read_text(encoding="utf-8") + "\n# checked\n", encoding="utf-8")
    assert validate_delivery(folder).extracts["goals"].sha256 != before


# Signs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "line", "ledger", "absolute"),
    [
        ("300000", "myyntituotot", "-100", "100"),  # income
        ("440000", "palvelujen_ostot", "100", "100"),  # expense
        ("370000", "valmistus_omaan_kayttoon", "-100", "100"),  # activation: income
        ("500000", "verotulot", "-100", "100"),
        ("570000", "korkokulut", "100", "100"),
    ],
)
def test_the_ledger_sign_and_the_absolute_become_the_report_sign(
    report_lines, account, line, ledger, absolute
):
    row = {"account": account}
    expected_sign = 1 if line in ("myyntituotot", "valmistus_omaan_kayttoon", "verotulot") else -1
    by_ledger = sign_rule(report_lines, "ledger").apply(Decimal(ledger), row)
    by_absolute = sign_rule(report_lines, "absolute").apply(Decimal(absolute), row)
    assert by_ledger == by_absolute == expected_sign * 100
    assert sign_rule(report_lines, "absolute").line_of(row) == line
    assert sign_rule(report_lines, "report").apply(Decimal(ledger), row) == Decimal(ledger)


def test_the_sign_of_a_line_by_its_code_and_of_the_investment_lines(report_lines):
    absolute = sign_rule(report_lines, "absolute")
    assert absolute.apply(Decimal(5), {"line_code": "toimintakulut"}) == -5
    assert absolute.apply(Decimal(5), {"line_code": "menot"}) == -5
    assert absolute.apply(Decimal(5), {"line_code": "tulot"}) == 5
    assert sign_rule(report_lines, "ledger").apply(Decimal(5), {"line_code": "menot"}) == -5


def test_an_absolute_amount_on_a_line_of_either_sign_is_refused(report_lines):
    with pytest.raises(ValueError, match="cannot tell the sign on line 'poistoeron_muutos'"):
        sign_rule(report_lines, "absolute").apply(Decimal(5), {"line_code": "poistoeron_muutos"})


def test_a_long_export_in_the_report_sign_maps_its_scenario_codes(report_lines, tmp_path):
    export = tmp_path / "kirjaukset_tileittain_2024.csv"
    export.write_text(
        "Vuosi;Kuukausi;Kustannuspaikka;Tili;Laji;Euroa\n"
        "2024;4;VAKA-110;4400;TOT;-1 234,50\n"
        "2024;12;VAKA-110;4400;TA;-5 000\n"
        "2024;12;VAKA-110;4400;ALKTA;-4 800\n",
        encoding="utf-8",
    )
    conversion = convert_export(
        export, profiles.resolve("long_account_export"), PERIOD, report_lines, to_file=False
    )
    assert [v for _, v in conversion.table.records] == [
        ["2024", "4", "VAKA-110", "4400", "actual", "-1234.50", "1", ""],
        ["2024", "12", "VAKA-110", "4400", "budget", "-5000", "1", ""],
        ["2024", "12", "VAKA-110", "4400", "original_budget", "-4800", "1", ""],
    ]


# Profile errors: each refusing with its message ------------------------------------------


_GOOD = """
name = "t"
extract = "ledger_accounts"
files = ["export*.csv"]
[fields.cost_centre]
column = "Kp"
[fields.account]
column = "Tili"
[fields.unit]
value = "1"
[scenarios]
actual = "Toteutuma"
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "2024-04" / "export_1.csv"
    path.parent.mkdir()
    path.write_text("Kp;Tili;Toteutuma\nVAKA-110;4400;-12,50\n", encoding="utf-8")
    return path


def _converted(export: Path, text: str):
    loaded = profiles.load_profile(_profile(export.parent, text))
    return convert_export(export, loaded, PERIOD, load_report_lines(), to_file=False)


def test_a_good_profile_converts(export):
    loaded = profiles.load_profile(_profile(export.parent, _GOOD))
    conversion = convert_export(export, loaded, PERIOD, load_report_lines(), to_file=False)
    assert conversion.table.records == [
        (2, ["2024", "4", "VAKA-110", "4400", "actual", "-12.50", "1", ""])
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("[fields.unit]", "[fields.unit]\nstrip = 'x'"),
            "p.toml: profile key fields.unit.strip: not a key of a profile here",
        ),
        (
            ("[fields.unit]", "[fields.konto]\ncolumn = 'Tili'\n[fields.unit]"),
            "fields.konto is not a column of the ledger_accounts contract; expected one of "
            "fiscal_year, period, cost_centre, account",
        ),
        (
            ('column = "Tili"', 'column = "Tili"\nvalue = "4400"'),
            "profile key fields.account: give exactly one of column, value or from "
            "(found column, value)",
        ),
        (
            ('extract = "ledger_accounts"', 'extract = "ledgers"'),
            "extract 'ledgers' is not a contract; expected one of organisation, ledger",
        ),
        (
            ('[fields.account]\ncolumn = "Tili"\n', ""),
            "no mapping for the required field(s) account of the ledger_accounts contract; "
            "expected fields.account",
        ),
        (
            ('actual = "Toteutuma"', 'toteuma = "Toteutuma"'),
            "scenarios.toteuma is not a scenario; expected one of actual, budget",
        ),
        (
            ("[scenarios]", "[fields.amount]\ncolumn = 'Toteutuma'\n[scenarios]"),
            "fields.amount and scenarios both give the amount",
        ),
        (
            ('name = "t"', 'name = "t"\nname = "u"'),
            "p.toml: profile: not valid TOML (Cannot overwrite a value (at line 3, column 11))",
        ),
        (
            ('name = "t"', 'name = "t"\nextends = "nothing"'),
            "key extends: no library profile 'nothing'; expected one of long_account_export, "
            "wide_account_export",
        ),
        (
            ('files = ["export*.csv"]', "files = []"),
            "profile key files: List should have at least 1 item after validation",
        ),
        (
            ("[fields.account]", "[fields.account]\npattern = '[0-9]+'"),
            "profile key fields.account: pattern must have exactly one group",
        ),
    ],
)
def test_a_profile_that_breaks_the_schema_is_refused_naming_its_key(export, change, message):
    old, new = change
    assert old in _GOOD
    text = _GOOD.replace(old, new, 1)
    assert message in _refusal(lambda: profiles.load_profile(_profile(export.parent, text)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('column = "Tili"', 'column = "Tilinumero"'),
            "p.toml: profile: key fields.account: no column 'Tilinumero' in export_1.csv; its "
            "columns are 'Kp', 'Tili', 'Toteutuma'",
        ),
        (
            ('column = "Tili"', "column = 7"),
            "key fields.account: column 7 is beyond the export's 3 columns in export_1.csv",
        ),
        (
            ('column = "Tili"', 'column = "Kp"'),
            "key fields.account: column 'Kp' is mapped twice, by fields.cost_centre and "
            "fields.account; expected each column once",
        ),
        (
            ('actual = "Toteutuma"', 'actual = "Tili"'),
            "key scenarios.actual: column 'Tili' is mapped twice, by fields.account and "
            "scenarios.actual",
        ),
    ],
)
def test_a_profile_that_does_not_fit_the_export_is_refused_naming_both(export, change, message):
    old, new = change
    text = _GOOD.replace(old, new, 1)
    assert message in _refusal(lambda: _converted(export, text))


def test_two_columns_of_the_same_name_are_ambiguous(export):
    export.write_text("Kp;Tili;Tili;Toteutuma\nVAKA-110;4400;4401;1\n", encoding="utf-8")
    assert (
        "key fields.account: 2 columns of export_1.csv are named 'Tili' (columns 2, 3); "
        "expected one: give its position instead"
    ) in _refusal(lambda: _converted(export, _GOOD))


@pytest.mark.parametrize(
    ("change", "cell", "message"),
    [
        (
            ('column = "Tili"', 'column = "Tili"\nmap = { "4400" = "4300" }'),
            "4401",
            "export_1.csv:3 column 'Tili': '4401' is not in fields.account.map; expected "
            "one of '4400'",
        ),
        (
            ('column = "Tili"', "column = \"Tili\"\npattern = 'T([0-9]+)'"),
            "4401",
            "export_1.csv:2 column 'Tili': '4400' does not match fields.account.pattern",
        ),
        (
            ("", ""),
            "12.50",
            "export_1.csv:3 column 'Toteutuma': not a number in the profile's format (decimal "
            "separator ',', thousands separator ' ') (found '12.50')",
        ),
    ],
)
def test_a_value_the_transformation_cannot_handle_names_line_column_and_key(
    export, change, cell, message
):
    old, new = change
    text = _GOOD.replace(old, new, 1) if old else _GOOD
    row = "VAKA-120;4401;-3,00" if cell == "4401" else f"VAKA-120;4400;{cell}"
    export.write_text(export.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    assert message in _refusal(lambda: _converted(export, text))


def test_a_unit_in_two_places_of_the_hierarchy_is_refused(wide, report_lines, tmp_path):
    export = tmp_path / "toteutuma_tileittain_x.csv"
    rows = _records(EXPORT)
    rows[2][4] = "PERUS"  # VAKA-110 under PERUS on line 3, under VAKA on line 2
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    assert (
        "toteutuma_tileittain_x.csv:3 column 'Kustannuspaikan tunnus': unit 'VAKA-110' is "
        "cost_centre under 'PERUS' here but level cost_centre under 'VAKA' on line 2; "
        "expected one place for each unit code"
    ) in _refusal(lambda: convert_export(export, wide, PERIOD, report_lines, to_file=False))


def test_two_profiles_reading_one_export_are_refused(export):
    _profile(export.parent, _GOOD, "a.toml")
    _profile(export.parent, _GOOD.replace('name = "t"', 'name = "u"'), "b.toml")
    assert "export_1.csv: 2 profiles in " in _refusal(lambda: profiles.profile_for(export))


def test_a_file_no_profile_reads_is_an_unknown_extract(export):
    _, errors = find_extract_files(export.parent)
    assert any(
        e.file == "export_1.csv" and "or an export a source profile reads" in e.message
        for e in errors
    )
    _profile(export.parent, _GOOD)
    files, errors = find_extract_files(export.parent)
    assert files["ledger_accounts"] == export


# A contract error in a profiled export names the export's line and column ---------------


def test_a_contract_error_in_an_export_names_its_column_and_the_profile(tmp_path):
    folder = tmp_path / "2024-04"
    shutil.copytree(EXPORT_DIR, folder)
    sheet = folder / "tavoitteet_2024-04.xlsx"
    book = openpyxl.load_workbook(sheet)
    book.active["C5"] = "TUNTEMATON Tuntematon yksikkö"
    book.save(sheet)
    message = _refusal(lambda: validate_delivery(folder))
    assert (
        "tavoitteet_2024-04.xlsx:5 column 'Vastuuyksikkö': unknown organisation unit 'TUNTEMATON'"
    ) in message
    assert "(org_codes, by profile tavoitteet.toml)" in message


# warehouse profile check ------------------------------------------------------------------


def test_profile_check_explains_the_mapping_and_its_totals(capsys):
    assert warehouse(["profile", "check", str(EXPORT)]) in (0, 1)
    out = capsys.readouterr().out
    assert "Profile wide_account_export" in out and "reads" in out and "ledger_accounts" in out
    assert "  account            <- 'Tili' (without the prefix 'TILI/', its code part)" in out
    assert "sign ledger (turned into the report sign)" in out
    assert "Columns no key reads: 'Raportointirivi'" in out
    assert "  2     2024 | 12 | VAKA-110 | 300000 | budget | 41126.48 | 1 | " in out
    assert "Organisation from the export: 14 units (1 municipality, 2 department" in out
    # The totals per unit and line, rolled up as the report prints them.
    section = out.split("Totals after mapping (report sign):\n", 1)[1].split("\n\n", 1)[0]
    totals = {" ".join(line.split()[:2]): line for line in section.splitlines()[1:]}
    control = {
        (r[3], r[4], r[5]): r[6]
        for r in csv.reader(
            (EXPORT_DIR / "control_totals.csv").read_text(encoding="utf-8").splitlines()[1:],
            delimiter=";",
        )
        if not r[8] and r[2] == "operating"
    }
    for unit in ("KASVU",):
        for line in ("toimintatuotot", "toimintakulut", "toimintakate"):
            assert control[(unit, line, "budget")] in totals[f"{unit} {line}"]
            assert control[(unit, line, "actual")] in totals[f"{unit} {line}"]


def test_profile_check_refuses_a_profile_error_and_loads_nothing(tmp_path, capsys):
    export = tmp_path / "toteutuma_tileittain_2024-04.csv"
    shutil.copy(EXPORT, export)
    bad = _profile(
        tmp_path,
        (PROJECT_ROOT / "profiles" / "wide_account_export.toml")
        .read_text(encoding="utf-8")
        .replace('column = "Tili"', 'column = "Tilinumero"'),
        "wide.toml",
    )
    assert warehouse(["profile", "check", str(export), "--profile", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "key fields.account: no column 'Tilinumero'" in out
    assert not (tmp_path / "warehouse").exists()


def test_profile_schema_is_the_documented_one(capsys):
    assert warehouse(["profile", "schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == (PROJECT_ROOT / "docs" / "source_profile.schema.json").read_text(
        encoding="utf-8"
    )


# A large profiled export still goes the bulk path -----------------------------------------


def _converted_file(conversion: profiles.Conversion) -> list[tuple[int, list[str]]]:
    with conversion.converted.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    assert len(rows) == len(conversion.record_lines)
    return [
        (int(line), [*row[:5], str(Decimal(row[5])), *row[6:]])
        for line, row in zip(conversion.record_lines, rows, strict=True)
    ]


def test_duckdb_and_python_convert_an_export_alike(wide, report_lines):
    by_duckdb = convert_export(EXPORT, wide, PERIOD, report_lines, to_file=True)
    rule = sign_rule(report_lines, "ledger")
    by_python = profiles.convert(EXPORT, wide, PERIOD, rule, to_file=True, in_python=True)
    assert isinstance(by_python.record_lines, array.array)  # the Python path ran
    assert not isinstance(by_duckdb.record_lines, array.array)  # and DuckDB's
    assert _converted_file(by_duckdb) == _converted_file(by_python)
    assert len(_converted_file(by_duckdb)) == 132
    assert by_duckdb.organisation.records == by_python.organisation.records
    assert by_duckdb.sha256 == by_python.sha256


def test_an_export_duckdb_cannot_decide_is_converted_in_python_with_its_errors(
    wide, report_lines, tmp_path
):
    export = tmp_path / "toteutuma_tileittain_2024-04.csv"
    rows = _records(EXPORT)
    rows[5][11] = "12,345,67"  # not a number of the profile's format
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    assert (
        "toteutuma_tileittain_2024-04.csv:6 column 'Toteutuma kauden loppuun': not a number "
        "in the profile's format (decimal separator ',', thousands separator ' ') (found "
        "'12,345,67')"
    ) in _refusal(lambda: convert_export(export, wide, PERIOD, report_lines, to_file=True))


def test_a_large_export_is_converted_by_duckdb_and_loaded_in_bulk(tmp_path):
    """A large city's account rows, a quarter of a million records: ten-digit sub-accounts
    of the export's own. (The benchmark runs 1M and 10M rows through the whole pipeline.)"""
    from orchestration.ingest.loading import check_delivery

    folder = tmp_path / "2024-04"
    folder.mkdir()
    shutil.copy(EXPORT_DIR / "control_totals.csv", folder)
    export = folder / EXPORT.name
    copies = 250_000 // 66 + 1
    columns = [f"column{i:02d}" for i in range(12)]
    source = (
        "read_csv($small, header = true, all_varchar = true, names = ["
        + ", ".join(f"'{c}'" for c in columns)
        + "])"
    )
    account = (
        r"regexp_replace(column09, '^TILI/([0-9]{4})[0-9]{2}', "
        r"'TILI/\1' || lpad(n::varchar, 6, '0'))"
    )
    copied = ", ".join(account if c == "column09" else c for c in columns)
    with duckdb.connect() as con:
        con.execute(
            f"""
            COPY (
                SELECT {", ".join(columns)} FROM {source}
                UNION ALL
                SELECT {copied} FROM {source}, range(1, $copies) AS copies(n)
            ) TO $big (HEADER false, QUOTE '"', FORCE_QUOTE (column10, column11))
            """,
            {"small": str(EXPORT), "big": str(export), "copies": copies},
        )
    body = export.read_bytes()
    export.write_bytes(EXPORT.read_bytes().split(b"\n", 1)[0] + b"\n" + body)
    records = body.count(b"\n")
    assert records >= 250_000
    delivery = check_delivery(folder)
    ledger = delivery.extracts["ledger_accounts"]
    assert ledger.bulk_source is not None
    assert ledger.bulk_rows == 2 * records  # the budget and the actual of every record
    assert delivery.extracts["organisation"].row_count == 14


# A ledger by report line from an income-statement export ---------------------------------


def test_report_lines_by_their_printed_names_and_absolute_amounts(report_lines, tmp_path):
    """An income statement exported with the lines' printed names and every amount positive:
    the line read by its name (or another name it is printed under), the sign from it."""
    export = tmp_path / "tuloslaskelma.csv"
    export.write_text(
        "Yksikkö;Rivi;TA 2024;TOT 1-4\n"
        "HML;Myyntitulot;1 000,00;400,00\n"
        "HML;Palvelujen ostot;2 000,00;700,50\n"
        "HML;Investointimenot;5,00;1,00\n",
        encoding="utf-8",
    )
    profile = _profile(
        tmp_path,
        """
name = "tuloslaskelma"
extract = "ledger"
files = ["tuloslaskelma*.csv"]
[numbers]
sign = "absolute"
[fields.org_code]
column = "Yksikkö"
[fields.line_code]
column = "Rivi"
lookup = "report_lines"
[fields.unit]
value = "1"
[scenarios]
budget = "TA 2024"
actual = "TOT 1-4"
""",
    )
    loaded = profiles.load_profile(profile)
    message = _refusal(lambda: convert_export(export, loaded, PERIOD, report_lines))
    assert (
        "tuloslaskelma.csv:4 column 'Rivi': 'Investointimenot' is not the name of a report line "
        "(fields.line_code.lookup = 'report_lines')"
    ) in message
    export.write_text(export.read_text(encoding="utf-8").rsplit("HML;Invest", 1)[0])
    conversion = convert_export(export, loaded, PERIOD, report_lines)
    assert [v[:6] for _, v in conversion.table.records] == [
        ["2024", "12", "HML", "myyntituotot", "budget", "1000.00"],
        ["2024", "4", "HML", "myyntituotot", "actual", "400.00"],
        ["2024", "12", "HML", "palvelujen_ostot", "budget", "-2000.00"],
        ["2024", "4", "HML", "palvelujen_ostot", "actual", "-700.50"],
    ]


def test_the_inbox_sees_an_export_and_its_profile_as_one_delivery(tmp_path):
    from orchestration.ingest.validation import delivery_readiness, municipality_of

    folder = tmp_path / "2024-04"
    shutil.copytree(EXPORT_DIR, folder)
    readiness = delivery_readiness(folder)
    assert readiness.ready, readiness.reason
    assert sorted(readiness.file_hashes) == [
        "control_totals",
        "goals",
        "ledger_accounts",
        "organisation",
    ]
    # The hashes are those the load log keeps, so a loaded delivery is recognised.
    delivery = validate_delivery(folder)
    assert readiness.file_hashes == {k: e.sha256 for k, e in delivery.extracts.items()}
    assert municipality_of(folder) == "JOENSUU"
    before = readiness.fingerprint
    profile = folder / "tavoitteet.toml"
    profile.write_text(profile.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert delivery_readiness(folder).fingerprint != before


def test_validate_of_one_export_points_to_profile_check(capsys):
    assert warehouse(["validate", str(EXPORT)]) == 2
    assert (
        "source profile wide_account_export.toml reads it as ledger_accounts: check it with "
        "`warehouse profile check"
    ) in capsys.readouterr().err
