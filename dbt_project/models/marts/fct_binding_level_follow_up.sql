-- The binding levels of the budget (reference data binding_levels, per municipality): which
-- line the council (or the operating plan) binds at which organisation level, of all items
-- or of the external items only. By default the council binds each department's net
-- (toimintakate), the operating plan each service area's. The over-budget flags follow the
-- bound figure.
with

budget_vs_actual as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

-- The organisation as delivered with each period: a unit's level may change over years.
org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

binding_levels as (

    select * from {{ ref('binding_levels') }}

),

-- A municipality with rows of its own follows them; every other one the default rows.
municipalities_with_own_levels as (

    select distinct municipality_code
    from binding_levels
    where municipality_code is not null

),

bound_units as (

    select
        org_units.reporting_period,
        org_units.municipality_code,
        org_units.org_code,
        binding_levels.binding_level,
        binding_levels.line_code as bound_line_code,
        binding_levels.items as bound_items
    from org_units
    left join municipalities_with_own_levels as own
        on own.municipality_code = org_units.municipality_code
    inner join binding_levels
        on binding_levels.org_level = org_units.org_level
        and (
            binding_levels.municipality_code = org_units.municipality_code
            or (binding_levels.municipality_code is null and own.municipality_code is null)
        )

),

-- The bound figures: the line's total, or its external items.
bound as (

    select
        budget_vs_actual.reporting_period,
        budget_vs_actual.municipality_code,
        budget_vs_actual.scope_code,
        budget_vs_actual.org_code,
        bound_units.binding_level,
        bound_units.bound_line_code,
        bound_units.bound_items,
        budget_vs_actual.share_of_year_elapsed,
        periods.reporting_month,
        case bound_units.bound_items
            when 'external' then budget_vs_actual.budget_external
            else budget_vs_actual.budget
        end as budget,
        case bound_units.bound_items
            when 'external' then budget_vs_actual.actual_external
            else budget_vs_actual.actual
        end as actual,
        case bound_units.bound_items
            when 'external' then budget_vs_actual.forecast_external
            else budget_vs_actual.forecast
        end as forecast,
        case bound_units.bound_items
            when 'external' then budget_vs_actual.prior_year_actual_external
            else budget_vs_actual.prior_year_actual
        end as prior_year_actual,
        case bound_units.bound_items
            when 'external' then budget_vs_actual.prior_year_same_period_actual_external
            else budget_vs_actual.prior_year_same_period_actual
        end as prior_year_same_period_actual
    from budget_vs_actual
    inner join periods
        on periods.reporting_period = budget_vs_actual.reporting_period
    inner join bound_units
        on bound_units.reporting_period = budget_vs_actual.reporting_period
        and bound_units.municipality_code = budget_vs_actual.municipality_code
        and bound_units.org_code = budget_vs_actual.org_code
        and bound_units.bound_line_code = budget_vs_actual.line_code

),

nets as (

    select
        bound.*,
        cast(bound.budget - bound.actual as {{ amount_type() }}) as remaining_net,
        {{ realised_pct('bound.actual', 'bound.budget') }} as realised_pct,
        cast(bound.actual - bound.budget * bound.reporting_month / 12.0 as {{ amount_type() }})
            as variance_to_time_proportional_budget,
        cast(bound.actual * 12.0 / bound.reporting_month as {{ amount_type() }})
            as forecast_linear_net,
        case
            when coalesce(bound.prior_year_same_period_actual, 0) = 0 then null
            else cast(
                cast(bound.actual as {{ type_decimal(38, 2) }}) * bound.prior_year_actual
                / bound.prior_year_same_period_actual
                as {{ amount_type() }}
            )
        end as forecast_seasonal_net
    from bound

),

income_and_expenses as (

    select
        budget_vs_actual.reporting_period,
        budget_vs_actual.municipality_code,
        budget_vs_actual.org_code,
        cast(
            sum(
                case
                    when
                        budget_vs_actual.line_code = 'toimintatuotot'
                        and bound_units.bound_items = 'external'
                        then budget_vs_actual.budget_external
                    when budget_vs_actual.line_code = 'toimintatuotot' then budget_vs_actual.budget
                end
            ) as {{ type_decimal(38, 2) }}
        ) as budget_income,
        cast(
            sum(
                case
                    when
                        budget_vs_actual.line_code = 'toimintatuotot'
                        and bound_units.bound_items = 'external'
                        then budget_vs_actual.actual_external
                    when budget_vs_actual.line_code = 'toimintatuotot' then budget_vs_actual.actual
                end
            ) as {{ type_decimal(38, 2) }}
        ) as actual_income,
        cast(
            sum(
                case
                    when
                        budget_vs_actual.line_code = 'toimintakulut'
                        and bound_units.bound_items = 'external'
                        then budget_vs_actual.budget_external
                    when budget_vs_actual.line_code = 'toimintakulut' then budget_vs_actual.budget
                end
            ) as {{ type_decimal(38, 2) }}
        ) as budget_expenses,
        cast(
            sum(
                case
                    when
                        budget_vs_actual.line_code = 'toimintakulut'
                        and bound_units.bound_items = 'external'
                        then budget_vs_actual.actual_external
                    when budget_vs_actual.line_code = 'toimintakulut' then budget_vs_actual.actual
                end
            ) as {{ type_decimal(38, 2) }}
        ) as actual_expenses
    from budget_vs_actual
    inner join bound_units
        on bound_units.reporting_period = budget_vs_actual.reporting_period
        and bound_units.municipality_code = budget_vs_actual.municipality_code
        and bound_units.org_code = budget_vs_actual.org_code
    where budget_vs_actual.line_code in ('toimintatuotot', 'toimintakulut')
    group by
        budget_vs_actual.reporting_period,
        budget_vs_actual.municipality_code,
        budget_vs_actual.org_code

),

final as (

    select
        nets.reporting_period,
        nets.municipality_code,
        nets.scope_code,
        nets.org_code,
        nets.binding_level,
        nets.bound_line_code,
        nets.bound_items,
        coalesce(income_and_expenses.budget_income, 0) as budget_income,
        coalesce(income_and_expenses.actual_income, 0) as actual_income,
        coalesce(income_and_expenses.budget_expenses, 0) as budget_expenses,
        coalesce(income_and_expenses.actual_expenses, 0) as actual_expenses,
        nets.budget as budget_net,
        nets.actual as actual_net,
        nets.remaining_net,
        nets.realised_pct,
        nets.share_of_year_elapsed,
        nets.variance_to_time_proportional_budget,
        nets.forecast_linear_net,
        nets.forecast_seasonal_net,
        nets.forecast as forecast_net,
        cast(nets.forecast_linear_net - nets.budget as {{ amount_type() }})
            as forecast_linear_variance,
        cast(nets.forecast_seasonal_net - nets.budget as {{ amount_type() }})
            as forecast_seasonal_variance,
        cast(nets.forecast - nets.budget as {{ amount_type() }}) as forecast_variance,
        -- Figures are signed (income +, expenses -): a forecast below the budget overspends
        -- it (or falls short of the income budgeted).
        nets.forecast_linear_net < nets.budget as is_linear_forecast_over_budget,
        -- Null where there is no seasonal forecast (no prior-year same-period actual).
        nets.forecast_seasonal_net < nets.budget as is_seasonal_forecast_over_budget,
        -- Null where the controllers gave no forecast.
        nets.forecast < nets.budget as is_forecast_over_budget
    from nets
    left join income_and_expenses
        on income_and_expenses.reporting_period = nets.reporting_period
        and income_and_expenses.municipality_code = nets.municipality_code
        and income_and_expenses.org_code = nets.org_code

)

select * from final
