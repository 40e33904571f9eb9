"""What every command shares: exit status, how paths and refusals are printed, the
lock's wait options and the completeness lines."""

from __future__ import annotations

import argparse
import os
from decimal import Decimal
from pathlib import Path

from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused
from orchestration.warehouse import lock
from orchestration.warehouse.publish import Layout, current_target

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

# How the commands print numbers for people: Finnish (1 234 567,89) or English
# (1,234,567.89). `warehouse --numbers en ...` or KUNTASEURANTA_NUMBERS=en.
NUMBER_FORMATS = ("fi", "en")
NUMBERS_VARIABLE = "KUNTASEURANTA_NUMBERS"


def number_format() -> str:
    chosen = os.environ.get(NUMBERS_VARIABLE, "fi")
    if chosen not in NUMBER_FORMATS:
        raise ValueError(f"{NUMBERS_VARIABLE}={chosen!r}: expected one of {NUMBER_FORMATS}")
    return chosen


def number(value: int | float | Decimal | str | None, decimals: int | None = None) -> str:
    """A number as the commands print it: whole numbers as they are, others with their
    two decimals (euros) or `decimals`; '-' for none."""
    if value is None:
        return "-"
    value = Decimal(str(value))
    if decimals is None:
        decimals = 0 if value == value.to_integral_value() else 2
    text = f"{value:,.{decimals}f}"  # 1,234,567.89
    if number_format() == "fi":  # a space groups the thousands, a comma marks decimals
        text = text.replace(",", " ").replace(".", ",")
    return text


def shown(path: Path) -> str:
    """The path as a person typed it: relative where it can be, links not followed."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_refusal(refused: ExtractRefused, what: str) -> None:
    print(f"REFUSED: {refused.refusal(what)}")


def period_arg(text: str | None) -> ReportingPeriod | None:
    return ReportingPeriod.parse(text) if text else None


def wait_seconds(args: argparse.Namespace) -> float:
    return 0.0 if args.no_wait else float(args.wait)


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--wait",
        type=float,
        default=lock.default_wait_seconds(),
        metavar="SECONDS",
        help="when another run holds the warehouse, wait at most this long for it "
        "(default: KUNTASEURANTA_LOCK_WAIT or 3600)",
    )
    group.add_argument(
        "--no-wait",
        action="store_true",
        help="refuse at once when another run holds the warehouse",
    )


def waiting_printer(wait: float):
    """What a command prints while it waits for another run to free the warehouse."""

    def waiting(holder: lock.Holder | None) -> None:
        print(f"{lock.waiting_line(holder, wait)}; --no-wait refuses at once ...", flush=True)

    return waiting


def unchanged_line(layout: Layout, before: str | None, what: str) -> str:
    """Whether what readers see changed, from the one link a publication switches."""
    after = current_target(layout)
    if after == before:
        return f"{what}. The published warehouse is unchanged: {shown(layout.published)}"
    return (
        f"{what}, but the published warehouse changed during the run: now {after} "
        f"(was {before}); see `warehouse status`"
    )


def completeness_lines(con, periods: list[str] | None = None) -> list[str]:
    """'HEINOLA 2023-06: 2 of 3 delivered (missing: TETO)' for each municipality and
    period whose departments deliver separately."""
    rows = con.execute(
        """
        select reporting_period, municipality_code, completeness_label, missing_scope_codes
        from marts.fct_delivery_completeness
        where org_code = municipality_code
        order by municipality_code, reporting_period
        """
    ).fetchall()
    return [
        f"{municipality} {label}" + (f" (missing: {missing})" if missing else "")
        for period, municipality, label, missing in rows
        if periods is None or period in periods
    ]
