-- The controllers' year-end forecasts as delivered, with the reason given for each: one
-- row per reporting period, unit, report line and item. The totals of units and lines
-- above them are in fct_budget_vs_actual.forecast.
with

forecasts as (

    select * from {{ ref('stg_forecasts') }}

),

final as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        org_code,
        line_code,
        coalesce(item, 'all') as item,
        fiscal_year,
        amount_eur as forecast,
        forecast_reason,
        source_file,
        source_line
    from forecasts

)

select * from final
