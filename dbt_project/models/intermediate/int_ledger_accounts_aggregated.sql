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
-- The account-level ledger added up to cost centre x leaf report line, through the chart
-- of accounts. The only model that reads the millions of account rows: incremental, it
-- adds up only the periods whose deliveries changed since it was last built.
--
-- A figure's item is its own (the extract's item column), else the chart's for its
-- account (internal items on internal accounts). A load (reporting period, municipality,
-- scope) with figures on internal accounts books its internal items there: its other
-- figures without an item are external. Investment accounts keep ledger = 'investment'
-- (a leaf line of the investment table); they are not split into items.
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

-- The municipality's own range for the account, else the shipped chart's.
mapped as (

    select
        ledger.reporting_period,
        ledger.municipality_code,
        ledger.scope_code,
        ledger.fiscal_year,
        ledger.period_month,
        ledger.cost_centre,
        ledger.scenario,
        ledger.item,
        ledger.amount_eur,
        ledger.reported_unit,
        case
            when own_ranges.main_account is not null then own_ranges.line_code
            else shipped_ranges.line_code
        end as line_code,
        case
            when own_ranges.main_account is not null then own_ranges.ledger
            else shipped_ranges.ledger
        end as ledger,
        case
            when own_ranges.main_account is not null then own_ranges.item
            else shipped_ranges.item
        end as chart_item
    from ledger
    left join account_ranges as own_ranges
        on own_ranges.municipality_code = ledger.municipality_code
        and own_ranges.main_account = ledger.main_account
    left join account_ranges as shipped_ranges
        on shipped_ranges.municipality_code is null
        and shipped_ranges.main_account = ledger.main_account

),

-- Added up first by the row's own item and the chart's: the millions of rows become a
-- few thousand before the items are decided.
summed as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        fiscal_year,
        period_month,
        cost_centre,
        line_code,
        ledger,
        scenario,
        item,
        chart_item,
        sum(amount_eur) as amount_eur,
        max(reported_unit) as reported_unit,
        count(*) as figures
    from mapped
    where line_code is not null
    group by
        reporting_period,
        municipality_code,
        scope_code,
        fiscal_year,
        period_month,
        cost_centre,
        line_code,
        ledger,
        scenario,
        item,
        chart_item

),

-- The loads that book internal items on internal accounts.
loads_with_internal_accounts as (

    select distinct
        reporting_period,
        municipality_code,
        scope_code
    from summed
    where ledger = 'operating' and chart_item = 'internal'

),

items_decided as (

    select
        summed.*,
        case
            when summed.ledger = 'investment' then cast(null as {{ dbt.type_string() }})
            when summed.item is not null then summed.item
            when summed.chart_item is not null then summed.chart_item
            when loads_with_internal_accounts.reporting_period is not null then 'external'
        end as decided_item
    from summed
    left join loads_with_internal_accounts
        on loads_with_internal_accounts.reporting_period = summed.reporting_period
        and loads_with_internal_accounts.municipality_code = summed.municipality_code
        and loads_with_internal_accounts.scope_code = summed.scope_code

),

aggregated as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        fiscal_year,
        period_month,
        cost_centre as org_code,
        line_code,
        ledger,
        scenario,
        decided_item as item,
        cast(sum(amount_eur) as {{ amount_type() }}) as amount_eur,
        max(reported_unit) as reported_unit,
        cast(sum(figures) as {{ dbt.type_int() }}) as figures
    from items_decided
    group by
        reporting_period,
        municipality_code,
        scope_code,
        fiscal_year,
        period_month,
        cost_centre,
        line_code,
        ledger,
        scenario,
        decided_item

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
