"""`warehouse`: run the pipeline on a folder of extracts, or validate extracts.

    warehouse run [DELIVERY_DIR ...] [--period YYYY-MM] [--scope ORG_CODE] [--full-refresh]
                  [--wait S | --no-wait]
    warehouse validate PATH [--period YYYY-MM] [--kind KIND]
    warehouse status
    warehouse rollback [--to GENERATION]
    warehouse dev-database         (a copy of the published warehouse for dbt run by hand)
    warehouse report [--period YYYY-MM] [--out DIR]
    warehouse contracts            (prints the extract contracts as Markdown)

Exit status: 0 done, 1 refused (the reasons are printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from orchestration.cli.failures import describe, describe_exception
from orchestration.cli.report import add_report_parser
from orchestration.ingest.contracts import (
    CONTRACTS,
    Contract,
    contract_for_file,
)
from orchestration.ingest.contracts_doc import contracts_markdown
from orchestration.ingest.loading import check_delivery
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused, plain_file_problem
from orchestration.ingest.validation import parse_extract
from orchestration.warehouse import lock
from orchestration.warehouse.paths import (
    DEFAULT_DELIVERY_DIR,
    PROJECT_ROOT,
    warehouse_path,
    working_path,
)
from orchestration.warehouse.publish import (
    DamagedWarehouse,
    current_generation,
    current_target,
    generations,
    held_for_run,
    layout_for,
    rollback,
    sha256_of,
    verify,
)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
# A report prints about a hundred rounded figures; a large city's has thousands.
MAX_ROUNDING_SHOWN = 100


def _shown(path: Path) -> str:
    """The path as a person typed it: relative where it can be, links not followed."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_refusal(refused: ExtractRefused, what: str) -> None:
    print(f"REFUSED: {what}: {len(refused.errors)} problem(s); nothing was loaded.")
    for error in refused.errors:
        print(f"  - {error}")


def _period_arg(text: str | None) -> ReportingPeriod | None:
    return ReportingPeriod.parse(text) if text else None


def _prepare_dagster_home(home: Path) -> None:
    """A Dagster home with the project's instance settings (one run at a time)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", config)


def _reconciliation_evaluations(result) -> list:
    from orchestration.quality.reconciliation import CHECKS

    return [e for e in result.get_asset_check_evaluations() if e.asset_check_key.name in CHECKS]


def _check_steps(result) -> set[str]:
    return {
        f"fct_control_total_reconciliation_{e.asset_check_key.name}"
        for e in _reconciliation_evaluations(result)
    }


def _number(text: str | None) -> str:
    if text is None:
        return "-"
    value = Decimal(text)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _figure_line(marker: str, figure: dict) -> str:
    return (
        f"    {marker} {figure['org_code']:<6} {figure['statement']:<14} "
        f"{figure['line_code']:<28} {figure['measure']:<30} "
        f"expected {_number(figure['expected_value']):>12}  "
        f"computed {_number(figure['computed_value']):>12}  "
        f"difference {_number(figure['difference']):>7}  "
        f"tolerance {_number(figure['tolerance'])}"
    )


def _print_reconciliation(result) -> bool:
    """Each reconciliation check with its failing figures, then every rounding difference."""
    evaluations = _reconciliation_evaluations(result)
    if not evaluations:
        return True
    print("Reconciliation (Great Expectations, blocking publication):")
    evidence, rounding = None, []
    for evaluation in sorted(evaluations, key=lambda e: e.asset_check_key.name):
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        print(f"  {meta.get('summary', evaluation.asset_check_key.name)}")
        path = meta.get("validation_result")
        if not path or not Path(path).exists():
            continue
        evidence = Path(path).parent
        details = json.loads(Path(path).read_text(encoding="utf-8"))
        for figure in details["failing"]:
            print(_figure_line("!", figure))
        rounding += details["rounding"]
    if rounding:
        print(f"  Rounding differences within tolerance ({len(rounding)}):")
        for figure in rounding[:MAX_ROUNDING_SHOWN]:
            print(_figure_line("~", figure))
        if len(rounding) > MAX_ROUNDING_SHOWN:
            print(
                f"    ... and {len(rounding) - MAX_ROUNDING_SHOWN} more: every one is in the "
                "evidence below and in marts.fct_control_total_reconciliation"
            )
    if evidence:
        print(f"  Evidence (JSON and data docs): {_shown(evidence)}")
    return all(e.passed for e in evaluations)


def _run_periods(args: argparse.Namespace) -> dict[str, list[Path]] | str:
    """period -> folders for the run, or what is wrong with the arguments.

    A period may have several deliveries (one per scope: the city's departments, other
    cities); a run may load several periods, in any months, e.g. years of history."""
    from orchestration.defs.ingest.partitions import period_outside_partitions

    folders = [Path(f) for f in args.delivery_dirs] or [DEFAULT_DELIVERY_DIR]
    if args.period and len(folders) > 1:
        return "--period names the period of one folder; name several folders YYYY-MM"
    periods: dict[str, list[Path]] = {}
    seen: set[Path] = set()
    for folder in folders:
        period = _period_arg(args.period) or ReportingPeriod.from_folder(folder)
        if period is None:
            return (
                f"{folder}: cannot tell the reporting period: name the folder YYYY-MM "
                "(the last month of the year-to-date span, e.g. 2023-04) or give --period"
            )
        outside = period_outside_partitions(str(period))
        if outside:
            return f"{folder}: {outside}"
        if not folder.is_dir():
            return f"{folder}: no such delivery folder"
        if folder.resolve() in seen:
            return f"{folder} is named twice"
        seen.add(folder.resolve())
        periods.setdefault(str(period), []).append(folder)
    return dict(sorted(periods.items()))


def _wait_seconds(args: argparse.Namespace) -> float:
    return 0.0 if args.no_wait else float(args.wait)


def cmd_run(args: argparse.Namespace) -> int:
    periods = _run_periods(args)
    if isinstance(periods, str):
        print(f"error: {periods}", file=sys.stderr)
        return EXIT_USAGE
    for period, folders in periods.items():
        for folder in folders:
            print(f"Delivery:  {_shown(folder)} (reporting period {period})")
    print(f"Warehouse: {_shown(warehouse_path())}")
    layout = layout_for(warehouse_path(), working_path())
    run_id = str(uuid.uuid4())  # known before the run starts: the lock names it
    wait = _wait_seconds(args)

    def waiting(holder: lock.Holder | None) -> None:
        print(f"{lock.waiting_line(holder, wait)}; --no-wait refuses at once ...", flush=True)

    before = current_target(layout)
    try:
        with held_for_run(layout, run_id, wait, on_wait=waiting) as notes:
            for note in notes:
                print(f"Found:     {note}")
            # Adopting an old single-file warehouse changes no published byte.
            before = current_target(layout)
            return _execute_run(args, periods, layout, run_id, before)
    except lock.WarehouseBusy as busy:
        print(f"REFUSED: {busy}.")
        print(_unchanged_line(layout, before, "Nothing was loaded"))
        return EXIT_REFUSED
    except DamagedWarehouse as damaged:
        print(f"REFUSED: {damaged}")
        return EXIT_REFUSED
    except OSError as exc:  # the lock or the recovery could not write the warehouse folder
        print(f"FAILED before the run started: {describe_exception(exc)}")
        print(_unchanged_line(layout, before, "Nothing was loaded"))
        return EXIT_REFUSED


def _unchanged_line(layout, before: str | None, what: str) -> str:
    """Whether what readers see changed, from the one link a publication switches."""
    after = current_target(layout)
    if after == before:
        return f"{what}. The published warehouse is unchanged: {_shown(layout.published)}"
    return (
        f"{what}, but the published warehouse changed during the run: now {after} "
        f"(was {before}); see `warehouse status`"
    )


def _execute_run(args, periods: dict[str, list[Path]], layout, run_id: str, before) -> int:
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.ingest.assets import deliveries_run_config, delivery_run_config

    scope = args.scope or ""
    if len(periods) == 1:
        ((period, folders),) = periods.items()
        delivery_config = delivery_run_config([str(f.resolve()) for f in folders], period, scope)
        partition = {"partition_key": period}
    else:
        delivery_config = deliveries_run_config(
            {p: [str(f.resolve()) for f in fs] for p, fs in periods.items()}, scope
        )
        # One run over the range of periods (Dagster's single-run backfill).
        partition = {
            "tags": {
                "dagster/asset_partition_range_start": min(periods),
                "dagster/asset_partition_range_end": max(periods),
            }
        }
    run_config = {
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
        "ops": {
            **delivery_config["ops"],
            "warehouse_dbt_models": {"config": {"full_refresh": bool(args.full_refresh)}},
        },
    }
    dagster_home = os.environ.get("DAGSTER_HOME")
    if dagster_home:
        _prepare_dagster_home(Path(dagster_home))
        instance = dg.DagsterInstance.get()
    else:
        instance = dg.DagsterInstance.ephemeral()
    job = defs().resolve_job_def("warehouse_job")
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        run_id=run_id,
        **partition,
    )
    _print_loads(result)
    checks_passed = _print_reconciliation(result)
    _print_step_times(instance, result.run_id)
    published = bool(result.asset_materializations_for_node("published_warehouse"))
    switched = current_target(layout) != before
    if not result.success or not published:
        check_steps = _check_steps(result)
        for event in result.all_events:
            if not event.is_step_failure or event.step_key in check_steps:
                continue  # failed checks are shown above, with their figures
            failure = event.step_failure_data
            if failure.user_failure_data is not None:  # a refusal the pipeline explains
                print(f"REFUSED: {failure.user_failure_data.description}")
            else:
                print(f"FAILED in {_step_name(event.step_key)}: {describe(failure.error)}")
        if not checks_passed:
            print("REFUSED: figures do not reconcile (marked ! above).")
        if result.success and not published:
            skipped = sorted(event.step_key for event in result.all_events if event.is_step_skipped)
            print(f"FAILED: the run did not reach publication (skipped: {', '.join(skipped)}).")
        if switched:
            print(
                f"Run {result.run_id} failed after publishing {_shown(layout.published)} "
                f"({current_target(layout)})."
            )
        else:
            print(
                _unchanged_line(
                    layout, before, f"Run {result.run_id} failed; nothing was published"
                )
            )
            if layout.working.exists():
                print(f"  The run's working file is kept for inspection: {_shown(layout.working)}")
        return EXIT_REFUSED
    generation = current_generation(layout)
    print(
        f"Run {result.run_id} succeeded. Published {_shown(layout.published)} "
        f"(read-only for readers), the marts as Parquet and the interim reports together, "
        f"as {generation.id if generation else '?'}."
    )
    for materialization in result.asset_materializations_for_node("interim_report"):
        files = materialization.metadata.get("files")
        for html in files.value if files is not None else []:
            print(f"  Interim report (HTML): {_shown(Path(html))}")
            print(f"  Interim report (PDF):  {_shown(Path(html).with_suffix('.pdf'))}")
        not_rendered = materialization.metadata.get("not_rendered")
        if not_rendered is not None and not_rendered.value:
            print(
                f"  Reports not rendered for {not_rendered.value} (a run renders its latest "
                "periods' reports): `warehouse report --period YYYY-MM`"
            )
    _print_completeness(layout)
    return EXIT_OK


def _completeness_lines(con, periods: list[str] | None = None) -> list[str]:
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


def _print_completeness(layout) -> None:
    import duckdb

    generation = current_generation(layout)
    loads = generation.manifest.get("loads", []) if generation else []
    periods = sorted({load["reporting_period"] for load in loads})
    if not periods:
        return
    with duckdb.connect(str(layout.published), read_only=True) as con:
        lines = _completeness_lines(con, periods)
    for line in lines:
        print(f"  Delivered: {line}")


STEP_NAMES = {
    "raw_extracts": "load",
    "warehouse_dbt_models": "dbt",
    "published_warehouse": "publish",
    "interim_report": "report",
}


def _step_name(step_key: str) -> str:
    if step_key.startswith("fct_control_total_reconciliation_"):
        return "checks"
    return STEP_NAMES.get(step_key, step_key)


def _print_step_times(instance, run_id: str) -> None:
    """Where the run's time went, step by step (the reconciliation checks together)."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            step = event.step_key
            name = _step_name(step)
            seconds[name] = seconds.get(name, 0.0) + record.timestamp - started.get(step, 0.0)
    if seconds:
        shown = ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
        print(f"Step times: {shown}")


def _print_loads(result) -> None:
    """What the run loaded into raw, and what dbt built."""
    total = 0
    for materialization in result.asset_materializations_for_node("raw_extracts"):
        meta = {k: v.value for k, v in materialization.metadata.items()}
        if "rows" not in meta or meta["status"] == "not delivered":
            continue  # the load log itself, or an optional extract the delivery lacks
        total += meta["rows"] if meta["status"] != "unchanged" else 0
        print(
            f"  {materialization.asset_key.to_user_string():<24} "
            f"{meta['rows']:>5} rows {meta['status']:<9} from {meta['source_file']}"
        )
    if not result.asset_materializations_for_node("raw_extracts"):
        return
    print(f"{total} new rows loaded." if total else "Nothing new: every extract was loaded before.")
    models = [
        m.asset_key.to_user_string()
        for m in result.asset_materializations_for_node("warehouse_dbt_models")
    ]
    if models:
        marts = sorted(m for m in models if m.startswith(("fct_", "dim_", "bridge_")))
        print(f"dbt built {len(models)} models and seeds; marts: {', '.join(marts)}")


def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    period = _period_arg(args.period)
    if path.is_dir():
        try:
            delivery = check_delivery(path, period, scope=args.scope)
        except ExtractRefused as refused:
            _print_refusal(refused, f"delivery {_shown(path)}")
            return EXIT_REFUSED
        print(f"VALID: delivery {_shown(path)} for {delivery.reporting_period}")
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
        print(f"REFUSED: {_shown(path)}: {problem}; nothing was read.")
        return EXIT_REFUSED
    contract: Contract | None = (
        CONTRACTS.get(args.kind) if args.kind else contract_for_file(path.name)
    )
    if contract is None:
        print(
            f"{path.name}: cannot tell the extract kind from the name; "
            f"give --kind, one of {', '.join(CONTRACTS)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    period = period or ReportingPeriod.from_folder(path.parent)
    try:
        extract = parse_extract(path, contract, period)
    except ExtractRefused as refused:
        _print_refusal(refused, f"{contract.kind} extract {_shown(path)}")
        return EXIT_REFUSED
    if contract.bulk:
        print(
            f"READABLE: {_shown(path)} is a {contract.kind} extract "
            f"({extract.encoding}, '{extract.delimiter}', header as the contract says)."
        )
        print(
            "  Its rows are checked against the organisation and the chart of accounts when "
            "the whole delivery folder is validated."
        )
        return EXIT_OK
    print(
        f"VALID: {_shown(path)} is a {contract.kind} extract with {len(extract.rows)} rows "
        f"({extract.encoding}, '{extract.delimiter}')."
    )
    if period is None:
        print("  Reporting-period rules were not checked: give --period YYYY-MM.")
    print(
        "  References to other extracts (organisation, goals, projects) are checked when "
        "the whole delivery folder is validated."
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """What readers see now: the published generation, its periods, deliveries and checks.
    A warehouse that does not open is reported in one line, with what to do."""
    import datetime as dt

    import duckdb

    layout = layout_for(warehouse_path(), working_path())
    holder = lock.current_holder(layout.root) if layout.root.is_dir() else None
    if holder is not None:
        print(f"Running:   {holder.describe()}")
    published = layout.published
    generation = current_generation(layout)
    if not published.exists():
        if layout.current_link.is_symlink():
            print(
                f"DAMAGED: {_shown(layout.current_link)} points at "
                f"{os.readlink(layout.current_link)}, which is missing; "
                f"`warehouse rollback --to ID` makes a kept generation current"
            )
            return EXIT_REFUSED
        print(f"No published warehouse at {_shown(published)} yet: run `warehouse run`.")
        return EXIT_REFUSED
    database = published.resolve()
    modified = dt.datetime.fromtimestamp(database.stat().st_mtime).isoformat(timespec="seconds")
    where = f", {generation.describe()}" if generation else ""
    print(f"Published: {_shown(published)} ({database.stat().st_size:,} bytes, {modified}{where})")
    problem = _published_problem(layout, generation)
    if problem:
        print(problem)
        if problem.startswith("DAMAGED"):
            return EXIT_REFUSED
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            tags = con.execute("select tags from duckdb_databases() where not internal").fetchall()[
                0
            ][0]
            periods = con.execute("""
                select reporting_period, count(*) filter (where is_current_delivery),
                       count(*), max(loaded_at)
                from staging.stg_deliveries group by 1 order by 1""").fetchall()
            completeness = _completeness_lines(con)
            scopes = dict(
                con.execute("""
                    select reporting_period, string_agg(distinct municipality_code || '/'
                        || scope_code, ', ' order by municipality_code || '/' || scope_code)
                    from staging.stg_deliveries where is_current_delivery
                    group by 1""").fetchall()
            )
            checks = dict(
                ((period, status), n)
                for period, status, n in con.execute("""
                    select reporting_period, reconciliation_status, count(*)
                    from marts.fct_control_total_reconciliation group by 1, 2""").fetchall()
            )
    except duckdb.Error as exc:
        print(f"DAMAGED: the published warehouse does not open: {describe_exception(exc)}")
        return EXIT_REFUSED
    version = tags.get("storage_version", "default")
    readable = "DuckDB 1.5 and newer" if version.startswith("v1.") else "DuckDB 2.0 only"
    print(f"Storage:   {version} ({readable} can open it)")
    print("Periods:")
    for period, current, loads, last in periods:
        statuses = ", ".join(
            f"{checks[(period, s)]} {s}"
            for s in ("exact", "rounding", "mismatch", "missing")
            if (period, s) in checks
        )
        print(
            f"  {period}  {scopes.get(period, '?')}: {current} current extracts, {loads} loads "
            f"in all, last {last:%Y-%m-%d %H:%M}; reconciliation: {statuses}"
        )
    if completeness:
        print("Delivered:")
        for line in completeness:
            print(f"  {line}")
    parquet = layout.parquet_link
    print(f"Parquet:   {len(list(parquet.glob('*.parquet')))} marts in {_shown(parquet)}")
    reports = sorted(layout.report_link.glob("*.html"))
    print(f"Reports:   {', '.join(_shown(r) for r in reports) or 'none'}")
    kept = [g for g in generations(layout) if generation is None or g.id != generation.id]
    if kept:
        print(f"Kept:      {', '.join(g.describe() for g in kept)} (`warehouse rollback`)")
    return EXIT_OK


def _published_problem(layout, generation) -> str | None:
    """One line on what is wrong with the published file, or None."""
    if generation is None:
        return None
    database = generation.database(layout.name)
    try:
        changed = verify(layout, generation, database, sha256_of(database))
    except DamagedWarehouse as exc:
        return f"DAMAGED: {exc}"
    return f"Changed:   {changed}" if changed else None


def cmd_rollback(args: argparse.Namespace) -> int:
    """Make an earlier generation current again (under the lock, like a run)."""
    layout = layout_for(warehouse_path(), working_path())
    wait = _wait_seconds(args)

    def waiting(holder: lock.Holder | None) -> None:
        print(f"{lock.waiting_line(holder, wait)}; --no-wait refuses at once ...", flush=True)

    try:
        with lock.warehouse_lock(layout.root, "rollback", wait, on_wait=waiting):
            left, now = rollback(layout, args.to)
    except lock.WarehouseBusy as busy:
        print(f"REFUSED: {busy}.")
        return EXIT_REFUSED
    except (RuntimeError, DamagedWarehouse) as exc:
        print(f"REFUSED: {exc}")
        return EXIT_REFUSED
    except OSError as exc:
        print(f"FAILED: {describe_exception(exc)}")
        return EXIT_REFUSED
    print(f"Rolled back: readers now see {now.describe()}.")
    print(
        f"  {left.id} is kept beside it; the next run builds on {now.id}, so deliveries "
        f"loaded by {left.id} must be run again ({', '.join(left.manifest.get('periods', []))})."
    )
    return EXIT_OK


def cmd_dev_database(args: argparse.Namespace) -> int:
    """A development copy of the published warehouse for dbt run by hand."""
    from orchestration.warehouse.dbt_project import dev_database

    published = warehouse_path()
    if not published.exists():
        print(f"No published warehouse at {_shown(published)} yet: run `warehouse run`.")
        return EXIT_REFUSED
    target = dev_database()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.copying")
    shutil.copyfile(published, partial)
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    os.replace(partial, target)
    print(f"Copied {_shown(published)} to {_shown(target)}.")
    print("  dbt run by hand from dbt_project/ builds there; the published warehouse is untouched.")
    return EXIT_OK


def cmd_contracts(args: argparse.Namespace) -> int:
    print(contracts_markdown(), end="")
    return EXIT_OK


def _add_wait_options(parser: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warehouse", description="Municipal budget follow-up warehouse."
    )
    sub = parser.add_subparsers(dest="command", required=True)
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
    _add_wait_options(run)
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from raw, not only the periods whose deliveries changed "
        "(after a change of reference data such as the chart of accounts)",
    )
    run.set_defaults(func=cmd_run)
    validate = sub.add_parser(
        "validate", help="check a delivery folder or one extract file without loading anything"
    )
    validate.add_argument("path")
    validate.add_argument("--period", help="reporting period YYYY-MM")
    validate.add_argument("--kind", choices=sorted(CONTRACTS), help="extract kind of a file")
    validate.add_argument("--scope", metavar="ORG_CODE", help="the unit a delivery covers")
    validate.set_defaults(func=cmd_validate)
    status = sub.add_parser(
        "status", help="show the published warehouse: periods, deliveries, reconciliation"
    )
    status.set_defaults(func=cmd_status)
    rollback_parser = sub.add_parser(
        "rollback",
        help="make the previous published generation current again (the DuckDB file, "
        "its Parquet export and the report together)",
    )
    rollback_parser.add_argument(
        "--to", help="the generation to make current (default: the one the current was built on)"
    )
    _add_wait_options(rollback_parser)
    rollback_parser.set_defaults(func=cmd_rollback)
    dev = sub.add_parser(
        "dev-database",
        help="copy the published warehouse to dbt's development file, for dbt run by hand",
    )
    dev.set_defaults(func=cmd_dev_database)
    contracts = sub.add_parser("contracts", help="print the extract contracts as Markdown")
    contracts.set_defaults(func=cmd_contracts)
    add_report_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:  # a malformed --period and the like
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
