-- Every figure the warehouse computes for a printed table, one row per measure and item
-- ('all' = the line's total, 'external' / 'internal' = its external or internal items),
-- with the number of booked figures behind it and their reported unit (for rounding
-- tolerances). Percentages come unrounded (computed_ratio): the reconciliation rounds
-- them to the precision each is printed at.
{% set facts = {
    'budget_vs_actual': ('operating', 'fct_budget_vs_actual', 'int_budget_vs_actual_rolled_up'),
    'investments': ('investment', 'fct_investments', 'int_investments_rolled_up'),
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
{% set items = {
    'all': '{m}',
    'external': '{m}_external',
    'internal': '({m} - {m}_external)',
} -%}
{% set amounts = ledger_measures().keys() | list + differences.keys() | list -%}
{% set keys = ['reporting_period', 'municipality_code', 'statement', 'org_code', 'line_code'] -%}
{% set parts = {
    'value': '',
    'external': '_external',
    'figures': '_figures',
    'reported_unit': '_reported_unit',
    'tolerance': '_tolerance',
    'split': '_split',
} -%}

with

{% for name, (statement, fact, sums) in facts.items() %}
{{ name }} as (

    select
        {% for measure in ledger_measures() %}
        facts.{{ measure }},
        facts.{{ measure }}_external,
        sums.{{ measure }}_figures,
        sums.{{ measure }}_unit,
        {% endfor %}
        facts.reporting_period,
        facts.municipality_code,
        '{{ statement }}' as statement,
        facts.org_code,
        facts.line_code,
        facts.leaf_rows
    from {{ ref(fact) }} as facts
    inner join {{ ref(sums) }} as sums
        on sums.reporting_period = facts.reporting_period
        and sums.municipality_code = facts.municipality_code
        and sums.org_code = facts.org_code
        and sums.line_code = facts.line_code

),

{% endfor %}
both_statements as (

    {% for name in facts %}
    select * from {{ name }}{{ " union all" if not loop.last }}
    {% endfor %}

),

-- One row per line of either statement: each amount measure (a booked one or a
-- difference of two) with its external items, the figures behind it, the unit they are
-- reported in and its rounding tolerance, and each percentage for each item.
lines as (

    select
        {% for key in keys %}
        {{ key }},
        {% endfor %}
        {% for measure in ledger_measures() %}
        {{ measure }},
        {{ measure }}_external,
        {{ measure }}_figures,
        cast({{ measure }}_unit as {{ amount_type() }}) as {{ measure }}_reported_unit,
        cast(({{ measure }}_figures + 1) * {{ measure }}_unit / 2.0 as {{ amount_type() }})
            as {{ measure }}_tolerance,
        {{ measure }}_external is not null as {{ measure }}_split,
        {% endfor %}
        {% for measure, (minuend, subtrahend) in differences.items() %}
        -- {{ measure }}: within the tolerances of both figures together
        {{ minuend }} - {{ subtrahend }} as {{ measure }},
        {{ minuend }}_external - {{ subtrahend }}_external as {{ measure }}_external,
        {{ minuend }}_figures + {{ subtrahend }}_figures as {{ measure }}_figures,
        cast(1 as {{ amount_type() }}) as {{ measure }}_reported_unit,
        cast(
            ({{ minuend }}_figures + 1) * {{ minuend }}_unit / 2.0
            + ({{ subtrahend }}_figures + 1) * {{ subtrahend }}_unit / 2.0
            as {{ amount_type() }}
        ) as {{ measure }}_tolerance,
        (
            {{ minuend }}_external is not null or {{ subtrahend }}_external is not null
        ) as {{ measure }}_split,
        {% endfor %}
        {% for measure, (numerator, denominator) in ratios.items() %}
        -- {{ measure }}: divided in binary floating point, as the report's spreadsheet does
        {{ numerator }}_figures as {{ measure }}_figures,
        {% for item, pattern in items.items() %}
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
        end as {{ measure }}_{{ item }},
        {% endfor %}
        {% endfor %}
        leaf_rows
    from both_statements

),

amount_names as (

    {% for measure in amounts %}
    select '{{ measure }}' as measure{{ " union all" if not loop.last }}
    {% endfor %}

),

ratio_names as (

    {% for measure in ratios %}
    select '{{ measure }}' as measure{{ " union all" if not loop.last }}
    {% endfor %}

),

item_names as (

    {% for item in items %}
    select '{{ item }}' as item{{ " union all" if not loop.last }}
    {% endfor %}

),

-- The amount measures one per row
amount_rows as (

    select
        {% for key in keys %}
        lines.{{ key }},
        {% endfor %}
        lines.leaf_rows,
        {% for part, suffix in parts.items() %}
        case amount_names.measure
            {% for measure in amounts %}
            when '{{ measure }}' then lines.{{ measure }}{{ suffix }}
            {% endfor %}
        end as {{ part }},
        {% endfor %}
        amount_names.measure
    from lines
    cross join amount_names

),

computed as (

    select
        {% for key in keys %}
        amount_rows.{{ key }},
        {% endfor %}
        amount_rows.leaf_rows,
        item_names.item,
        amount_rows.measure,
        cast(case item_names.item
            when 'all' then amount_rows.value
            when 'external' then amount_rows.external
            else amount_rows.value - amount_rows.external
        end as {{ amount_type() }}) as computed_value,
        cast(null as {{ type_double() }}) as computed_ratio,
        case
            when item_names.item = 'all' and amount_rows.split then 2 else 1
        end as items_summed,
        amount_rows.figures as figures_summed,
        amount_rows.reported_unit,
        amount_rows.tolerance as rounding_tolerance
    from amount_rows
    cross join item_names

    union all

    select
        {% for key in keys %}
        lines.{{ key }},
        {% endfor %}
        lines.leaf_rows,
        item_names.item,
        ratio_names.measure,
        cast(null as {{ amount_type() }}) as computed_value,
        case
            {% for measure in ratios %}
            {% for item in items %}
            when ratio_names.measure = '{{ measure }}' and item_names.item = '{{ item }}'
                then lines.{{ measure }}_{{ item }}
            {% endfor %}
            {% endfor %}
        end as computed_ratio,
        1 as items_summed,
        case ratio_names.measure
            {% for measure in ratios %}
            when '{{ measure }}' then lines.{{ measure }}_figures
            {% endfor %}
        end as figures_summed,
        cast(null as {{ amount_type() }}) as reported_unit,
        cast(0 as {{ amount_type() }}) as rounding_tolerance
    from lines
    cross join ratio_names
    cross join item_names

)

select * from computed
