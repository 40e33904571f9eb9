-- Every figure the warehouse computes for a printed table, one row per measure, with the
-- number of leaf figures behind it and their reported unit (for rounding tolerances).
{% set facts = {
    'budget_vs_actual': ('operating', 'fct_budget_vs_actual', 'int_budget_vs_actual_rolled_up'),
    'investments': ('investment', 'fct_investments', 'int_investments_rolled_up'),
} -%}

with

{% for name, (statement, fact, sums) in facts.items() %}
{{ name }} as (

    select
        {% for measure in ledger_measures() %}
        sums.{{ measure }}_figures,
        sums.{{ measure }}_unit,
        {% endfor %}
        '{{ statement }}' as statement,
        facts.*
    from {{ ref(fact) }} as facts
    inner join {{ ref(sums) }} as sums
        on sums.reporting_period = facts.reporting_period
        and sums.municipality_code = facts.municipality_code
        and sums.org_code = facts.org_code
        and sums.line_code = facts.line_code

),

{% endfor %}
computed as (

    {% for source in ['budget_vs_actual', 'investments'] %}
    {% for measure in ledger_measures() %}
    select
        reporting_period, municipality_code, statement, org_code, line_code, leaf_rows,
        '{{ measure }}' as measure,
        cast({{ measure }} as {{ amount_type() }}) as computed_value,
        {{ measure }}_figures as figures_summed,
        cast({{ measure }}_unit as {{ amount_type() }}) as reported_unit,
        cast(({{ measure }}_figures + 1) * {{ measure }}_unit / 2.0 as {{ amount_type() }})
            as rounding_tolerance
    from {{ source }}
    union all
    {% endfor %}
    -- remaining: within the tolerances of budget and actual together
    select
        reporting_period, municipality_code, statement, org_code, line_code, leaf_rows,
        'remaining' as measure,
        cast(remaining as {{ amount_type() }}) as computed_value,
        budget_figures + actual_figures as figures_summed,
        cast(1 as {{ amount_type() }}) as reported_unit,
        cast(
            (budget_figures + 1) * budget_unit / 2.0 + (actual_figures + 1) * actual_unit / 2.0
            as {{ amount_type() }}
        ) as rounding_tolerance
    from {{ source }}
    union all
    -- realised %: printed to one decimal; a computed subtotal may move it one step
    select
        reporting_period, municipality_code, statement, org_code, line_code, leaf_rows,
        'realised_pct' as measure,
        cast(realised_pct as {{ amount_type() }}) as computed_value,
        actual_figures as figures_summed,
        cast(0.1 as {{ amount_type() }}) as reported_unit,
        cast(0.1 as {{ amount_type() }}) as rounding_tolerance
    from {{ source }}
    {{ "union all" if not loop.last }}
    {% endfor %}

)

select * from computed
