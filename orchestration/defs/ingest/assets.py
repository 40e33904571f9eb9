"""Ingest: one raw table per extract kind, loaded together per reporting period."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.defs.ingest.partitions import reporting_periods
from orchestration.lib import bulk
from orchestration.lib.contracts import CONTRACTS
from orchestration.lib.csv_reader import ExtractRefused
from orchestration.lib.loader import ExtractLoad, load_delivery
from orchestration.lib.paths import DEFAULT_DELIVERY_DIR, inbox_dir
from orchestration.lib.publish import DamagedWarehouse, record_run_loads, start_working_copy
from orchestration.lib.reporting_period import ReportingPeriod
from orchestration.lib.resources import WarehouseFiles
from orchestration.lib.validation import validate_delivery


class DeliveryConfig(dg.Config):
    """Which delivery to load. Empty fields: the partition's folder in the inbox.

    A run over a range of partitions (a backfill, or onboarding years of history in one
    run) takes each period's folder from `deliveries` (period -> folder) or the inbox.
    """

    delivery_dir: str = ""
    reporting_period: str = ""  # YYYY-MM; empty: the partition key or the folder name
    deliveries: dict[str, str] = {}


def delivery_run_config(folder: str, period: str) -> dict:
    return {
        "ops": {"raw_extracts": {"config": {"delivery_dir": folder, "reporting_period": period}}}
    }


def deliveries_run_config(folders: dict[str, str]) -> dict:
    """Run config for several reporting periods in one run (period -> folder)."""
    return {"ops": {"raw_extracts": {"config": {"deliveries": folders}}}}


def _resolve_deliveries(
    context: dg.AssetExecutionContext, config: DeliveryConfig
) -> list[tuple[Path, ReportingPeriod | None]]:
    """The delivery folders of the run, oldest period first."""
    if context.has_partition_key_range and not context.has_partition_key:
        return [
            (Path(config.deliveries.get(key) or inbox_dir() / key), ReportingPeriod.parse(key))
            for key in context.partition_keys
        ]
    partition = context.partition_key if context.has_partition_key else None
    period_text = config.reporting_period or partition
    if partition and config.reporting_period and config.reporting_period != partition:
        raise dg.Failure(
            f"reporting period {config.reporting_period} does not match the "
            f"run's partition {partition}"
        )
    if config.delivery_dir:
        folder = Path(config.delivery_dir)
    elif partition and partition in config.deliveries:
        folder = Path(config.deliveries[partition])
    elif partition:
        folder = inbox_dir() / partition
    else:
        folder = DEFAULT_DELIVERY_DIR
    return [(folder, ReportingPeriod.parse(period_text) if period_text else None)]


# Every step that writes the working file runs alone (dagster.yaml: pools default_limit 1).
WAREHOUSE_POOL = "warehouse"


def raw_asset_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", kind])


LOAD_LOG_KEY = dg.AssetKey(["raw", "load_log"])


def _raw_specs() -> list[dg.AssetSpec]:
    # Built in a function: specs at module level would be loaded as assets of their own.
    load_log = dg.AssetSpec(
        LOAD_LOG_KEY,
        group_name="raw",
        description="One row per extract file loaded for a reporting period: the deliveries.",
        kinds={"duckdb"},
    )
    return [load_log, *(_raw_spec(kind) for kind in CONTRACTS)]


def _raw_spec(kind: str) -> dg.AssetSpec:
    contract = CONTRACTS[kind]
    return dg.AssetSpec(
        raw_asset_key(kind),
        group_name="raw",
        description=contract.description,
        kinds={"duckdb", "csv"},
        skippable=not contract.required,
        metadata={
            "table": contract.table_name,
            "key": ", ".join(contract.key),
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(c.name, c.duckdb_type, description=c.description)
                    for c in contract.columns
                ]
            ),
        },
    )


@dg.multi_asset(
    specs=_raw_specs(),
    name="raw_extracts",
    can_subset=False,
    partitions_def=reporting_periods,
    # A backfill is one run: the periods load one after the other into the run's working
    # file, dbt builds once, and the checks gate one publication.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def raw_extracts(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    duckdb: DuckDBResource,
    warehouse_files: WarehouseFiles,
):
    """Validate a delivery folder against the extract contracts and load it into `raw`.

    A delivery that breaks any contract is refused whole: nothing is written.
    """
    deliveries = []
    problems: list[str] = []
    # Every delivery of the run is checked before anything is loaded.
    for folder, period in _resolve_deliveries(context, config):
        try:
            deliveries.append(validate_delivery(folder, period))
        except ExtractRefused as refused:
            problems.append(
                f"delivery {folder}: {len(refused.errors)} problem(s); nothing was loaded.\n"
                + "\n".join(f"  - {e}" for e in refused.errors)
            )
    if problems:
        for delivery in deliveries:  # the valid ones are not loaded either
            for extract in delivery.extracts.values():
                if extract.bulk_source is not None:
                    bulk.release(extract.bulk_source)
        raise dg.Failure(
            description="\n".join(problems),
            metadata={"errors": dg.MetadataValue.md("\n".join(problems))},
        )
    # The run builds on a copy of what readers see; they see the result only once published.
    try:
        for note in start_working_copy(warehouse_files.layout):
            context.log.warning(note)
    except DamagedWarehouse as exc:
        raise dg.Failure(description=str(exc)) from exc
    loads_by_period = {}
    for delivery in deliveries:
        context.log.info(f"Delivery {delivery.folder} for {delivery.reporting_period} is valid")
        with duckdb.get_connection() as con:
            loads = load_delivery(con, delivery, list(CONTRACTS.values()))
        for load in loads:
            context.log.info(
                f"{delivery.reporting_period} {load.kind}: {load.rows} rows {load.status} "
                f"from {load.source_file}"
            )
        loads_by_period[str(delivery.reporting_period)] = loads
    record_run_loads(warehouse_files.layout, _new_loads(loads_by_period))
    yield from _materializations(loads_by_period)


def _new_loads(loads_by_period: dict[str, list[ExtractLoad]]) -> list[dict]:
    """What this run loaded, for the manifest of the generation it publishes."""
    return [
        {
            "reporting_period": period,
            "extract_kind": x.kind,
            "source_file": x.source_file,
            "sha256": x.sha256,
            "load_id": x.load_id,
        }
        for period, period_loads in sorted(loads_by_period.items())
        for x in period_loads
        if x.status != "unchanged"
    ]


def _materializations(loads_by_period: dict[str, list[ExtractLoad]]):
    """One materialization per raw table for the run, whether it loaded one period or many."""
    periods = sorted(loads_by_period)
    shown_periods = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"
    yield dg.MaterializeResult(
        asset_key=LOAD_LOG_KEY,
        metadata={
            "reporting_period": shown_periods,
            "periods": dg.MetadataValue.int(len(periods)),
            "extracts_loaded": dg.MetadataValue.int(
                sum(
                    1
                    for loads in loads_by_period.values()
                    for x in loads
                    if x.status != "unchanged"
                )
            ),
        },
    )
    for kind in sorted(CONTRACTS):
        loads = [x for p in periods for x in loads_by_period[p] if x.kind == kind]
        if not loads:
            # An optional extract the run's deliveries do not give (e.g. the ledger by
            # report line when the ledger comes by account): its table is there and holds
            # nothing new, and the models downstream still run.
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(kind),
                metadata={
                    "reporting_period": shown_periods,
                    "rows": dg.MetadataValue.int(0),
                    "status": "not delivered",
                },
            )
            continue
        files = sorted({x.source_file for x in loads})
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(kind),
            metadata={
                "reporting_period": shown_periods,
                "periods": dg.MetadataValue.int(len(loads)),
                "source_file": files[0] if len(files) == 1 else ", ".join(files),
                "sha256": loads[-1].sha256 if len(loads) == 1 else "",
                "rows": dg.MetadataValue.int(
                    sum(x.rows for x in loads if x.status != "unchanged")
                    if len(loads) > 1
                    else loads[0].rows
                ),
                "status": "/".join(sorted({x.status for x in loads})),
                "load_id": (loads[0].load_id or "") if len(loads) == 1 else "",
            },
        )
