{{
    config(
        materialized='incremental',
        incremental_strategy=period_replace_strategy(),
        partition_by=period_partitioning(),
        pre_hook="{{ clear_periods_to_build() }}",
        unique_key='reporting_period',
        on_schema_change='append_new_columns',
    )
}}
-- Budget vs. actual per reporting period, organisation unit (every level) and report line
-- (booked lines and every line above them), with every measure delivered, total and
-- without internal items (<measure>_external). Lines above the booked ones and unit
-- roll-ups are computed from the booked figures;
-- a unit above the scopes (the municipality, a shared board) adds up every scope delivered
-- (fct_delivery_completeness says how many) and has no single source delivery.
-- Incremental: a run rebuilds the periods whose deliveries changed, not the history.
-- depends_on: {{ ref('int_period_signatures') }}
with

rolled_up as (

    select * from {{ ref('int_budget_vs_actual_rolled_up') }}
    where {{ periods_to_build() }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

report_lines as (

    select * from {{ ref('dim_report_lines') }}
    where statement = 'operating'

),

org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

deliveries as (

    {{ current_delivery('operating_ledger') }}

),

joined as (

    select
        rolled_up.reporting_period,
        rolled_up.municipality_code,
        org_units.scope_code,
        rolled_up.org_code,
        rolled_up.line_code,
        report_lines.line_type,
        report_lines.sort_order,
        periods.reporting_month,
        {{ fact_ledger_measures('rolled_up') }},
        rolled_up.leaf_rows,
        rolled_up.period_signature,
        deliveries.source_load_id,
        deliveries.source_file,
        deliveries.source_sha256,
        deliveries.source_loaded_at
    from rolled_up
    inner join periods
        on periods.reporting_period = rolled_up.reporting_period
    inner join report_lines
        on report_lines.line_code = rolled_up.line_code
    inner join org_units
        on org_units.reporting_period = rolled_up.reporting_period
        and org_units.municipality_code = rolled_up.municipality_code
        and org_units.org_code = rolled_up.org_code
    left join deliveries
        on deliveries.reporting_period = rolled_up.reporting_period
        and deliveries.municipality_code = rolled_up.municipality_code
        and deliveries.scope_code = org_units.scope_code

),

final as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        org_code,
        line_code,
        line_type,
        sort_order,
        {% for measure in ledger_measures() %}
        {{ measure }},
        {% endfor %}
        {% for measure in ledger_measures() %}
        {{ measure }}_external,
        {% endfor %}
        {{ budget_measures() }},
        leaf_rows,
        source_load_id,
        source_file,
        source_sha256,
        source_loaded_at,
        period_signature
    from joined

)

select * from final
