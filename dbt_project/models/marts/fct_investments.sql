-- Investments budget vs. actual per reporting period, organisation unit (every level)
-- and line (MENOT, TULOT, NETTO), computed from the projects and from the figures booked
-- on investment accounts of the account-level ledger (per cost centre, without a project).
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

investment_deliveries as (

    {{ current_delivery('investments') }}

),

-- A scope that books its investments on investment accounts only has no investments
-- extract: its figures come from the operating ledger by account.
ledger_deliveries as (

    {{ current_delivery('operating_ledger') }}

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
        coalesce(investment_deliveries.source_load_id, ledger_deliveries.source_load_id)
            as source_load_id,
        coalesce(investment_deliveries.source_file, ledger_deliveries.source_file)
            as source_file,
        coalesce(investment_deliveries.source_sha256, ledger_deliveries.source_sha256)
            as source_sha256,
        coalesce(investment_deliveries.source_loaded_at, ledger_deliveries.source_loaded_at)
            as source_loaded_at
    from rolled_up
    inner join periods
        on periods.reporting_period = rolled_up.reporting_period
    inner join org_units
        on org_units.reporting_period = rolled_up.reporting_period
        and org_units.municipality_code = rolled_up.municipality_code
        and org_units.org_code = rolled_up.org_code
    left join investment_deliveries
        on investment_deliveries.reporting_period = rolled_up.reporting_period
        and investment_deliveries.municipality_code = rolled_up.municipality_code
        and investment_deliveries.scope_code = org_units.scope_code
    left join ledger_deliveries
        on ledger_deliveries.reporting_period = rolled_up.reporting_period
        and ledger_deliveries.municipality_code = rolled_up.municipality_code
        and ledger_deliveries.scope_code = org_units.scope_code

)

select * from final
