"""`warehouse`: run the pipeline on a folder of extracts, or validate extracts.

    warehouse run [DELIVERY_DIR ...] [--period YYYY-MM] [--scope ORG_CODE] [--full-refresh]
                  [--force] [--wait S | --no-wait]
    warehouse validate PATH [--period YYYY-MM] [--kind KIND] [--scope ORG_CODE]
    warehouse status
    warehouse rollback [--to GENERATION]
    warehouse dev-database         (a copy of the published warehouse for dbt run by hand)
    warehouse report [--period YYYY-MM] [--out DIR]
    warehouse export fdp [--period YYYY-MM] [--out DIR]
                                   (the period as an open Fiscal Data Package)
    warehouse spark-build [--out DIR] [--full-refresh] [--models-only] [--compare]
                          [--export-only]
                                   (the dbt project on Apache Spark; needs `make spark`)
    warehouse contracts            (prints the extract contracts as Markdown)
    warehouse profile check EXPORT [--profile P] [--period YYYY-MM]
                                   (how a source profile reads an export; loads nothing)
    warehouse profile schema       (the source profiles' JSON schema)

    warehouse --version            (this warehouse's version and its engines')
    warehouse --numbers en ...     (numbers printed 1,234.5; default Finnish: 1 234,5)

One module per command; each adds its subcommand (`add_parser`). Exit status: 0 done,
1 refused (the reasons are printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from orchestration.cli import (
    contracts,
    dev_database,
    export,
    profile,
    report,
    rollback,
    run,
    spark,
    status,
    validate,
)
from orchestration.cli.common import EXIT_USAGE, NUMBER_FORMATS, NUMBERS_VARIABLE

COMMANDS = (
    run,
    validate,
    status,
    rollback,
    dev_database,
    contracts,
    report,
    export,
    profile,
    spark,
)


# What an operator reports with a problem: the project's version and the engines it runs.
ENGINES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "great-expectations",
)


def version_text() -> str:
    """`warehouse --version`: one line for the project, one per engine."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    lines = [f"warehouse (kuntaseuranta) {installed('kuntaseuranta')}"]
    lines += [f"  {package} {installed(package)}" for package in ENGINES]
    return "\n".join(lines)


class _VersionAction(argparse.Action):
    """Prints version_text() and ends, as argparse's own version action does, but looks
    the versions up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the versions and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warehouse", description="Municipal budget follow-up warehouse."
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--numbers",
        choices=NUMBER_FORMATS,
        help=f"how numbers are printed: fi 1 234,5 (the default), en 1,234.5; or set "
        f"{NUMBERS_VARIABLE}",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; with argv given (tests, other Python code), returns the exit
    status instead of ending the process."""
    args = build_parser().parse_args(argv)
    if args.numbers:
        os.environ[NUMBERS_VARIABLE] = args.numbers
    try:
        code = args.func(args)
    except ValueError as exc:  # a malformed --period and the like
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    if argv is None:
        _end_process(code)
    return code


def _end_process(code: int) -> None:
    """End the `warehouse` process once its command is done (see end_process)."""
    from orchestration.lib.process import end_process

    end_process(code)
