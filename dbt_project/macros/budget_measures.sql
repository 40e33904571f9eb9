{#-
    Derived measures of a budget follow-up row, from its base figures and the
    reporting month. Sign convention as in the report (income +, expenses -), so a
    positive variance is favourable for income and expense lines alike.
-#}
{% macro budget_measures(reporting_month='reporting_month') %}
        cast(budget - actual as {{ amount_type() }}) as remaining,
        -- The report prints 0 when the budget is 0. Its spreadsheet divides in binary
        -- floating point before rounding to one decimal (2 030 / 4 000 -> 50,7 %);
        -- dividing as double reproduces every printed percentage.
        case
            when coalesce(budget, 0) = 0 then cast(0 as {{ type_decimal(9, 1) }})
            else cast(
                round(cast(actual as {{ type_double() }}) / cast(budget as {{ type_double() }}) * 100, 1)
                as {{ type_decimal(9, 1) }}
            )
        end as realised_pct,
        cast({{ reporting_month }} / 12.0 as {{ type_decimal(5, 4) }}) as share_of_year_elapsed,
        cast(budget * {{ reporting_month }} / 12.0 as {{ amount_type() }}) as time_proportional_budget,
        cast(actual - budget * {{ reporting_month }} / 12.0 as {{ amount_type() }})
            as variance_to_time_proportional_budget,
        cast(actual * 12.0 / {{ reporting_month }} as {{ amount_type() }}) as forecast_linear,
        case
            when coalesce(prior_year_same_period_actual, 0) = 0 then null
            else cast(cast(actual as {{ type_decimal(38, 2) }}) * prior_year_actual / prior_year_same_period_actual as {{ amount_type() }})
        end as forecast_seasonal,
        cast(actual * 12.0 / {{ reporting_month }} - budget as {{ amount_type() }})
            as forecast_linear_variance,
        case
            when coalesce(prior_year_same_period_actual, 0) = 0 then null
            else cast(
                cast(actual as {{ type_decimal(38, 2) }}) * prior_year_actual / prior_year_same_period_actual - budget
                as {{ amount_type() }}
            )
        end as forecast_seasonal_variance
{% endmacro %}
