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

    select * from {{ ref('account_ranges') }}

),

signatures as (

    select * from {{ ref('int_period_signatures') }}

),

-- A few hundred distinct accounts go through the range join, not millions of rows.
account_lines as (

    select
        accounts.account,
        account_ranges.line_code
    from (select distinct account, main_account from ledger) as accounts
    inner join account_ranges
        on accounts.main_account between account_ranges.account_from
        and account_ranges.account_to

),

aggregated as (

    select
        ledger.reporting_period,
        ledger.fiscal_year,
        ledger.period_month,
        ledger.cost_centre as org_code,
        account_lines.line_code,
        ledger.scenario,
        cast(sum(ledger.amount_eur) as decimal(18, 2)) as amount_eur,
        max(ledger.reported_unit) as reported_unit,
        cast(count(*) as integer) as figures,
        min(ledger.load_id) as load_id
    from ledger
    inner join account_lines
        on account_lines.account = ledger.account
    group by
        ledger.reporting_period,
        ledger.fiscal_year,
        ledger.period_month,
        ledger.cost_centre,
        account_lines.line_code,
        ledger.scenario

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
