import dagster as dg

# The main job: everything from the raw extracts to the marts.
warehouse_job = dg.define_asset_job("warehouse_job", selection=dg.AssetSelection.all())
