"""Ingest: one raw table per extract kind, loaded together per reporting period."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.defs.ingest.partitions import reporting_periods
from orchestration.defs.resources import WarehouseFiles
from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import ExtractLoad, load_delivery
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused
from orchestration.ingest.validation import doubled_scopes, validate_delivery
from orchestration.warehouse.fingerprints import Fingerprint, delivery_digest
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR, inbox_deliveries, inbox_dir
from orchestration.warehouse.publish import (
    DamagedWarehouse,
    record_run_inputs,
    record_run_loads,
    start_working_copy,
)


class DeliveryConfig(dg.Config):
    """Which deliveries to load. Empty fields: the partition's folders in the inbox.

    A period may have several deliveries (one per scope: each department of a city, each
    city). A run over a range of partitions (a backfill, or onboarding years of history in
    one run) takes each period's folders from `deliveries` (period -> folders) or the inbox;
    months of the range without a delivery load nothing.
    """

    delivery_dir: str = ""
    delivery_dirs: list[str] = []  # several deliveries of the one period
    reporting_period: str = ""  # YYYY-MM; empty: the partition key or the folder name
    deliveries: dict[str, list[str]] = {}
    scope: str = ""  # org_code of the unit the deliveries cover; empty: from the tree


def delivery_run_config(folder: str | list[str], period: str, scope: str = "") -> dict:
    folders = [folder] if isinstance(folder, str) else list(folder)
    config: dict = {"reporting_period": period, "scope": scope}
    if len(folders) == 1:
        config["delivery_dir"] = folders[0]
    else:
        config["delivery_dirs"] = folders
    return {"ops": {"raw_extracts": {"config": config}}}


def deliveries_run_config(folders: dict[str, list[str]], scope: str = "") -> dict:
    """Run config for several reporting periods in one run (period -> folders)."""
    return {"ops": {"raw_extracts": {"config": {"deliveries": folders, "scope": scope}}}}


def _resolve_deliveries(
    context: dg.AssetExecutionContext, config: DeliveryConfig
) -> list[tuple[Path, ReportingPeriod | None]]:
    """The delivery folders of the run, oldest period first."""
    if context.has_partition_key_range and not context.has_partition_key:
        found = []
        for key in context.partition_keys:
            folders = config.deliveries.get(key) if config.deliveries else None
            if folders is None:
                folders = [] if config.deliveries else [str(f) for f in inbox_deliveries(key)]
            found += [(Path(f), ReportingPeriod.parse(key)) for f in folders]
        if not found:
            raise dg.Failure(
                f"no delivery for any period of {context.partition_keys[0]}.."
                f"{context.partition_keys[-1]}"
            )
        return found
    partition = context.partition_key if context.has_partition_key else None
    period_text = config.reporting_period or partition
    if partition and config.reporting_period and config.reporting_period != partition:
        raise dg.Failure(
            f"reporting period {config.reporting_period} does not match the "
            f"run's partition {partition}"
        )
    if config.delivery_dir or config.delivery_dirs:
        folders = [Path(f) for f in [config.delivery_dir, *config.delivery_dirs] if f]
    elif partition and partition in config.deliveries:
        folders = [Path(f) for f in config.deliveries[partition]]
    elif partition:
        folders = inbox_deliveries(partition)
        if not folders:
            raise dg.Failure(f"no delivery for {partition} in the inbox {inbox_dir()}")
    else:
        folders = [DEFAULT_DELIVERY_DIR]
    period = ReportingPeriod.parse(period_text) if period_text else None
    return [(folder, period) for folder in folders]


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
            deliveries.append(validate_delivery(folder, period, scope=config.scope or None))
        except ExtractRefused as refused:
            problems.append(_refusal(folder, refused))
    problems += doubled_scopes(deliveries)
    if problems:  # the valid deliveries are not loaded either
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
    loads_by_period: dict[str, list[ExtractLoad]] = {}
    for delivery in deliveries:
        context.log.info(f"Delivery {delivery.folder} ({delivery.describe()}) is valid")
        try:
            with duckdb.get_connection() as con:
                loads = load_delivery(con, delivery, list(CONTRACTS.values()))
        except ExtractRefused as refused:
            problem = _refusal(delivery.folder, refused)
            raise dg.Failure(
                description=problem, metadata={"errors": dg.MetadataValue.md(problem)}
            ) from None
        for load in loads:
            context.log.info(
                f"{delivery.reporting_period} {delivery.scope.code} {load.kind}: {load.rows} "
                f"rows {load.status} from {load.source_file}"
            )
        loads_by_period.setdefault(str(delivery.reporting_period), []).extend(loads)
    record_run_loads(warehouse_files.layout, _new_loads(loads_by_period))
    record_run_inputs(
        warehouse_files.layout,
        [
            {
                "reporting_period": str(d.reporting_period),
                "municipality_code": d.scope.municipality_code,
                "scope_code": d.scope.code,
                "digest": delivery_digest(d.folder, str(d.reporting_period), config.scope),
                "folder": str(d.folder),
            }
            for d in deliveries
        ],
        Fingerprint.now(),
    )
    yield from _materializations(loads_by_period)


def _refusal(folder: Path, refused: ExtractRefused) -> str:
    return refused.refusal(f"delivery {folder}")


def _new_loads(loads_by_period: dict[str, list[ExtractLoad]]) -> list[dict]:
    """What this run loaded, for the manifest of the generation it publishes."""
    return [
        {
            "reporting_period": period,
            "municipality_code": x.municipality_code,
            "scope_code": x.scope_code,
            "extract_kind": x.kind,
            "source_file": x.source_file,
            "sha256": x.sha256,
            "load_id": x.load_id,
            "rows": x.rows,
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
