-- Forecast accountability: every forecast made during a year (the controllers' own, and
-- the warehouse's linear and seasonal ones) against the year's outturn, once the year has
-- closed, per unit and report line. The outturn is the actual of the year-end (month 12)
-- follow-up, or else the prior-year actual of the next year's first follow-up. The budget
-- after changes is kept beside it: a forecast is worth making when it comes closer to the
-- outturn than the budget does.
with

facts as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

dated as (

    select
        facts.*,
        periods.fiscal_year,
        periods.reporting_month
    from facts
    inner join periods
        on periods.reporting_period = facts.reporting_period

),

outturn_candidates as (

    select
        municipality_code,
        org_code,
        line_code,
        fiscal_year,
        actual as outturn,
        reporting_period as outturn_period,
        0 as preference
    from dated
    where reporting_month = 12 and actual is not null

    union all

    select
        municipality_code,
        org_code,
        line_code,
        fiscal_year - 1 as fiscal_year,
        prior_year_actual as outturn,
        reporting_period as outturn_period,
        reporting_month as preference
    from dated
    where prior_year_actual is not null

),

outturns as (

    select
        municipality_code,
        org_code,
        line_code,
        fiscal_year,
        outturn,
        outturn_period
    from (
        select
            outturn_candidates.*,
            row_number() over (
                partition by
                    outturn_candidates.municipality_code,
                    outturn_candidates.org_code,
                    outturn_candidates.line_code,
                    outturn_candidates.fiscal_year
                order by outturn_candidates.preference, outturn_candidates.outturn_period
            ) as choice
        from outturn_candidates
    ) as ranked
    where choice = 1

),

forecasts as (

    {% set kinds = {
        'controllers': 'forecast',
        'linear': 'forecast_linear',
        'seasonal': 'forecast_seasonal',
    } %}
    {% for kind, column in kinds.items() %}
    select
        reporting_period,
        fiscal_year,
        reporting_month,
        municipality_code,
        scope_code,
        org_code,
        line_code,
        '{{ kind }}' as forecast_kind,
        {{ column }} as forecast_value,
        budget
    from dated
    where reporting_month < 12 and {{ column }} is not null
    {{ "union all" if not loop.last }}
    {% endfor %}

),

final as (

    select
        forecasts.reporting_period,
        forecasts.fiscal_year,
        forecasts.reporting_month,
        forecasts.municipality_code,
        forecasts.scope_code,
        forecasts.org_code,
        forecasts.line_code,
        forecasts.forecast_kind,
        forecasts.forecast_value,
        forecasts.budget,
        outturns.outturn,
        outturns.outturn_period,
        cast(forecasts.forecast_value - outturns.outturn as {{ amount_type() }}) as forecast_error,
        cast(forecasts.budget - outturns.outturn as {{ amount_type() }}) as budget_error,
        case
            when outturns.outturn = 0 then null
            else cast(
                round(
                    cast(forecasts.forecast_value - outturns.outturn as {{ type_double() }})
                    / abs(cast(outturns.outturn as {{ type_double() }})) * 100,
                    1
                )
                as {{ type_decimal(9, 1) }}
            )
        end as forecast_error_pct,
        abs(forecasts.forecast_value - outturns.outturn) < abs(forecasts.budget - outturns.outturn)
            as is_closer_than_budget
    from forecasts
    inner join outturns
        on outturns.municipality_code = forecasts.municipality_code
        and outturns.org_code = forecasts.org_code
        and outturns.line_code = forecasts.line_code
        and outturns.fiscal_year = forecasts.fiscal_year

)

select * from final
