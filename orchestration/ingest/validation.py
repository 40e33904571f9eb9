"""Validate extract files against their contracts, alone and as a delivery."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.ingest import bulk, profiles
from orchestration.ingest.contracts import (
    ACCOUNT_RANGES,
    BINDING_LEVELS,
    CONTRACTS,
    OPERATING_LINE,
    REPORT_LINES,
    Contract,
    contract_for_file,
)
from orchestration.ingest.delivery import Delivery, ParsedExtract
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import (
    MAX_ERRORS_PER_FILE,
    NO_ROWS,
    ExtractError,
    ExtractRefused,
    RawTable,
    plain_file_problem,
    width_error,
)
from orchestration.ingest.references import accepted, outside_scope_errors, reference_errors
from orchestration.ingest.scope import Scope, ScopeProblem, scope_of
from orchestration.ingest.workbooks import is_workbook, read_any
from orchestration.warehouse.paths import REFERENCE_DIR

# Columns of one header problem listed one by one; beyond this, one grouped error names
# the first ones and counts the rest, so a wrong file (or a header of hundreds of columns)
# gives a short list, as rows do past MAX_ERRORS_PER_FILE. Three problems of at most this
# many errors each stay well below that cap.
HEADER_COLUMNS_NAMED = 5
# A column name from the file is shown at most this long.
_SHOWN_NAME_LENGTH = 60


def _shown(column: str) -> str:
    if len(column) <= _SHOWN_NAME_LENGTH:
        return column
    return column[: _SHOWN_NAME_LENGTH - 1] + "…"


def _header_problem(
    name: str, columns: list[str], message: str, plural: str, plural_message: str
) -> list[ExtractError]:
    """One error per column, or one grouped error when there are many.

    `plural` names the problem for several columns ("unexpected columns"); the grouped
    message reads "<n> <plural>: a, b, c, d, e and <n - 5> more <plural>; <...>"."""
    if len(columns) <= HEADER_COLUMNS_NAMED:
        return [ExtractError(name, 1, _shown(c), message) for c in columns]
    named = ", ".join(f"'{_shown(c)}'" for c in columns[:HEADER_COLUMNS_NAMED])
    rest = len(columns) - HEADER_COLUMNS_NAMED
    more = plural if rest > 1 else plural.replace("columns", "column")
    return [
        ExtractError(
            name,
            1,
            "",
            f"{len(columns)} {plural}: {named} and {rest} more {more}; {plural_message}",
        )
    ]


def _check_header(header: list[str], contract: Contract, name: str) -> list[ExtractError]:
    seen = Counter(h.lower() for h in header)
    expected = contract.column_names
    optional = [c.name for c in contract.columns if c.may_be_absent]
    wanted = "expected the columns " + ";".join(c for c in expected if c not in optional)
    if optional:
        wanted += f" (and optionally {', '.join(optional)})"
    doubled = [column for column, count in seen.items() if count > 1]
    missing = [column for column in expected if column not in seen and column not in optional]
    unexpected = [column for column in header if column.lower() not in expected]
    return (
        _header_problem(
            name,
            doubled,
            "column appears more than once",
            "columns appearing more than once",
            "expected each column once",
        )
        + _header_problem(name, missing, f"missing column; {wanted}", "missing columns", wanted)
        + _header_problem(
            name,
            unexpected,
            f"unexpected column for a {contract.kind} extract; {wanted}",
            "unexpected columns",
            f"{wanted} of a {contract.kind} extract",
        )
    )


def parse_extract(
    path: Path,
    contract: Contract,
    period: ReportingPeriod | None = None,
    conversion: profiles.Conversion | None = None,
) -> ParsedExtract:
    """Parse one file against its contract; raise ExtractRefused listing every problem.

    A bulk extract is only opened here (encoding, delimiter, header, by the same rules):
    its rows are checked by DuckDB when it is loaded, or by check_bulk_rows. Nothing of
    it is kept but what was found: no temporary copy outlives this call.

    An export read through a source profile comes as its `conversion` (profiles.py): the
    contract's rows, checked here by the same rules, their errors named by the export.
    """
    name = path.name
    if conversion is not None:
        return _parse_converted(path, contract, period, conversion)
    if contract.bulk and is_workbook(path):
        raise ExtractRefused(
            [
                ExtractError(
                    name,
                    0,
                    "",
                    f"the {contract.title.lower()} is read in bulk from CSV; expected "
                    f"{contract.kind}.csv (save the sheet as CSV, UTF-8), or a source "
                    "profile that reads the workbook (docs/source_profiles.md)",
                )
            ]
        )
    if contract.bulk:
        source = bulk.inspect(path)
        errors = _check_header(source.header, contract, name)
        if errors:
            raise ExtractRefused(errors)
        return ParsedExtract(
            contract, path, source.sha256, source.encoding, source.delimiter, [], source
        )
    return parse_table(read_any(path), contract, period)


def _parse_converted(
    path: Path, contract: Contract, period: ReportingPeriod | None, conversion: profiles.Conversion
) -> ParsedExtract:
    if contract.bulk:
        assert conversion.converted is not None
        source = dataclasses.replace(
            bulk.inspect(conversion.converted), record_lines=conversion.record_lines
        )
        return ParsedExtract(
            contract,
            path,
            conversion.sha256,
            conversion.encoding,
            conversion.delimiter,
            [],
            source,
            profiled=conversion,
        )
    table = conversion.organisation if contract.kind == "organisation" else conversion.table
    assert table is not None
    parsed = parse_table(table, contract, period)  # its errors are named by the export later
    parsed.profiled = conversion
    return parsed


def parse_table(
    table: RawTable, contract: Contract, period: ReportingPeriod | None
) -> ParsedExtract:
    path, name = table.path, table.path.name
    errors = _check_header(table.header, contract, name)
    if errors:
        raise ExtractRefused(errors)
    if not table.records:
        raise ExtractRefused([ExtractError(name, 0, "", NO_ROWS)])
    positions = [table.header.index(h) for h in table.header]
    index_of = {h.lower(): i for h, i in zip(table.header, positions, strict=True)}
    width = len(table.header)
    rows: list[dict[str, Any]] = []
    first_line_of_key: dict[tuple, int] = {}
    for line, record in table.records:
        if len(errors) >= MAX_ERRORS_PER_FILE:
            errors.append(ExtractError(name, 0, "", "too many errors; stopped reading"))
            break
        problem = width_error(name, line, record, width, table.delimiter)
        if problem is not None:
            errors.append(problem)
            continue
        row: dict[str, Any] = {"_source_line": line}
        row_ok = True
        for column in contract.columns:
            position = index_of.get(column.name)
            raw = "" if position is None else record[position]  # a column left out: empty
            try:
                row[column.name] = column.parse(raw)
            except ValueError as exc:
                errors.append(ExtractError(name, line, column.name, f"{exc} (found '{raw}')"))
                row_ok = False
        if not row_ok:
            continue
        if period is not None:
            for check in contract.row_checks:
                for column_name, message in check(row, period):
                    errors.append(ExtractError(name, line, column_name, message))
                    row_ok = False
        key = tuple(row[k] for k in contract.key)
        if key in first_line_of_key:
            key_column, described = contract.duplicate_key(key)
            errors.append(
                ExtractError(
                    name,
                    line,
                    key_column,
                    f"duplicate key ({described}); first seen on line {first_line_of_key[key]}; "
                    "expected one row per key",
                )
            )
            continue
        first_line_of_key[key] = line
        if row_ok:
            rows.append(row)
    if errors:
        raise ExtractRefused(errors)
    return ParsedExtract(contract, path, table.sha256, table.encoding, table.delimiter, rows)


def load_report_lines(reference_dir: Path = REFERENCE_DIR) -> ParsedExtract:
    """The report-line hierarchies, checked: each parent a line of the same statement, a
    subtotal exactly the line with lines under it."""
    lines = parse_extract(reference_dir / "report_lines.csv", REPORT_LINES)
    name = lines.path.name
    codes = {(r["statement"], r["line_code"]) for r in lines.rows}
    parents = {(r["statement"], r["parent_code"]) for r in lines.rows if r["parent_code"]}
    errors = []
    for row in lines.rows:
        statement, line = row["statement"], row["_source_line"]
        if row["parent_code"] and (statement, row["parent_code"]) not in codes:
            errors.append(
                ExtractError(
                    name,
                    line,
                    "parent_code",
                    f"'{row['parent_code']}' is not a line of statement {statement}; "
                    "expected the line_code of the subtotal this line adds into",
                )
            )
        has_lines_under = (statement, row["line_code"]) in parents
        expected_type = "subtotal" if has_lines_under else "leaf"
        # A budget-table line the same as an operating line is computed like it.
        if row["line_type"] != expected_type and not row["same_as_line"]:
            errors.append(
                ExtractError(
                    name,
                    line,
                    "line_type",
                    f"'{row['line_type']}' for a line with"
                    + ("" if has_lines_under else "out")
                    + f" lines under it; expected {expected_type}",
                )
            )
    if errors:
        raise ExtractRefused(errors)
    return lines


def load_binding_levels(
    report_lines: ParsedExtract, reference_dir: Path = REFERENCE_DIR
) -> ParsedExtract:
    """The binding levels, checked: each bound line a line of the income statement."""
    levels = parse_extract(reference_dir / "binding_levels.csv", BINDING_LEVELS)
    operating = _operating_lines(report_lines)
    errors = [
        ExtractError(
            levels.path.name,
            row["_source_line"],
            "line_code",
            f"'{row['line_code']}' is not an operating line; expected one of "
            f"{', '.join(sorted(operating))}",
        )
        for row in levels.rows
        if row["line_code"] not in operating
    ]
    if errors:
        raise ExtractRefused(errors)
    return levels


def _operating_lines(report_lines: ParsedExtract) -> dict[str, str | None]:
    """Operating line -> the line it adds into."""
    return {
        r["line_code"]: r["parent_code"] for r in report_lines.rows if r["statement"] == "operating"
    }


def nested_line_errors(
    extracts: dict[str, ParsedExtract], report_lines: ParsedExtract
) -> list[ExtractError]:
    """A line booked together with a line above it, for the same unit, year, period,
    scenario and item: the line above would count the figures twice (it is the sum of the
    lines under it). Checked for every extract that books operating lines."""
    parent_of = _operating_lines(report_lines)
    errors = []
    for extract in extracts.values():
        contract = extract.contract
        booked = [r.column for r in contract.references if r.target == OPERATING_LINE]
        if not booked or contract.bulk:
            continue
        (column,) = booked
        rest = [k for k in contract.key if k != column]
        lines_of: dict[tuple, set[str]] = {}
        for row in extract.rows:
            lines_of.setdefault(tuple(row[k] for k in rest), set()).add(row[column])
        for row in extract.rows:
            group = lines_of[tuple(row[k] for k in rest)]
            above = parent_of.get(row[column])
            while above is not None and above not in group:
                above = parent_of.get(above)
            if above is None:
                continue
            context = ", ".join(
                f"{k}={row[k]}" for k in rest if row[k] is not None and k != "period"
            )
            errors.append(
                ExtractError(
                    extract.path.name,
                    row["_source_line"],
                    column,
                    f"'{row[column]}' is booked together with '{above}' above it ({context}); "
                    f"expected the lines of one level: '{above}' is computed from the lines "
                    "under it",
                )
            )
    return errors


def _investment_leaves(report_lines: ParsedExtract) -> list[str]:
    """The leaf lines of the investment table (menot, tulot), in file order."""
    return [
        r["line_code"]
        for r in report_lines.rows
        if r["statement"] == "investment" and r["line_type"] == "leaf"
    ]


def load_account_ranges(
    report_lines: ParsedExtract, reference_dir: Path = REFERENCE_DIR
) -> ParsedExtract:
    """The chart of accounts, checked: ranges of main accounts onto operating lines (or, for
    investment accounts, onto the investment table's leaf lines), none overlapping another
    of the same chart (the shipped one, or a municipality's own)."""
    ranges = parse_extract(reference_dir / "account_ranges.csv", ACCOUNT_RANGES)
    name = ranges.path.name
    operating = set(_operating_lines(report_lines))
    investment = _investment_leaves(report_lines)
    errors = []
    previous: dict[str, Any] | None = None
    for row in sorted(ranges.rows, key=lambda r: (r["municipality_code"] or "", r["account_from"])):
        if previous is not None and previous["municipality_code"] != row["municipality_code"]:
            previous = None  # another municipality's own chart
        line = row["_source_line"]
        if not 1000 <= row["account_from"] <= row["account_to"] <= 9999:
            errors.append(
                ExtractError(
                    name,
                    line,
                    "account_to",
                    "expected a range of four-digit main accounts with account_from <= account_to",
                )
            )
        if row["ledger"] == "investment":
            if row["line_code"] not in investment:
                errors.append(
                    ExtractError(
                        name,
                        line,
                        "line_code",
                        f"'{row['line_code']}' is not a line of the investment table; expected "
                        f"one of {', '.join(investment)} (statement investment) for a range "
                        "with ledger investment",
                    )
                )
            if row["item"] is not None:
                errors.append(
                    ExtractError(
                        name,
                        line,
                        "item",
                        f"'{row['item']}' for a range with ledger investment; expected item "
                        "empty: investment figures are not split into external and internal "
                        "items",
                    )
                )
        elif row["line_code"] not in operating:
            errors.append(
                ExtractError(
                    name,
                    line,
                    "line_code",
                    f"'{row['line_code']}' is not an operating line; expected one of "
                    f"{', '.join(sorted(operating))} for a range of the income statement "
                    "(ledger empty or operating)",
                )
            )
        if previous is not None and row["account_from"] <= previous["account_to"]:
            errors.append(
                ExtractError(
                    name,
                    line,
                    "account_from",
                    f"overlaps the range {previous['account_from']}-{previous['account_to']} "
                    f"on line {previous['_source_line']}; expected each account in one range",
                )
            )
        previous = row
    if errors:
        raise ExtractRefused(errors)
    return ranges


def bulk_references(
    extracts: dict[str, ParsedExtract], account_ranges: ParsedExtract, municipality: str
) -> bulk.BulkReferences:
    """The cost centres of the delivery's organisation and the chart of accounts of its
    municipality (the shipped ranges and its own): the targets the bulk ledger_accounts
    declares (contracts.COST_CENTRE, ACCOUNT_RANGE)."""
    organisation = extracts["organisation"]
    (units,) = [
        r.target for r in CONTRACTS["ledger_accounts"].references if r.target.kind == "organisation"
    ]
    tree = organisation.contract.tree
    assert tree is not None and units.only is not None
    level_of = {r[units.column]: r[units.only[0]] for r in organisation.rows}
    return bulk.BulkReferences(
        cost_centres={
            r[units.column]: (r[tree.parent], level_of.get(r[tree.parent]))
            for r in organisation.rows
            if accepted(units, r)
        },
        account_ranges=[
            bulk.AccountRange(
                r["account_from"],
                r["account_to"],
                r["line_code"],
                r.get("item"),
                r.get("ledger") or "operating",
                own=r["municipality_code"] is not None,
            )
            for r in account_ranges.rows
            if r["municipality_code"] in (None, municipality)
        ],
        account_ranges_file=f"seeds/reference/{account_ranges.path.name}",
        organisation_file=organisation.path.name,
    )


def find_extract_files(folder: Path) -> tuple[dict[str, Path], list[ExtractError]]:
    """Map each extract kind to its file in the folder; unknown or doubled files are errors.

    A file not named after a contract is an export when a source profile reads it (one
    kept in the folder, or one of the library: profiles.profile_for); it gives the
    profile's extract, and the organisation too when the profile creates the units."""
    found: dict[str, Path] = {}
    errors = []
    if not folder.is_dir():
        return {}, [ExtractError(str(folder), 0, "", "not a folder of extracts")]
    refused: set[str] = set()  # kinds whose file is there but not a plain file

    def add(kind: str, path: Path) -> None:
        if kind in found:
            errors.append(
                ExtractError(
                    path.name,
                    0,
                    "",
                    f"a second {kind} extract beside {found[kind].name}; "
                    "expected one file per kind",
                )
            )
        else:
            found[kind] = path

    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" and not is_workbook(path):
            continue
        if path.name.startswith("~$"):
            continue  # the lock file a spreadsheet program keeps beside an open workbook
        contract = contract_for_file(path.name)
        # Checked on the entry itself, before anything opens it: a FIFO would block the
        # reader, a link could point anywhere (another folder, /dev/zero).
        problem = plain_file_problem(path)
        if contract is None:
            try:
                loaded = profiles.profile_for(path)
            except ExtractRefused as bad:
                errors.extend(bad.errors)
                continue
            if loaded is None:
                errors.append(
                    ExtractError(
                        path.name,
                        0,
                        "",
                        f"unknown extract; expected a file named after one of "
                        f"{', '.join(CONTRACTS)} (e.g. ledger.csv or ledger_2023-03.csv), or an "
                        "export a source profile reads (its `files` patterns; library: "
                        f"{', '.join(profiles.library_names()) or 'none'})",
                    )
                )
                continue
            kinds = [loaded.profile.extract]
            if loaded.profile.organisation is not None:
                kinds.append("organisation")
        else:
            kinds = [contract.kind]
        if problem:
            errors.append(ExtractError(path.name, 0, "", problem))
            refused.update(kinds)
            continue
        for kind in kinds:
            add(kind, path)
    ledgers = [kind for kind in ("ledger", "ledger_accounts") if kind in found]
    if not ledgers and not refused & {"ledger", "ledger_accounts"}:
        errors.append(
            ExtractError(
                "ledger.csv",
                0,
                "",
                f"the operating ledger is missing from {folder.name}/; expected ledger.csv "
                "(by report line) or ledger_accounts.csv (by account and cost centre)",
            )
        )
    elif len(ledgers) == 2:
        errors.append(
            ExtractError(
                found["ledger_accounts"].name,
                0,
                "",
                f"both {found['ledger'].name} and {found['ledger_accounts'].name} give the "
                "operating figures; expected one of them, so that nothing is counted twice",
            )
        )
    for kind, contract in CONTRACTS.items():
        if contract.required and kind not in found and kind not in refused:
            errors.append(
                ExtractError(
                    f"{kind}.csv",
                    0,
                    "",
                    f"required {contract.title.lower()} extract is missing from {folder.name}/",
                )
            )
    return found, errors


def sign_rule(report_lines: ParsedExtract, convention: str) -> profiles.SignRule:
    """How a profile's sign convention becomes the report sign: by the normal sign of
    each row's line, a row of the account ledger's through the shipped chart."""
    if convention != "absolute":
        return profiles.SignRule(convention)
    signs = {
        r["line_code"]: int(r["normal_sign"])
        for r in report_lines.rows
        if r["statement"] in ("investment", "operating")
    }
    return profiles.SignRule(convention, signs, main_account_lines(report_lines))


def main_account_lines(
    report_lines: ParsedExtract, municipality: str | None = None
) -> dict[int, str]:
    """Main account -> the line it books to: the municipality's own ranges over the
    shipped chart's (the shipped chart alone without a municipality)."""
    lines: dict[int, str] = {}
    ranges = load_account_ranges(report_lines).rows
    for own in (True, False):
        for r in ranges:
            if (r["municipality_code"] is not None) == own and r["municipality_code"] in (
                None,
                municipality,
            ):
                for main in range(r["account_from"], r["account_to"] + 1):
                    lines.setdefault(main, r["line_code"])
    return lines


def convert_export(
    path: Path,
    loaded: profiles.LoadedProfile,
    period: ReportingPeriod | None,
    report_lines: ParsedExtract,
    limit: int | None = None,
    to_file: bool | None = None,
) -> profiles.Conversion:
    """An export converted by its profile: into a file for a bulk extract, else a table."""
    contract = loaded.contract
    rule = sign_rule(report_lines, loaded.profile.numbers.sign)
    if to_file is None:
        to_file = contract.bulk
    lookup = None
    if any(spec.lookup == "report_lines" for spec in loaded.profile.fields.values()):
        lookup = _line_names(report_lines)
    return profiles.convert(path, loaded, period, rule, to_file, limit, lookup)


def _line_names(report_lines: ParsedExtract) -> dict[str, str]:
    """Printed name (name_fi or other_names, as profiles.normal_name compares them) ->
    operating line code."""
    names: dict[str, str] = {}
    for row in report_lines.rows:
        if row["statement"] != "operating":
            continue
        for name in [row["name_fi"], *(row["other_names"] or "").split("|")]:
            if name.strip():
                names.setdefault(profiles.normal_name(name), row["line_code"])
    return names


def _conversions(
    files: dict[str, Path],
    period: ReportingPeriod,
    report_lines: ParsedExtract,
    errors: list[ExtractError],
) -> dict[Path, profiles.Conversion]:
    """The delivery's exports, each converted once (one export may give two extracts)."""
    conversions: dict[Path, profiles.Conversion] = {}
    for path in dict.fromkeys(files.values()):
        if contract_for_file(path.name) is not None:
            continue
        try:
            loaded = profiles.profile_for(path)
            assert loaded is not None  # find_extract_files found it
            conversions[path] = convert_export(path, loaded, period, report_lines)
        except ExtractRefused as refused:
            errors.extend(refused.errors)
    return conversions


def _named_by_exports(
    errors: list[ExtractError], conversions: dict[Path, profiles.Conversion]
) -> list[ExtractError]:
    """The errors of an export read through a profile (of its rows, and across extracts:
    references, scope) named by the export's columns and the profile."""
    by_name = {path.name: conversion for path, conversion in conversions.items()}
    named = []
    for error in errors:
        conversion = by_name.get(error.file)
        named += [error] if conversion is None else conversion.translate([error])
    return named


def _delivery_scope(
    extracts: dict[str, ParsedExtract], requested: str | None
) -> tuple[Scope | None, list[ExtractError]]:
    organisation = extracts["organisation"]
    try:
        return scope_of(organisation.rows, requested), []
    except ScopeProblem as problem:
        line = next(
            (r["_source_line"] for r in organisation.rows if r["org_code"] == problem.org_code),
            0,
        )
        column = "org_level" if problem.org_code else ""
        return None, [ExtractError(organisation.path.name, line, column, str(problem))]


def _org_mapping_errors(extracts: dict[str, ParsedExtract], scope: Scope) -> list[ExtractError]:
    """New units within the scope, and the shares of each old unit adding up to 1."""
    if "org_mapping" not in extracts:
        return []
    mapping = extracts["org_mapping"]
    errors = []
    shares: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for row in mapping.rows:
        if row["new_org_code"] not in scope.members:
            errors.append(
                ExtractError(
                    mapping.path.name,
                    row["_source_line"],
                    "new_org_code",
                    f"'{row['new_org_code']}' is not a unit of the delivery's scope "
                    f"{scope.code}; expected a unit of the organisation file within it",
                )
            )
        share = row["share"] if row["share"] is not None else 1
        if not 0 < share <= 1:
            errors.append(
                ExtractError(
                    mapping.path.name,
                    row["_source_line"],
                    "share",
                    f"{share} is outside 0-1; expected the share of the old unit's "
                    "figures the new unit takes over",
                )
            )
        shares[row["old_org_code"]] = shares.get(row["old_org_code"], 0) + share
        first_line.setdefault(row["old_org_code"], row["_source_line"])
    for old, total in shares.items():
        if total != 1:
            errors.append(
                ExtractError(
                    mapping.path.name,
                    first_line[old],
                    "share",
                    f"the shares of '{old}' add up to {total}; expected 1 (every figure "
                    "of the old unit goes somewhere)",
                )
            )
    return errors


def validate_delivery(
    folder: Path,
    period: ReportingPeriod | None = None,
    scope: str | None = None,
) -> Delivery:
    """Parse every extract of a delivery folder and check them against each other.

    Raises ExtractRefused with every problem found in every file. The rows of a bulk
    extract are checked when the delivery is loaded (in the load's transaction), or by
    loading.check_delivery, which loads them into a scratch DuckDB database.
    """
    period = period or ReportingPeriod.from_folder(folder)
    if period is None:
        raise ExtractRefused(
            [
                ExtractError(
                    str(folder),
                    0,
                    "",
                    "cannot tell the reporting period: name the folder YYYY-MM (e.g. 2023-03) "
                    "or give the period explicitly",
                )
            ]
        )
    files, errors = find_extract_files(folder)
    report_lines = load_report_lines()
    load_binding_levels(report_lines)
    conversions = _conversions(files, period, report_lines, errors)
    extracts: dict[str, ParsedExtract] = {}
    for kind, path in files.items():
        if path in conversions or contract_for_file(path.name) is not None:
            try:
                extracts[kind] = parse_extract(path, CONTRACTS[kind], period, conversions.get(path))
            except ExtractRefused as refused:
                errors.extend(refused.errors)
    if not errors:
        errors.extend(reference_errors(extracts, {"report_lines": report_lines}))
    if not errors:
        errors.extend(nested_line_errors(extracts, report_lines))
    delivery_scope = None
    if not errors:
        delivery_scope, problems = _delivery_scope(extracts, scope)
        errors.extend(problems)
    if delivery_scope is not None:
        errors.extend(outside_scope_errors(extracts, delivery_scope))
        errors.extend(_org_mapping_errors(extracts, delivery_scope))
    references = None
    if not errors and any(e.bulk_source is not None for e in extracts.values()):
        try:
            references = bulk_references(
                extracts, load_account_ranges(report_lines), delivery_scope.municipality_code
            )
        except ExtractRefused as refused:
            errors.extend(refused.errors)
    if errors:
        raise ExtractRefused(_named_by_exports(errors, conversions))
    assert delivery_scope is not None  # every error path raised above
    return Delivery(folder, period, extracts, delivery_scope, references)


@dataclass(frozen=True)
class DeliveryReadiness:
    """Whether a folder in the inbox holds a complete, readable, settled extract set."""

    folder: Path
    ready: bool
    reason: str
    file_hashes: dict[str, str] = field(default_factory=dict)  # extract kind -> sha256

    @property
    def fingerprint(self) -> str:
        """Changes whenever any file of the set changes."""
        import hashlib

        text = ";".join(f"{k}:{h}" for k, h in sorted(self.file_hashes.items()))
        return hashlib.sha256(text.encode()).hexdigest()


def delivery_readiness(folder: Path, settle_seconds: float = 0.0) -> DeliveryReadiness:
    """Complete = every required extract present and readable; settled = no file written
    in the last `settle_seconds` (a copy still in progress is not picked up)."""
    import time

    files, errors = find_extract_files(folder)
    if errors:
        return DeliveryReadiness(folder, False, "; ".join(str(e) for e in errors))
    newest = max(p.lstat().st_mtime for p in files.values())
    if time.time() - newest < settle_seconds:
        return DeliveryReadiness(folder, False, "files are still being written")
    hashes = {}
    for kind, path in sorted(files.items()):
        try:
            loaded = None if contract_for_file(path.name) else profiles.profile_for(path)
            if loaded is not None:
                hashes[kind] = profiles.extract_sha256(profiles.file_sha256(path), loaded, kind)
            elif CONTRACTS[kind].bulk and not is_workbook(path):
                # Millions of rows: hashed and opened in one streaming pass, not parsed.
                hashes[kind] = bulk.inspect(path).sha256
            else:
                hashes[kind] = read_any(path).sha256
        except ExtractRefused as refused:
            return DeliveryReadiness(folder, False, str(refused.errors[0]))
    return DeliveryReadiness(folder, True, "complete", hashes)


def municipality_of(folder: Path) -> str | None:
    """The root of a delivery's organisation file, read without validating it (which
    municipality's follow-up calendar applies), or None."""
    files, _ = find_extract_files(folder)
    if "organisation" not in files:
        return None
    path = files["organisation"]
    try:
        loaded = None if contract_for_file(path.name) else profiles.profile_for(path)
        if loaded is not None:
            conversion = convert_export(
                path, loaded, ReportingPeriod.from_folder(folder), load_report_lines(), 1, False
            )
            assert conversion.organisation is not None
            return conversion.organisation.records[0][1][0]
        table = read_any(path)
    except ExtractRefused:
        return None
    header = [h.lower() for h in table.header]
    if "org_code" not in header or "parent_code" not in header:
        return None
    code, parent = header.index("org_code"), header.index("parent_code")
    roots = [r[code] for _, r in table.records if len(r) > parent and not r[parent].strip()]
    return roots[0] if len(roots) == 1 else None


def doubled_scopes(deliveries: list[Delivery]) -> list[str]:
    """Two deliveries of one run for the same scope and period: which one would count?"""
    seen: dict[tuple[str, str, str], Path] = {}
    problems = []
    for delivery in deliveries:
        key = (
            str(delivery.reporting_period),
            delivery.scope.municipality_code,
            delivery.scope.code,
        )
        if key in seen:
            problems.append(
                f"delivery {delivery.folder}: {delivery.describe()} is also delivered by "
                f"{seen[key]} in this run; expected one delivery per scope and period"
            )
        seen.setdefault(key, delivery.folder)
    return problems
