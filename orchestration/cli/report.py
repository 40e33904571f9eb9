"""`warehouse report [--period YYYY-MM] [--municipality CODE] [--scope CODE] [--out DIR]`:
render the interim reports of a period: every delivered scope's (a department's interim
report) and each municipality's summary of its departments, or the one named.

Exit status as the other commands: 0 done, 1 refused (no warehouse or no such period),
2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from orchestration.ingest.periods import ReportingPeriod
from orchestration.warehouse.paths import warehouse_path


def cmd_report(args: argparse.Namespace) -> int:
    """Render the report from the published warehouse and print where the files are."""
    from orchestration.report.data import ReportError
    from orchestration.report.render import (
        render_period_reports,
        render_report,
        report_dir,
    )

    try:
        period = str(ReportingPeriod.parse(args.period)) if args.period else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    warehouse = warehouse_path()
    out_dir = Path(args.out) if args.out else report_dir(warehouse)
    try:
        if args.municipality or args.scope:
            rendered = [render_report(warehouse, period, out_dir, args.municipality, args.scope)]
        else:
            rendered = render_period_reports(warehouse, period, out_dir)
    except ReportError as exc:
        print(f"REFUSED: {exc}")
        return EXIT_REFUSED
    for files in rendered:
        print(f"Interim report {files.reporting_period} from {warehouse}:")
        print(f"  HTML: {files.html}")
        print(f"  PDF:  {files.pdf}")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `report` subcommand to the `warehouse` command's subparsers."""
    parser = subparsers.add_parser(
        "report",
        help="render the interim report (HTML and PDF) from the published warehouse",
        description="Render the interim report (osavuosikatsaus) of a reporting period from "
        "the published warehouse's marts, as one self-contained HTML file and a PDF.",
    )
    parser.add_argument(
        "--period", help="reporting period YYYY-MM (default: the latest in the warehouse)"
    )
    parser.add_argument(
        "--municipality", help="only this municipality's report (its summary, or its one scope)"
    )
    parser.add_argument(
        "--scope", help="only this scope's report (a department's org_code, e.g. HYTO)"
    )
    parser.add_argument(
        "--out",
        help="folder for the files (default: rendered/ beside the published warehouse; "
        "report/ holds the report published with it)",
    )
    parser.set_defaults(func=cmd_report)
    return parser
