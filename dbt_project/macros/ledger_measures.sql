{#-
    The base figures of a budget follow-up row, as year-to-date ledger rows of a
    reporting period (reporting_year, reporting_month):
      prior_year_actual              the prior year's whole-year actual (TP)
      prior_year_same_period_actual  the prior year's actual to the same month
      prior_year_budget              the prior year's budget after changes (period 12)
      original_budget                this year's budget as approved (period 12)
      budget_changes                 this year's approved budget changes (period 12)
      budget                         this year's budget after changes (period 12)
      actual                         this year's actual to the reporting month
      forecast                       the controllers' year-end forecast made at the
                                     reporting month (forecasts.csv)
-#}
{% macro ledger_measures() %}
    {% do return({
        "prior_year_actual":
            "scenario = 'actual' and fiscal_year = reporting_year - 1 and period_month = 12",
        "prior_year_same_period_actual":
            "scenario = 'actual' and fiscal_year = reporting_year - 1 and period_month = reporting_month",
        "prior_year_budget":
            "scenario = 'budget' and fiscal_year = reporting_year - 1 and period_month = 12",
        "original_budget":
            "scenario = 'original_budget' and fiscal_year = reporting_year and period_month = 12",
        "budget_changes":
            "scenario = 'budget_changes' and fiscal_year = reporting_year and period_month = 12",
        "budget":
            "scenario = 'budget' and fiscal_year = reporting_year and period_month = 12",
        "actual":
            "scenario = 'actual' and fiscal_year = reporting_year and period_month = reporting_month",
        "forecast":
            "scenario = 'forecast' and fiscal_year = reporting_year and period_month = reporting_month",
    }) %}
{% endmacro %}


{#- What is kept of each measure while it is added up: its sum, the unit and count of the
    figures behind it (for rounding tolerances), the sum of its external items and the count
    of its figures not split into external and internal items. -#}
{% macro measure_parts() %}
    {% do return(['', '_unit', '_figures', '_external', '_unsplit']) %}
{% endmacro %}


{#- Pivot ledger rows into the measures (a row added up from accounts counts every account
    figure behind it). -#}
{% macro pivot_ledger_measures() %}
    {%- for measure, condition in ledger_measures().items() %}
        cast(sum(case when {{ condition }} then amount_eur end) as {{ amount_type() }}) as {{ measure }},
        max(case when {{ condition }} then reported_unit end) as {{ measure }}_unit,
        cast(coalesce(sum(case when {{ condition }} then figures end), 0) as {{ dbt.type_int() }})
            as {{ measure }}_figures,
        cast(sum(case when {{ condition }} and item = 'external' then amount_eur end) as {{ amount_type() }})
            as {{ measure }}_external,
        cast(coalesce(sum(case when {{ condition }} and item is null then figures end), 0) as {{ dbt.type_int() }})
            as {{ measure }}_unsplit
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}


{#- The budget after changes is the original budget plus its changes: whichever of the
    three a delivery leaves out is derived from the other two (the budget from the
    original budget alone when no changes are given). -#}
{% macro derive_budgets(relation_alias) %}
    {%- set r = relation_alias %}
    {%- for measure in ledger_measures() if measure not in ('budget', 'original_budget', 'budget_changes') %}
        {%- for part in measure_parts() %}
        {{ r }}.{{ measure }}{{ part }},
        {%- endfor %}
    {%- endfor %}
    {%- for suffix in ['', '_external'] %}
        cast(coalesce(
            {{ r }}.budget{{ suffix }},
            {{ r }}.original_budget{{ suffix }} + coalesce({{ r }}.budget_changes{{ suffix }}, 0)
        ) as {{ amount_type() }}) as budget{{ suffix }},
        cast(coalesce(
            {{ r }}.original_budget{{ suffix }}, {{ r }}.budget{{ suffix }} - {{ r }}.budget_changes{{ suffix }}
        ) as {{ amount_type() }}) as original_budget{{ suffix }},
        cast(coalesce(
            {{ r }}.budget_changes{{ suffix }}, {{ r }}.budget{{ suffix }} - {{ r }}.original_budget{{ suffix }}
        ) as {{ amount_type() }}) as budget_changes{{ suffix }},
    {%- endfor %}
    {%- for part in ['_figures', '_unsplit'] %}
        case
            when {{ r }}.budget_figures > 0 then {{ r }}.budget{{ part }}
            else {{ r }}.original_budget{{ part }} + {{ r }}.budget_changes{{ part }}
        end as budget{{ part }},
        case
            when {{ r }}.original_budget_figures > 0 then {{ r }}.original_budget{{ part }}
            when {{ r }}.budget_changes_figures > 0 then {{ r }}.budget{{ part }} + {{ r }}.budget_changes{{ part }}
            else 0
        end as original_budget{{ part }},
        case
            when {{ r }}.budget_changes_figures > 0 then {{ r }}.budget_changes{{ part }}
            when {{ r }}.original_budget_figures > 0 then {{ r }}.budget{{ part }} + {{ r }}.original_budget{{ part }}
            else 0
        end as budget_changes{{ part }},
    {%- endfor %}
        coalesce({{ r }}.budget_unit, {{ r }}.original_budget_unit) as budget_unit,
        coalesce({{ r }}.original_budget_unit, {{ r }}.budget_unit) as original_budget_unit,
        coalesce({{ r }}.budget_changes_unit, {{ r }}.budget_unit) as budget_changes_unit
{% endmacro %}


{#- Add pivoted measures up a hierarchy, keeping units and figure counts for tolerances. -#}
{% macro sum_ledger_measures(relation_alias) %}
    {%- for measure in ledger_measures() %}
        cast(sum({{ relation_alias }}.{{ measure }}) as {{ amount_type() }}) as {{ measure }},
        max({{ relation_alias }}.{{ measure }}_unit) as {{ measure }}_unit,
        cast(sum({{ relation_alias }}.{{ measure }}_figures) as {{ dbt.type_int() }}) as {{ measure }}_figures,
        cast(sum({{ relation_alias }}.{{ measure }}_external) as {{ amount_type() }}) as {{ measure }}_external,
        cast(sum({{ relation_alias }}.{{ measure }}_unsplit) as {{ dbt.type_int() }}) as {{ measure }}_unsplit
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}


{#- The measures of a fact row, total and without internal items: `<measure>_external` is
    null where some figure behind it is not split into external and internal items. -#}
{% macro fact_ledger_measures(relation_alias) %}
    {%- for measure in ledger_measures() %}
        {{ relation_alias }}.{{ measure }},
    {%- endfor %}
    {%- for measure in ledger_measures() %}
        case
            when {{ relation_alias }}.{{ measure }} is not null and {{ relation_alias }}.{{ measure }}_unsplit = 0
                then cast(coalesce({{ relation_alias }}.{{ measure }}_external, 0) as {{ amount_type() }})
        end as {{ measure }}_external
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}


{#- A line's total adds up its external and internal items where they are split: two
    rounded figures, so a booked line's total is no longer printed exactly as booked. -#}
{% macro items_summed(item, measures) -%}
    {%- if item == 'all' -%}
    case when {% for m in measures %}{{ m }}_external is not null{{ " or " if not loop.last }}{% endfor %} then 2 else 1 end
    {%- else -%}
    1
    {%- endif -%}
{%- endmacro %}
