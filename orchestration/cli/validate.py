"""`warehouse validate PATH [--period YYYY-MM] [--kind KIND] [--scope ORG_CODE]`: check a
delivery folder, or one extract file, without loading anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    period_arg,
    print_refusal,
    shown,
)
from orchestration.ingest import profiles
from orchestration.ingest.contracts import CONTRACTS, Contract, contract_for_file
from orchestration.ingest.loading import check_delivery
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused, plain_file_problem
from orchestration.ingest.validation import parse_extract


def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    period = period_arg(args.period)
    if path.is_dir():
        try:
            delivery = check_delivery(path, period, scope=args.scope)
        except ExtractRefused as refused:
            print_refusal(refused, f"delivery {shown(path)}")
            return EXIT_REFUSED
        print(f"VALID: delivery {shown(path)} for {delivery.reporting_period}")
        print(f"  Scope: {delivery.scope.describe()}: loading it replaces that scope's figures")
        for kind, extract in sorted(delivery.extracts.items()):
            print(
                f"  {extract.path.name:<28} {kind:<20} {extract.row_count:>5} rows "
                f"({extract.encoding}, '{extract.delimiter}')"
            )
        return EXIT_OK
    if not path.exists() and not path.is_symlink():
        print(f"No such file or folder: {path}", file=sys.stderr)
        return EXIT_USAGE
    problem = plain_file_problem(path)
    if problem:
        print(f"REFUSED: {shown(path)}: {problem}; nothing was read.")
        return EXIT_REFUSED
    contract: Contract | None = (
        CONTRACTS.get(args.kind) if args.kind else contract_for_file(path.name)
    )
    if contract is None:
        hint = ""
        try:
            loaded = profiles.profile_for(path)
        except ExtractRefused:
            loaded = None
        if loaded is not None:
            hint = (
                f"; source profile {loaded.path.name} reads it as {loaded.profile.extract}: "
                f"check it with `warehouse profile check {shown(path)}`"
            )
        print(
            f"{path.name}: cannot tell the extract kind from the name; "
            f"give --kind, one of {', '.join(CONTRACTS)}{hint}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    period = period or ReportingPeriod.from_folder(path.parent)
    try:
        extract = parse_extract(path, contract, period)
    except ExtractRefused as refused:
        print_refusal(refused, f"{contract.kind} extract {shown(path)}")
        return EXIT_REFUSED
    if contract.bulk:
        print(
            f"READABLE: {shown(path)} is a {contract.kind} extract "
            f"({extract.encoding}, '{extract.delimiter}', header as the contract says)."
        )
        print(
            "  Its rows are checked against the organisation and the chart of accounts when "
            "the whole delivery folder is validated."
        )
        return EXIT_OK
    print(
        f"VALID: {shown(path)} is a {contract.kind} extract with {len(extract.rows)} rows "
        f"({extract.encoding}, '{extract.delimiter}')."
    )
    if period is None:
        print("  Reporting-period rules were not checked: give --period YYYY-MM.")
    print(
        "  References to other extracts (organisation, goals, projects) are checked when "
        "the whole delivery folder is validated."
    )
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    validate = sub.add_parser(
        "validate", help="check a delivery folder or one extract file without loading anything"
    )
    validate.add_argument("path")
    validate.add_argument("--period", help="reporting period YYYY-MM")
    validate.add_argument("--kind", choices=sorted(CONTRACTS), help="extract kind of a file")
    validate.add_argument("--scope", metavar="ORG_CODE", help="the unit a delivery covers")
    validate.set_defaults(func=cmd_validate)
