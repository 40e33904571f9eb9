-- Every figure the warehouse computes for a printed table, one row per measure and item
-- ('all' = the line's total, 'external' / 'internal' = its external or internal items),
-- with the number of booked figures behind it and their reported unit (for rounding
-- tolerances). Percentages come unrounded (computed_ratio): the reconciliation rounds
-- them to the precision each is printed at.
{% set facts = {
    'budget_vs_actual': ('operating', 'fct_budget_vs_actual', 'int_budget_vs_actual_rolled_up'),
    'investments': ('investment', 'fct_investments', 'int_investments_rolled_up'),
} -%}
{% set items = {
    'all': '{m}',
    'external': '{m}_external',
    'internal': '({m} - {m}_external)',
} -%}
{% set differences = {
    'remaining': ('budget', 'actual'),
    'variance': ('actual', 'budget'),
    'forecast_variance': ('forecast', 'budget'),
} -%}
{% set ratios = {
    'realised_pct': ('actual', 'budget'),
    'prior_year_realised_pct': ('prior_year_same_period_actual', 'prior_year_budget'),
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

    {% for source in facts %}
    {% set source_loop = loop %}
    {% for item, pattern in items.items() %}
    {% set item_loop = loop %}
    {% for measure in ledger_measures() %}
    select
        reporting_period,
        municipality_code,
        statement,
        org_code,
        line_code,
        leaf_rows,
        '{{ item }}' as item,
        '{{ measure }}' as measure,
        cast({{ pattern.format(m=measure) }} as {{ amount_type() }}) as computed_value,
        cast(null as {{ type_double() }}) as computed_ratio,
        {{ items_summed(item, [measure]) }} as items_summed,
        {{ measure }}_figures as figures_summed,
        cast({{ measure }}_unit as {{ amount_type() }}) as reported_unit,
        cast(({{ measure }}_figures + 1) * {{ measure }}_unit / 2.0 as {{ amount_type() }})
            as rounding_tolerance
    from {{ source }}
    union all
    {% endfor %}
    {% for measure, (minuend, subtrahend) in differences.items() %}
    -- {{ measure }}: within the tolerances of both figures together
    select
        reporting_period,
        municipality_code,
        statement,
        org_code,
        line_code,
        leaf_rows,
        '{{ item }}' as item,
        '{{ measure }}' as measure,
        cast(
            {{ pattern.format(m=minuend) }}
            - {{ pattern.format(m=subtrahend) }} as {{ amount_type() }}
        )
            as computed_value,
        cast(null as {{ type_double() }}) as computed_ratio,
        {{ items_summed(item, [minuend, subtrahend]) }} as items_summed,
        {{ minuend }}_figures + {{ subtrahend }}_figures as figures_summed,
        cast(1 as {{ amount_type() }}) as reported_unit,
        cast(
            ({{ minuend }}_figures + 1) * {{ minuend }}_unit / 2.0
            + ({{ subtrahend }}_figures + 1) * {{ subtrahend }}_unit / 2.0
            as {{ amount_type() }}
        ) as rounding_tolerance
    from {{ source }}
    union all
    {% endfor %}
    {% for measure, (numerator, denominator) in ratios.items() %}
    -- {{ measure }}: divided in binary floating point, as the report's spreadsheet does
    select
        reporting_period,
        municipality_code,
        statement,
        org_code,
        line_code,
        leaf_rows,
        '{{ item }}' as item,
        '{{ measure }}' as measure,
        cast(null as {{ amount_type() }}) as computed_value,
        case
            {%- if measure == 'realised_pct' %}
            -- the report prints 0 for a line without a budget
            when
                coalesce({{ pattern.format(m=denominator) }}, 0) = 0
                then cast(0 as {{ type_double() }})
            {%- else %}
            when {{ pattern.format(m=denominator) }} = 0 then cast(0 as {{ type_double() }})
            {%- endif %}
            else
                cast({{ pattern.format(m=numerator) }} as {{ type_double() }})
                / cast({{ pattern.format(m=denominator) }} as {{ type_double() }}) * 100
        end as computed_ratio,
        1 as items_summed,
        {{ numerator }}_figures as figures_summed,
        cast(null as {{ amount_type() }}) as reported_unit,
        cast(0 as {{ amount_type() }}) as rounding_tolerance
    from {{ source }}
    {{ "union all" if not (source_loop.last and item_loop.last and loop.last) }}
    {% endfor %}
    {% endfor %}
    {% endfor %}

)

select * from computed
