-- Investments budget vs. actual per reporting period, organisation unit (every level)
-- and line (MENOT, TULOT, NETTO), computed from the projects.
with

rolled_up as (

    select * from {{ ref('int_investments_rolled_up') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

deliveries as (

    {{ current_delivery('investments') }}

),

final as (

    select
        rolled_up.reporting_period,
        rolled_up.municipality_code,
        org_units.scope_code,
        rolled_up.org_code,
        rolled_up.line_code,
        {{ fact_ledger_measures('rolled_up') }},
        {{ budget_measures('periods.reporting_month') }},
        rolled_up.leaf_rows,
        deliveries.source_load_id,
        deliveries.source_file,
        deliveries.source_sha256,
        deliveries.source_loaded_at
    from rolled_up
    inner join periods
        on periods.reporting_period = rolled_up.reporting_period
    inner join org_units
        on org_units.reporting_period = rolled_up.reporting_period
        and org_units.municipality_code = rolled_up.municipality_code
        and org_units.org_code = rolled_up.org_code
    left join deliveries
        on deliveries.reporting_period = rolled_up.reporting_period
        and deliveries.municipality_code = rolled_up.municipality_code
        and deliveries.scope_code = org_units.scope_code

)

select * from final
