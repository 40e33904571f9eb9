{#-
    The four figures of a budget follow-up row, as year-to-date ledger rows of a
    reporting period (reporting_year, reporting_month):
      prior_year_actual              the prior year's whole-year actual (TP)
      prior_year_same_period_actual  the prior year's actual to the same month
      budget                         this year's budget incl. changes (period 12)
      actual                         this year's actual to the reporting month
-#}
{% macro ledger_measures() %}
    {% do return({
        "prior_year_actual":
            "scenario = 'actual' and fiscal_year = reporting_year - 1 and period_month = 12",
        "prior_year_same_period_actual":
            "scenario = 'actual' and fiscal_year = reporting_year - 1 and period_month = reporting_month",
        "budget":
            "scenario = 'budget' and fiscal_year = reporting_year and period_month = 12",
        "actual":
            "scenario = 'actual' and fiscal_year = reporting_year and period_month = reporting_month",
    }) %}
{% endmacro %}


{#- Pivot ledger rows into the four measures, with the unit and count of their figures
    (a row added up from accounts counts every account figure behind it). -#}
{% macro pivot_ledger_measures() %}
    {%- for measure, condition in ledger_measures().items() %}
        cast(sum(case when {{ condition }} then amount_eur end) as {{ amount_type() }}) as {{ measure }},
        max(case when {{ condition }} then reported_unit end) as {{ measure }}_unit,
        cast(coalesce(sum(case when {{ condition }} then figures end), 0) as {{ dbt.type_int() }})
            as {{ measure }}_figures
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}


{#- Add pivoted measures up a hierarchy, keeping units and figure counts for tolerances. -#}
{% macro sum_ledger_measures(relation_alias) %}
    {%- for measure in ledger_measures() %}
        cast(sum({{ relation_alias }}.{{ measure }}) as {{ amount_type() }}) as {{ measure }},
        max({{ relation_alias }}.{{ measure }}_unit) as {{ measure }}_unit,
        cast(sum({{ relation_alias }}.{{ measure }}_figures) as {{ dbt.type_int() }}) as {{ measure }}_figures
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}
