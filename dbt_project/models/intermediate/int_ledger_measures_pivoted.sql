-- One row per reporting period, municipality, booking unit and booked line with the base
-- figures, from whichever operating ledger the period was delivered in: by report line, or by
-- account and cost centre (added up to report lines first; the operating accounts only),
-- and the controllers' forecasts.
-- The budget after changes, the original budget and the changes are derived from each other
-- where a delivery gives two of them.
with

ledger_by_line as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        reporting_year,
        reporting_month,
        fiscal_year,
        period_month,
        org_code,
        line_code,
        scenario,
        item,
        amount_eur,
        reported_unit,
        1 as figures
    from {{ ref('stg_ledger') }}

),

ledger_by_account as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        cast(substring(reporting_period, 1, 4) as {{ dbt.type_int() }}) as reporting_year,
        cast(substring(reporting_period, 6, 2) as {{ dbt.type_int() }}) as reporting_month,
        fiscal_year,
        period_month,
        org_code,
        line_code,
        scenario,
        item,
        amount_eur,
        reported_unit,
        figures
    from {{ ref('int_ledger_accounts_aggregated') }}
    -- Investment accounts go to the investment table (int_investment_measures_pivoted); a
    -- row added up before the chart had ledgers (null) is operating.
    where coalesce(ledger, 'operating') = 'operating'

),

forecasts as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        reporting_year,
        reporting_month,
        fiscal_year,
        period_month,
        org_code,
        line_code,
        'forecast' as scenario,
        item,
        amount_eur,
        reported_unit,
        1 as figures
    from {{ ref('stg_forecasts') }}

),

ledger as (

    select * from ledger_by_line
    union all
    select * from ledger_by_account
    union all
    select * from forecasts

),

pivoted as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        org_code,
        line_code,
        {{ pivot_ledger_measures() }}
    from ledger
    group by reporting_period, municipality_code, scope_code, org_code, line_code

),

derived as (

    select
        pivoted.reporting_period,
        pivoted.municipality_code,
        pivoted.scope_code,
        pivoted.org_code,
        pivoted.line_code,
        {{ derive_budgets('pivoted') }}
    from pivoted

)

select * from derived
