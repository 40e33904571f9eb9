-- One row per reporting period, booking unit and leaf line with the four base figures.
with

ledger as (

    select * from {{ ref('stg_ledger') }}

),

pivoted as (

    select
        reporting_period,
        org_code,
        line_code,
        {{ pivot_ledger_measures() }}
    from ledger
    group by reporting_period, org_code, line_code

)

select * from pivoted
