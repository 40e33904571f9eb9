-- One row per reporting period, project and investment leaf line with the base figures.
with

investments as (

    select
        *,
        cast(null as {{ dbt.type_string() }}) as item,  -- investments are not split
        1 as figures  -- each row one figure as delivered
    from {{ ref('stg_investments') }}

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
