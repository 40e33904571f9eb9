import dagster as dg

# The main job: everything from the raw extracts to the published warehouse. Its steps
# share one DuckDB working file, so they run one after another in one process.
warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
)
