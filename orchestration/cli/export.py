"""`warehouse export fdp [--period YYYY-MM] [--out DIR]`: a reporting period of the
published warehouse as an open Fiscal Data Package (datapackage.json and CSV files), for
OpenSpending and any Data Package tool; see docs/open_export.md.

Exit status as the other commands: 0 exported, 1 refused (no warehouse, no such period, an
output folder holding other files, or a package that does not validate; nothing is
written), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys

from orchestration.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, shown
from orchestration.ingest.periods import ReportingPeriod
from orchestration.warehouse.paths import warehouse_path


def cmd_fdp(args: argparse.Namespace) -> int:
    """Export the period's Fiscal Data Package and print what it holds and where it is."""
    from pathlib import Path

    from orchestration.export.fdp import ExportError, export_fdp

    try:
        period = str(ReportingPeriod.parse(args.period)) if args.period else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    warehouse = warehouse_path()
    try:
        package = export_fdp(warehouse, period, Path(args.out) if args.out else None)
    except ExportError as exc:
        print(f"REFUSED: {exc}")
        return EXIT_REFUSED
    lines = ", ".join(f"{n} {statement}" for statement, n in package.budget_lines.items())
    generation = f" (generation {package.generation})" if package.generation else ""
    print(f"Fiscal Data Package {package.reporting_period} from {shown(warehouse)}{generation}:")
    print(
        f"  {sum(package.budget_lines.values())} budget lines ({lines}), "
        f"{package.org_units} organisation units, {package.report_lines} report lines"
    )
    print(
        f"  Valid ({package.validator}: Data Package, Table Schemas, data, keys, hashes; "
        f"the FDP model); its figures add up to the {package.reconciled_rows} rows of the "
        "marts exactly"
    )
    print(f"  {shown(package.descriptor)}")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `export` subcommand (one sub-subcommand per format) to `warehouse`."""
    parser = subparsers.add_parser(
        "export",
        help="export the published warehouse in an open format (fdp: Fiscal Data Package)",
        description="Export a reporting period of the published warehouse in an open format.",
    )
    formats = parser.add_subparsers(dest="export_format", required=True, metavar="FORMAT")
    fdp = formats.add_parser(
        "fdp",
        help="a Fiscal Data Package (datapackage.json with CSV files)",
        description="Write the reporting period's budget figures as a Fiscal Data Package "
        "(Open Knowledge / OpenSpending): datapackage.json with its model of measures and "
        "dimensions, and CSV files with Table Schemas. The package replaces an earlier one "
        "only once it validates (frictionless and the FDP model) and its figures add up to "
        "the marts.",
    )
    fdp.add_argument(
        "--period", help="reporting period YYYY-MM (default: the latest in the warehouse)"
    )
    fdp.add_argument(
        "--out",
        help="the package's folder (default: export/fdp/<period>/ beside the published "
        "warehouse); replaced whole, so it must be new, empty or an earlier package",
    )
    fdp.set_defaults(func=cmd_fdp)
    return parser
