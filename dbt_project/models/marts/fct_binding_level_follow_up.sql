-- The binding levels of the budget: the council binds the department's net (income -
-- expenses), the operating plan binds each service area's net.
with

budget_vs_actual as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

-- The organisation as delivered with each period: a unit's level may change over years.
org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

nets as (

    select
        budget_vs_actual.reporting_period,
        budget_vs_actual.municipality_code,
        budget_vs_actual.scope_code,
        budget_vs_actual.org_code,
        case org_units.org_level
            when 'department' then 'council'
            when 'service_area' then 'operating_plan'
        end as binding_level,
        budget_vs_actual.budget as budget_net,
        budget_vs_actual.actual as actual_net,
        budget_vs_actual.remaining as remaining_net,
        budget_vs_actual.realised_pct,
        budget_vs_actual.share_of_year_elapsed,
        budget_vs_actual.variance_to_time_proportional_budget,
        budget_vs_actual.forecast_linear as forecast_linear_net,
        budget_vs_actual.forecast_seasonal as forecast_seasonal_net,
        budget_vs_actual.forecast_linear_variance,
        budget_vs_actual.forecast_seasonal_variance
    from budget_vs_actual
    inner join org_units
        on org_units.reporting_period = budget_vs_actual.reporting_period
        and org_units.municipality_code = budget_vs_actual.municipality_code
        and org_units.org_code = budget_vs_actual.org_code
    where
        budget_vs_actual.line_code = 'toimintakate'
        and org_units.org_level in ('department', 'service_area')

),

income_and_expenses as (

    select
        reporting_period,
        municipality_code,
        org_code,
        sum(case when line_code = 'toimintatuotot' then budget end) as budget_income,
        sum(case when line_code = 'toimintatuotot' then actual end) as actual_income,
        sum(case when line_code = 'toimintakulut' then budget end) as budget_expenses,
        sum(case when line_code = 'toimintakulut' then actual end) as actual_expenses
    from budget_vs_actual
    where line_code in ('toimintatuotot', 'toimintakulut')
    group by reporting_period, municipality_code, org_code

),

final as (

    select
        nets.reporting_period,
        nets.municipality_code,
        nets.scope_code,
        nets.org_code,
        nets.binding_level,
        coalesce(income_and_expenses.budget_income, 0) as budget_income,
        coalesce(income_and_expenses.actual_income, 0) as actual_income,
        coalesce(income_and_expenses.budget_expenses, 0) as budget_expenses,
        coalesce(income_and_expenses.actual_expenses, 0) as actual_expenses,
        nets.budget_net,
        nets.actual_net,
        nets.remaining_net,
        nets.realised_pct,
        nets.share_of_year_elapsed,
        nets.variance_to_time_proportional_budget,
        nets.forecast_linear_net,
        nets.forecast_seasonal_net,
        nets.forecast_linear_variance,
        nets.forecast_seasonal_variance,
        -- Nets are negative: a forecast below the budget net overspends it.
        nets.forecast_linear_net < nets.budget_net as is_linear_forecast_over_budget,
        -- Null where there is no seasonal forecast (no prior-year same-period actual).
        nets.forecast_seasonal_net < nets.budget_net as is_seasonal_forecast_over_budget
    from nets
    left join income_and_expenses
        on income_and_expenses.reporting_period = nets.reporting_period
        and income_and_expenses.municipality_code = nets.municipality_code
        and income_and_expenses.org_code = nets.org_code

)

select * from final
