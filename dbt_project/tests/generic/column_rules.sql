{#-
    A model's rules in one query, instead of one query (and one result) per rule:
    - `unique_key`: no two rows share the combination of these columns (null compared as
      a value of its own, as the loader's key check treats an empty cell);
    - `not_null`: these columns have a value in every row;
    - `accepted_values` (column -> its values): the column holds only these values;
    - `related` (column -> {to: model, field: column}): every value is a `field` of `to`;
    - `in_period_tree` (column -> model): every code is a unit of its own period's tree of
      its municipality in the model (reporting_period, municipality_code, org_code). Codes
      are unique within a municipality and each period keeps the tree it was reported in,
      so a unit renamed later still belongs to the tree of its own period.
    Null passes every rule but not_null (as in dbt's own tests). The test returns one row
    per broken rule with the number of rows (for the key: of keys) breaking it, so it
    passes when it returns none and a failure names the rule.

    `evaluate_once`: the model is a view that is costly to compute (a pivot over the
    whole history): its rows are computed once for all the rules, not once per rule.
    (A table is cheaper read again than copied.)
-#}
{% test column_rules(
    model,
    unique_key=[],
    not_null=[],
    accepted_values={},
    related={},
    in_period_tree={},
    evaluate_once=false
) %}

{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append(column ~ ' is null') -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append(value if value is number else "'" ~ value ~ "'") -%}
    {%- endfor -%}
    {%- do rules.append(column ~ ' not in (' ~ listed | join(', ') ~ ')') -%}
{%- endfor %}

with
{%- if evaluate_once %}
{#- The columns the rules read: all the once-computed view keeps (its memory). -#}
{%- set read = [] -%}
{%- for column in not_null + unique_key + (accepted_values | list) + (related | list)
    + (in_period_tree | list)
    + (['reporting_period', 'municipality_code'] if in_period_tree else []) -%}
    {%- if column not in read -%}{%- do read.append(column) -%}{%- endif -%}
{%- endfor %}

model_rows as {{ materialized_cte() }} (

    select
        {%- for column in read %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}

),
{%- set model = 'model_rows' %}
{%- endif %}

counts as (

    select
        {%- for rule in rules %}
        sum(case when {{ rule }} then 1 else 0 end) as broken_{{ loop.index }},
        {%- endfor %}
        count(*) as row_count
    from {{ model }}

),
{%- if unique_key %}

repeated_keys as (

    select count(*) as keys
    from (
        select
            {%- for column in unique_key %}
            coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>') as key_{{ loop.index }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
    ) as keyed
    group by
        {%- for column in unique_key %}
        key_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    having count(*) > 1

),
{%- endif %}
{%- for column, target in related.items() %}

unrelated_{{ loop.index }} as (

    select count(*) as broken
    from {{ model }} as child
    where
        child.{{ column }} is not null
        and not exists (
            select 1
            from {{ ref(target['to']) }} as parent
            where parent.{{ target['field'] }} = child.{{ column }}
        )

),
{%- endfor %}
{%- for column, tree in in_period_tree.items() %}

outside_tree_{{ loop.index }} as (

    select count(*) as broken
    from {{ model }} as child
    where
        child.{{ column }} is not null
        and not exists (
            select 1
            from {{ ref(tree) }} as unit
            where
                unit.reporting_period = child.reporting_period
                and unit.municipality_code = child.municipality_code
                and unit.org_code = child.{{ column }}
        )

),
{%- endfor %}

broken as (

    {%- for rule in rules %}
    select
        '{{ dbt.escape_single_quotes(rule) }}' as rule,
        broken_{{ loop.index }} as failing_rows
    from counts
    where broken_{{ loop.index }} > 0
    union all
    {%- endfor %}
    {%- if unique_key %}
    select
        'a key ({{ unique_key | join(", ") }}) in more than one row' as rule,
        count(*) as failing_rows
    from repeated_keys
    having count(*) > 0
    union all
    {%- endif %}
    {%- for column, target in related.items() %}
    select
        '{{ column }} not in {{ target["to"] }}.{{ target["field"] }}' as rule,
        broken as failing_rows
    from unrelated_{{ loop.index }}
    where broken > 0
    union all
    {%- endfor %}
    {%- for column, tree in in_period_tree.items() %}
    select
        '{{ column }} not a unit of its period in {{ tree }}' as rule,
        broken as failing_rows
    from outside_tree_{{ loop.index }}
    where broken > 0
    union all
    {%- endfor %}
    select
        'none' as rule,
        0 as failing_rows
    from counts
    where 1 = 0

)

select * from broken

{% endtest %}
