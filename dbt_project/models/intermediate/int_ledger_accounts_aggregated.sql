{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='reporting_period',
        on_schema_change='append_new_columns',
    )
}}
-- The account-level ledger added up to cost centre x leaf report line, through the chart
-- of accounts. The only model that reads the millions of account rows: incremental, it
-- adds up only the periods whose deliveries changed since it was last built.
with

ledger as (

    select * from {{ ref('stg_ledger_accounts') }}
    where {{ periods_to_build() }}

),

account_ranges as (

    select * from {{ ref('int_account_ranges_expanded') }}

),

signatures as (

    select * from {{ ref('int_period_signatures') }}

),

aggregated as (

    select
        ledger.reporting_period,
        ledger.municipality_code,
        ledger.scope_code,
        ledger.fiscal_year,
        ledger.period_month,
        ledger.cost_centre as org_code,
        coalesce(own_ranges.line_code, shipped_ranges.line_code) as line_code,
        ledger.scenario,
        ledger.item,
        cast(sum(ledger.amount_eur) as {{ amount_type() }}) as amount_eur,
        max(ledger.reported_unit) as reported_unit,
        cast(count(*) as {{ dbt.type_int() }}) as figures
    from ledger
    -- The municipality's own range for the account, else the shipped chart's.
    left join account_ranges as own_ranges
        on own_ranges.municipality_code = ledger.municipality_code
        and own_ranges.main_account = ledger.main_account
    left join account_ranges as shipped_ranges
        on shipped_ranges.municipality_code is null
        and shipped_ranges.main_account = ledger.main_account
    where coalesce(own_ranges.line_code, shipped_ranges.line_code) is not null
    group by
        ledger.reporting_period,
        ledger.municipality_code,
        ledger.scope_code,
        ledger.fiscal_year,
        ledger.period_month,
        ledger.cost_centre,
        coalesce(own_ranges.line_code, shipped_ranges.line_code),
        ledger.scenario,
        ledger.item

),

final as (

    select
        aggregated.*,
        signatures.period_signature
    from aggregated
    inner join signatures
        on signatures.reporting_period = aggregated.reporting_period

)

select * from final
