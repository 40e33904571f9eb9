-- One row per reporting period, project and investment leaf line with the four base figures.
with

investments as (

    select
        *,
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

)

select * from pivoted
