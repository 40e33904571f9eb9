-- One row per reporting period, project and investment leaf line with the base figures:
-- the investment ledger by project, and the figures booked on investment accounts in the
-- account-level ledger (int_ledger_accounts_aggregated, ledger 'investment'), per cost
-- centre and without a project (project_code null).
with

projects as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        reporting_year,
        reporting_month,
        fiscal_year,
        period_month,
        org_code,
        project_code,
        line_code,
        scenario,
        cast(null as {{ dbt.type_string() }}) as item,  -- investments are not split
        amount_eur,
        reported_unit,
        1 as figures  -- each row one figure as delivered
    from {{ ref('stg_investments') }}

),

investment_accounts as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        cast(substring(reporting_period, 1, 4) as {{ dbt.type_int() }}) as reporting_year,
        cast(substring(reporting_period, 6, 2) as {{ dbt.type_int() }}) as reporting_month,
        fiscal_year,
        period_month,
        org_code,
        cast(null as {{ dbt.type_string() }}) as project_code,
        line_code,
        scenario,
        cast(null as {{ dbt.type_string() }}) as item,
        amount_eur,
        reported_unit,
        figures
    from {{ ref('int_ledger_accounts_aggregated') }}
    where ledger = 'investment'

),

investments as (

    select * from projects
    union all
    select * from investment_accounts

),

pivoted as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        org_code,
        project_code,
        line_code,
        {{ pivot_ledger_measures() }}
    from investments
    group by reporting_period, municipality_code, scope_code, org_code, project_code, line_code

),

derived as (

    select
        pivoted.reporting_period,
        pivoted.municipality_code,
        pivoted.scope_code,
        pivoted.org_code,
        pivoted.project_code,
        pivoted.line_code,
        {{ derive_budgets('pivoted') }}
    from pivoted

)

select * from derived
