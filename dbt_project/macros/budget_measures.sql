{#- A realised percentage to one decimal, as the seed report prints it (a report printing
    whole numbers is reconciled at its own precision: fct_control_total_reconciliation). -#}
{% macro realised_pct(actual, budget, without_budget='0') %}
        case
            when {{ budget }} is null then cast({{ without_budget }} as {{ type_decimal(9, 1) }})
            when {{ budget }} = 0 then cast(0 as {{ type_decimal(9, 1) }})
            else cast(
                round(cast({{ actual }} as {{ type_double() }}) / cast({{ budget }} as {{ type_double() }}) * 100, 1)
                as {{ type_decimal(9, 1) }}
            )
        end
{%- endmacro %}


{#-
    Derived measures of a budget follow-up row, from its base figures and the
    reporting month. Sign convention as in the report (income +, expenses -), so a
    positive variance (actual - budget) is favourable for income and expense lines alike;
    remaining is budget - actual, forecast_variance the controllers' forecast - budget.
-#}
{% macro budget_measures(reporting_month='reporting_month') %}
        cast(budget - actual as {{ amount_type() }}) as remaining,
        cast(actual - budget as {{ amount_type() }}) as variance,
        cast(forecast - budget as {{ amount_type() }}) as forecast_variance,
        {{ realised_pct('prior_year_same_period_actual', 'prior_year_budget', 'null') }} as prior_year_realised_pct,
        -- The report prints 0 when the budget is 0. Its spreadsheet divides in binary
        -- floating point before rounding to one decimal (2 030 / 4 000 -> 50,7 %);
        -- dividing as double reproduces every printed percentage.
        {{ realised_pct('actual', 'budget') }} as realised_pct,
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
