"""`warehouse run [DELIVERY_DIR ...] [--period YYYY-MM] [--scope ORG_CODE] [--full-refresh]
[--force] [--wait S | --no-wait]`: load deliveries and build, check and publish the
warehouse.

The run itself is orchestration.pipeline.run; this module holds the warehouse's lock
around it and prints its typed result: what was loaded, what reconciles, what was
published or why not. A run of what the published generation was built from (the same
deliveries, models, reference data and code: warehouse/fingerprints.py) ends before the
pipeline starts, leaving every published file as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from orchestration.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    add_wait_options,
    completeness_lines,
    number,
    period_arg,
    shown,
    unchanged_line,
    wait_seconds,
    waiting_printer,
)
from orchestration.ingest.periods import ReportingPeriod, period_outside_warehouse
from orchestration.warehouse import dbt_process, lock
from orchestration.warehouse.dbt_state import parse_ahead
from orchestration.warehouse.failures import describe_exception
from orchestration.warehouse.fingerprints import delivery_digest
from orchestration.warehouse.paths import (
    DEFAULT_DELIVERY_DIR,
    PROJECT_ROOT,
    warehouse_path,
    working_path,
)
from orchestration.warehouse.publish import (
    DamagedWarehouse,
    Layout,
    current_generation,
    current_target,
    held_for_run,
    layout_for,
    rebuild_reasons,
)

if TYPE_CHECKING:
    from orchestration.pipeline import Figure, Progress, RunResult

# With --verbose: a report prints about a hundred rounded figures; a large city's has
# thousands, all in the evidence.
MAX_ROUNDING_SHOWN = 100
# A run's reports named one by one; beyond, their folder (a run over years renders many).
MAX_REPORTS_SHOWN = 4


def run_periods(args: argparse.Namespace) -> dict[str, list[Path]] | str:
    """period -> folders for the run, or what is wrong with the arguments.

    A period may have several deliveries (one per scope: the city's departments, other
    cities); a run may load several periods, in any months, e.g. years of history."""
    folders = [Path(f) for f in args.delivery_dirs] or [DEFAULT_DELIVERY_DIR]
    if args.period and len(folders) > 1:
        return "--period names the period of one folder; name several folders YYYY-MM"
    periods: dict[str, list[Path]] = {}
    seen: set[Path] = set()
    for folder in folders:
        period = period_arg(args.period) or ReportingPeriod.from_folder(folder)
        if period is None:
            return (
                f"{folder}: cannot tell the reporting period: name the folder YYYY-MM "
                "(the last month of the year-to-date span, e.g. 2023-04) or give --period"
            )
        outside = period_outside_warehouse(period)
        if outside:
            return f"{folder}: {outside}"
        if not folder.is_dir():
            return f"{folder}: no such delivery folder"
        if folder.resolve() in seen:
            return f"{folder} is named twice"
        seen.add(folder.resolve())
        periods.setdefault(str(period), []).append(folder)
    return dict(sorted(periods.items()))


def cmd_run(args: argparse.Namespace) -> int:
    periods = run_periods(args)
    if isinstance(periods, str):
        print(f"error: {periods}", file=sys.stderr)
        return EXIT_USAGE
    for period, folders in periods.items():
        for folder in folders:
            print(f"Delivery:  {shown(folder)} (reporting period {period})")
    print(f"Warehouse: {shown(warehouse_path())}")
    layout = layout_for(warehouse_path(), working_path())
    run_id = str(uuid.uuid4())  # known before the run starts: the lock names it
    wait = wait_seconds(args)
    before = current_target(layout)
    try:
        with held_for_run(layout, run_id, wait, on_wait=waiting_printer(wait)) as notes:
            for note in notes:
                print(f"Found:     {note}")
            # Adopting an old single-file warehouse changes no published byte.
            before = current_target(layout)
            if not (args.force or args.full_refresh) and _unchanged(args, periods, layout):
                return EXIT_OK
            return _execute_run(args, periods, layout, run_id, before)
    except lock.WarehouseBusy as busy:
        print(f"REFUSED: {busy}.")
        print(unchanged_line(layout, before, "Nothing was loaded"))
        return EXIT_REFUSED
    except DamagedWarehouse as damaged:
        print(f"REFUSED: {damaged}")
        return EXIT_REFUSED
    except OSError as exc:  # the lock or the recovery could not write the warehouse folder
        print(f"FAILED before the run started: {describe_exception(exc)}")
        print(unchanged_line(layout, before, "Nothing was loaded"))
        return EXIT_REFUSED


def _unchanged(args: argparse.Namespace, periods: dict[str, list[Path]], layout: Layout) -> bool:
    """Is the run a no-op? Then say so in one line; otherwise why it is not, if anything
    but its deliveries changed."""
    digests = {
        shown(folder): delivery_digest(folder.resolve(), period, args.scope or "")
        for period, folders in periods.items()
        for folder in folders
    }
    reasons = rebuild_reasons(layout, digests)
    if not reasons:
        generation = current_generation(layout)
        print(
            f"Unchanged: {_count(len(digests), 'delivery', 'deliveries')}, the models, the "
            f"reference data and the code are what {generation.id if generation else '?'} "
            "was built from; nothing was rebuilt and every published file is as it was "
            "(--force rebuilds anyway)."
        )
        return True
    for reason in reasons:
        if reason.startswith("the dbt models"):
            print(f"Rebuilding: {reason}.")  # the dbt step rebuilds every model from raw
        elif not reason.startswith(("new or changed deliveries", "nothing is published")):
            print(f"Running again: {reason}.")
    return False


def _count(n: int, one: str, many: str) -> str:
    return f"{'the' if n == 1 else f'all {n}'} {one if n == 1 else many}"


def _execute_run(
    args: argparse.Namespace,
    periods: dict[str, list[Path]],
    layout: Layout,
    run_id: str,
    before: str | None,
) -> int:
    # dbt's process imports dbt on the other core while this one imports Dagster and loads.
    # On a terminal the step under way updates in place; not between dbt's own lines.
    steps = StepPrinter(sys.stdout, live=sys.stdout.isatty() and not args.verbose)
    with _dbt_prepared(periods):
        from orchestration import pipeline  # Dagster and the definitions: only for a run

        result = pipeline.run(
            pipeline.RunRequest(
                periods,
                args.scope or "",
                bool(args.full_refresh or args.force),
                run_id,
                dbt_lines=args.verbose,
                progress=steps,
            )
        )
    steps.close()
    _print_loads(result)
    print_reconciliation(result, args.verbose)
    if not result.succeeded or not result.published:
        _print_failure(result, layout, before)
        return EXIT_REFUSED
    generation = current_generation(layout)
    print(
        f"Run {result.run_id} succeeded. Published {shown(layout.published)} "
        f"(read-only for readers), the marts as Parquet and the interim reports together, "
        f"as {generation.id if generation else '?'}."
    )
    for html in result.reports[:MAX_REPORTS_SHOWN]:
        print(f"  Interim report (HTML): {shown(html)}")
        print(f"  Interim report (PDF):  {shown(html.with_suffix('.pdf'))}")
    if len(result.reports) > MAX_REPORTS_SHOWN:
        print(
            f"  ... and {number(len(result.reports) - MAX_REPORTS_SHOWN)} more interim "
            f"reports (HTML and PDF) in {shown(result.reports[0].parent)}"
        )
    if result.reports_not_rendered:
        print(
            f"  Reports not rendered for {result.reports_not_rendered} (a run renders its "
            "latest periods' reports): `warehouse report --period YYYY-MM`"
        )
    _print_completeness(layout)
    return EXIT_OK


# Deliveries larger than this load for long and near the memory limit: dbt's process is
# not started early for them (it would hold some 100 MB through the load to save 2 s).
PREPARE_DBT_MAX_BYTES = 100 * 1024 * 1024


def _dbt_prepared(periods: dict[str, list[Path]]) -> contextlib.AbstractContextManager:
    size = sum(
        path.stat().st_size
        for folders in periods.values()
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file()
    )
    if size > PREPARE_DBT_MAX_BYTES:
        return contextlib.nullcontext()
    return dbt_process.prepared(parse=parse_ahead(str(working_path())))


def _print_failure(result: RunResult, layout: Layout, before: str | None) -> None:
    for problem in result.problems:
        if problem.refused:
            print(f"REFUSED: {problem.message}")
        else:
            print(f"FAILED in {problem.stage}: {problem.message}")
    if not result.checks_passed:
        print("REFUSED: figures do not reconcile (marked ! above).")
    if result.succeeded and not result.published:
        print(f"FAILED: the run did not reach publication (skipped: {', '.join(result.skipped)}).")
    if current_target(layout) != before:
        print(
            f"Run {result.run_id} failed after publishing {shown(layout.published)} "
            f"({current_target(layout)})."
        )
        return
    print(unchanged_line(layout, before, f"Run {result.run_id} failed; nothing was published"))
    if layout.working.exists():
        print(f"  The run's working file is kept for inspection: {shown(layout.working)}")


def _print_loads(result: RunResult) -> None:
    """What the run loaded into raw, and what dbt built."""
    for load in result.loads:
        # A withdrawn extract (a restated delivery without it) comes from no file.
        source = f"from {load.source_file}" if load.source_file else "(not in the delivery)"
        print(f"  {load.table:<24} {number(load.rows):>5} rows {load.status:<9} {source}")
    if not result.loads:
        return
    if all(load.status == "unchanged" for load in result.loads):
        print("Nothing new: every extract was loaded before.")
    else:
        withdrawn = [load.table for load in result.loads if "withdrawn" in load.status]
        print(
            f"{number(result.rows_loaded)} new rows loaded."
            + (f" Withdrawn: {', '.join(withdrawn)}." if withdrawn else "")
        )
    if result.models_built:
        marts = [m for m in result.models_built if m.startswith(("fct_", "dim_", "bridge_"))]
        print(
            f"dbt built {number(len(result.models_built))} models and seeds, "
            f"{number(len(marts))} of them marts."
        )


def _figure_line(marker: str, figure: Figure) -> str:
    return (
        f"    {marker} {figure.org_code:<6} {figure.statement:<14} "
        f"{figure.line_code:<28} {figure.measure:<30} "
        f"expected {number(figure.expected):>12}  "
        f"computed {number(figure.computed):>12}  "
        f"difference {number(figure.difference):>7}  "
        f"tolerance {number(figure.tolerance)}"
    )


# Failing figures printed per check, before "... and N more" (all in the evidence).
MAX_FAILING_SHOWN = 25


def print_reconciliation(result: RunResult, verbose: bool) -> None:
    """Each reconciliation check with its failing figures; with verbose, every rounding
    difference too (they are in the evidence either way)."""
    if not result.checks:
        return
    print("Reconciliation (Great Expectations, blocking publication):")
    evidence, rounding = None, []
    for check in result.checks:
        print(f"  {check.summary}")
        if check.evidence is None:
            continue
        evidence = check.evidence
        shown_failing = check.failing if verbose else check.failing[:MAX_FAILING_SHOWN]
        for figure in shown_failing:
            print(_figure_line("!", figure))
        if len(check.failing) > len(shown_failing):
            print(
                f"    ... and {number(len(check.failing) - len(shown_failing))} more failing "
                "figures: each is in the evidence below (--verbose prints them)"
            )
        rounding += check.rounding
    if rounding and verbose:
        print(f"  Rounding differences within tolerance ({number(len(rounding))}):")
        for figure in rounding[:MAX_ROUNDING_SHOWN]:
            print(_figure_line("~", figure))
        if len(rounding) > MAX_ROUNDING_SHOWN:
            print(
                f"    ... and {number(len(rounding) - MAX_ROUNDING_SHOWN)} more: every one "
                "is in the evidence below and in marts.fct_control_total_reconciliation"
            )
    elif rounding:
        print(
            f"  {number(len(rounding))} rounding differences within tolerance: each is in "
            "the evidence (--verbose prints them)"
        )
    if evidence:
        print(f"  Evidence (JSON and HTML): {shown(evidence)}")


class StepPrinter:
    """One line per step of the run as it ends, with its time; on a terminal, the step
    under way on a line of its own that updates in place, every half second and with
    each of dbt's nodes done. Called with the pipeline's Progress, from the thread that
    runs it."""

    TICK_SECONDS = 0.5

    def __init__(self, out: TextIO, live: bool) -> None:
        self.out = out  # bound now: dbt's step redirects sys.stdout while it runs
        self.live = live
        self.stage: str | None = None
        self.started = 0.0
        self.failed = False
        self.nodes = ""
        self._lock = threading.Lock()
        self._closed = threading.Event()
        if live:
            threading.Thread(target=self._tick, daemon=True).start()

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            if progress.state == "started":
                self._end_stage()
                self.stage, self.started = progress.stage, time.monotonic()
                self.failed, self.nodes = False, ""
            elif progress.state == "running" and progress.stage == self.stage:
                self.nodes = f"{number(progress.done)} of {number(progress.planned)} nodes"
            elif progress.state == "failed" and progress.stage == self.stage:
                self.failed = True
            self._show_live()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            self._end_stage()

    def _tick(self) -> None:
        while not self._closed.wait(self.TICK_SECONDS):
            with self._lock:
                self._show_live()

    def _line(self) -> str:
        seconds = time.monotonic() - self.started
        status = " FAILED" if self.failed else ""
        nodes = f"  ({self.nodes})" if self.nodes else ""
        return f"Step {self.stage:<8} {number(seconds, 1):>6} s{status}{nodes}"

    def _show_live(self) -> None:
        if self.live and self.stage is not None and not self._closed.is_set():
            self.out.write(f"\r\x1b[K{self._line()} ...")
            self.out.flush()

    def _end_stage(self) -> None:
        if self.stage is None:
            return
        line = self._line()
        self.out.write(f"\r\x1b[K{line}\n" if self.live else f"{line}\n")
        self.out.flush()
        self.stage = None


def _print_completeness(layout: Layout) -> None:
    import duckdb

    generation = current_generation(layout)
    loads = generation.manifest.get("loads", []) if generation else []
    periods = sorted({load["reporting_period"] for load in loads})
    if not periods:
        return
    with duckdb.connect(str(layout.published), read_only=True) as con:
        lines = completeness_lines(con, periods)
    for line in lines:
        print(f"  Delivered: {line}")


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="load a delivery folder and build the warehouse")
    run.add_argument(
        "delivery_dirs",
        nargs="*",
        metavar="DELIVERY_DIR",
        help="folder of extracts named YYYY-MM after its last month (default: "
        f"{DEFAULT_DELIVERY_DIR.relative_to(PROJECT_ROOT)}); several folders load in one run: "
        "the deliveries of several departments or cities, or years of history",
    )
    run.add_argument("--period", help="reporting period YYYY-MM (default: the folder name)")
    run.add_argument(
        "--scope",
        metavar="ORG_CODE",
        help="the unit the delivery covers (a department, a board, the whole municipality), "
        "where its organisation file does not say it by its shape",
    )
    add_wait_options(run)
    run.add_argument(
        "--verbose",
        action="store_true",
        help="print dbt's lines as it builds and every rounding difference (they are in "
        "the run's evidence and compute logs either way)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from raw, not only the periods whose deliveries changed "
        "(a change of the models or the reference data is found without it)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="load, build, check and publish even when the deliveries, models, reference "
        "data and code are what the published warehouse was built from (otherwise such "
        "a run ends at once, changing nothing)",
    )
    run.set_defaults(func=cmd_run)
