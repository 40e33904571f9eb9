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
-- Leaf figures added up every report-line subtotal and every level of the organisation
-- (above the scopes: every scope delivered for the period).
-- Incremental: only the periods whose deliveries changed are added up again.
with

leaves as (

    select * from {{ ref('int_ledger_measures_pivoted') }}
    where {{ periods_to_build() }}

),

signatures as (

    select * from {{ ref('int_period_signatures') }}

),

report_lines as (

    select * from {{ ref('int_report_lines_flattened') }}
    where statement = 'operating'

),

org_units as (

    select * from {{ ref('int_org_units_flattened') }}

),

rolled_up as (

    select
        leaves.reporting_period,
        leaves.municipality_code,
        org_units.org_code,
        report_lines.line_code,
        cast(count(*) as {{ dbt.type_int() }}) as leaf_rows,
        {{ sum_ledger_measures('leaves') }}
    from leaves
    inner join report_lines
        on report_lines.booked_line_code = leaves.line_code
    inner join org_units
        on org_units.reporting_period = leaves.reporting_period
        and org_units.municipality_code = leaves.municipality_code
        and org_units.member_org_code = leaves.org_code
    group by
        leaves.reporting_period,
        leaves.municipality_code,
        org_units.org_code,
        report_lines.line_code

),

final as (

    select
        rolled_up.*,
        signatures.period_signature
    from rolled_up
    inner join signatures
        on signatures.reporting_period = rolled_up.reporting_period

)

select * from final
