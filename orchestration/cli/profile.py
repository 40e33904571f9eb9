"""`warehouse profile check EXPORT [--profile P] [--period YYYY-MM] [--rows N]`: how a
source profile reads an export, before anything is loaded; `warehouse profile schema`:
the profiles' JSON schema (docs/source_profile.schema.json).

The check shows which column of the export gives which field of the contract, the
columns no key reads, the first rows as the export has them and as the contract gets
them, and the totals per report line and unit after the mapping (the report sign), so
that they can be set against the finance system's own report. Problems (a profile key
naming a column the export lacks, a value a transformation cannot read, an account
outside the chart) are listed as a run would refuse them.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from orchestration.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, period_arg, shown
from orchestration.ingest import profiles
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractError, ExtractRefused, plain_file_problem
from orchestration.ingest.validation import (
    convert_export,
    load_report_lines,
    main_account_lines,
    parse_table,
)

# Export rows the check converts at most: enough for a large department's export.
CHECK_ROWS_DEFAULT = 2_000_000


def _describe(spec: profiles.FieldSpec, column: str) -> str:
    if spec.source == "folder":
        return "the delivery folder's period"
    if spec.value is not None:
        return f"the constant '{spec.value}'"
    steps = []
    if spec.strip_prefix:
        steps.append(f"without the prefix '{spec.strip_prefix}'")
    if spec.pattern:
        steps.append(f"the group of /{spec.pattern}/")
    if spec.part:
        steps.append(f"its {spec.part} part")
    if spec.map:
        steps.append(f"mapped ({len(spec.map)} values)")
    if spec.lookup:
        steps.append("a report line by its name")
    return f"'{column}'" + (f" ({', '.join(steps)})" if steps else "")


def _mapping_lines(conversion: profiles.Conversion, period: ReportingPeriod | None) -> list[str]:
    profile = conversion.loaded.profile
    contract = conversion.loaded.contract
    mapping = conversion.mapping
    lines = []
    for column in contract.columns:
        getter = mapping.getters.get(column.name)
        if getter is not None:
            source = _describe(getter.spec, getter.column_name)
        elif column.name in ("scenario", "amount") and mapping.scenarios:
            source = "one amount column per scenario: " + ", ".join(
                f"{scenario} '{name}'" for scenario, (_, name, _) in mapping.scenarios.items()
            )
        elif column.name in ("cost_centre", "org_code") and mapping.levels:
            level, code, _ = mapping.levels[-1]
            source = f"the organisation's last level ({level}) '{code.column_name}'"
        elif column.name in ("fiscal_year", "period"):
            source = "the delivery folder's period" + (f" ({period})" if period else "")
            if column.name == "period" and mapping.scenarios:
                source += "; budgets: 12"
        else:
            source = "(not mapped: empty)"
        lines.append(f"  {column.name:<18} <- {source}")
    if "amount" in contract.column_names:
        lines.append(
            f"  {'':<18}    numbers: decimal '{profile.numbers.decimal_separator}', thousands "
            f"'{profile.numbers.thousands_separator}', sign {profile.numbers.sign}"
            + (" (turned into the report sign)" if profile.numbers.sign != "report" else "")
        )
    for level, code, name in mapping.levels:
        lines.append(
            f"  organisation {level:<12} <- '{code.column_name}'"
            + (f", name '{name.column_name}'" if name else "")
        )
    return lines


def _contract_rows(conversion: profiles.Conversion) -> list[tuple[int, list[str]]]:
    if conversion.table is not None:
        return conversion.table.records
    return []


def _totals(
    conversion: profiles.Conversion, rows: list[tuple[int, list[str]]], municipality: str | None
) -> tuple[list[str], list[ExtractError]]:
    """Totals per report line, unit and scenario after the mapping, in the report sign."""
    contract = conversion.loaded.contract
    header = contract.column_names
    if "amount" not in header:
        return [], []
    position = {name: header.index(name) for name in header}
    report_lines = load_report_lines()
    problems: list[ExtractError] = []
    line_of_account = None
    if "account" in header:
        line_of_account = profiles.SignRule(
            "report", account_line=main_account_lines(report_lines, municipality)
        ).line_of

    unit_column = "cost_centre" if "cost_centre" in header else "org_code"
    parent_of: dict[str, str] = {}
    if conversion.organisation is not None:
        parent_of = {r[0]: r[2] for _, r in conversion.organisation.records}
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    unmapped: dict[str, int] = {}
    for line, values in rows:
        if line_of_account is not None:
            report_line = line_of_account({"account": values[position["account"]]})
            if report_line is None:
                unmapped.setdefault(values[position["account"]], line)
                continue
        else:
            report_line = values[position.get("line_code", 0)] if "line_code" in header else ""
        scenario = values[position["scenario"]] if "scenario" in position else ""
        unit = values[position[unit_column]]
        # The unit the row is booked on and every unit above it (the export's hierarchy).
        seen = set()
        while unit and unit not in seen:
            seen.add(unit)
            try:
                amount = Decimal(values[position["amount"]])
            except ArithmeticError:
                break
            sums[(unit, report_line, scenario)] += amount
            counts[(unit, report_line, scenario)] += 1
            unit = parent_of.get(unit, "")
    for account, line in unmapped.items():
        problems.append(
            ExtractError(
                conversion.export_path.name,
                line,
                conversion.mapping.source_of("account"),
                f"account {account} is in no range of the chart of accounts "
                "(seeds/reference/account_ranges.csv); its rows are left out of the totals "
                "and a run refuses them (first occurrence)",
            )
        )
    depth = {}
    for unit in {k[0] for k in sums}:
        d, u = 0, unit
        while parent_of.get(u):
            d, u = d + 1, parent_of[u]
        depth[unit] = d
    # The root and the level under it when the export carries a hierarchy, else every unit.
    shown_units = {u for u, d in depth.items() if d <= 1} if parent_of else set(depth)
    # Every line the rows book and every line above them (report_lines.csv), in its order.
    order: dict[str, int] = {}
    parent_line: dict[str, str] = {}
    for r in report_lines.rows:
        if r["statement"] in ("operating", "investment"):
            order.setdefault(
                r["line_code"], r["sort_order"] + (0 if r["statement"] == "operating" else 10_000)
            )
            if r["parent_code"]:
                parent_line.setdefault(r["line_code"], r["parent_code"])
    rolled: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (unit, line, scenario), total in sums.items():
        if unit not in shown_units:
            continue
        while line:
            rolled[(unit, line)][scenario] += total
            line = parent_line.get(line, "")
    scenarios = sorted({k[2] for k in sums}, key=lambda x: (x != "budget", x))
    out = [f"  {'unit':<14} {'line':<32}" + "".join(f" {s:>16}" for s in scenarios)]
    for (unit, line), by_scenario in sorted(
        rolled.items(), key=lambda kv: (depth[kv[0][0]], kv[0][0], order.get(kv[0][1], 0))
    ):
        out.append(
            f"  {unit:<14} {line:<32}"
            + "".join(
                f" {finnish(by_scenario[s]) if s in by_scenario else '':>16}" for s in scenarios
            )
        )
    return out, problems


def finnish(value: Decimal) -> str:
    """-1 234 567,89"""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.export)
    if not path.is_file():
        print(f"No such file: {path}")
        return EXIT_USAGE
    problem = plain_file_problem(path)
    if problem:
        print(f"REFUSED: {shown(path)}: {problem}; nothing was read.")
        return EXIT_REFUSED
    period = period_arg(args.period) or ReportingPeriod.from_folder(path.parent)
    try:
        loaded = profiles.resolve(args.profile) if args.profile else profiles.profile_for(path)
    except ExtractRefused as refused:
        print(f"REFUSED: {refused.refusal('profile')}")
        return EXIT_REFUSED
    if loaded is None:
        print(
            f"No profile reads {path.name}: none in its folder or the library matches it; "
            f"give --profile (library: {', '.join(profiles.library_names()) or 'none'})"
        )
        return EXIT_USAGE
    contract = loaded.contract
    print(
        f"Profile {loaded.profile.name} ({shown(loaded.path)}) reads {shown(path)} as "
        f"{contract.kind}" + (f", for {period}" if period else "")
    )
    try:
        conversion = convert_export(
            path, loaded, period, load_report_lines(), args.max_rows, to_file=False
        )
    except ExtractRefused as refused:
        print(f"REFUSED: {refused.refusal(f'{path.name} through {loaded.path.name}')}")
        return EXIT_REFUSED
    rows = _contract_rows(conversion)
    print("\nMapping (contract field <- export):")
    print("\n".join(_mapping_lines(conversion, period)))
    unmapped = conversion.mapping.unmapped
    print(
        "\nColumns no key reads: " + (", ".join(f"'{c}'" for c in unmapped) if unmapped else "none")
    )
    header = contract.column_names
    print(f"\nFirst {min(args.rows, len(rows))} of {len(rows)} contract rows:")
    print("  line  " + " | ".join(header))
    for line, values in rows[: args.rows]:
        print(f"  {line:<5} " + " | ".join(values))
    if conversion.organisation is not None:
        units = conversion.organisation.records
        levels: dict[str, int] = defaultdict(int)
        for _, unit in units:
            levels[unit[1]] += 1
        print(
            f"\nOrganisation from the export: {len(units)} units ("
            + ", ".join(f"{n} {level}" for level, n in levels.items())
            + ")"
        )
    municipality = None
    if conversion.organisation is not None and conversion.organisation.records:
        municipality = conversion.organisation.records[0][1][0]
    totals, problems = _totals(conversion, rows, municipality)
    if totals:
        print("\nTotals after mapping (report sign):")
        print("\n".join(totals))
    if not contract.bulk:
        try:
            parse_table(conversion.table, contract, period)
        except ExtractRefused as refused:
            problems += conversion.translate(refused.errors)
    if problems:
        print(f"\nREFUSED: {ExtractRefused(problems).refusal(path.name)}")
        return EXIT_REFUSED
    print("\nNo problems found; nothing was loaded.")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(profiles.json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("profile", help="source profiles: check one on an export")
    commands = parser.add_subparsers(dest="profile_command", required=True)
    check = commands.add_parser(
        "check", help="show how a profile maps an export, without loading anything"
    )
    check.add_argument("export", help="the finance system's export (.csv, .xlsx, .ods, .xls)")
    check.add_argument(
        "--profile",
        help="a profile file, or the name of a library profile (default: the profile in the "
        "export's folder or the library whose `files` match it)",
    )
    check.add_argument("--period", help="reporting period YYYY-MM (default: the export's folder)")
    check.add_argument("--rows", type=int, default=5, help="contract rows shown (default 5)")
    check.add_argument(
        "--max-rows",
        type=int,
        default=CHECK_ROWS_DEFAULT,
        help="export rows read at most (default 2 000 000)",
    )
    check.set_defaults(func=cmd_check)
    schema = commands.add_parser("schema", help="print the profiles' JSON schema")
    schema.set_defaults(func=cmd_schema)
