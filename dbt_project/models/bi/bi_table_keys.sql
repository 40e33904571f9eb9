{#-
    The key of each mart: the columns that identify a row, as the marts' column_rules
    tests check them in every run (unique and not null), read from the project's graph.
-#}
{%- set keys = [] -%}
{%- for rules in marts_column_rules() if rules.arguments.get('unique_key') -%}
    {%- do keys.append([rules.relation, rules.arguments['unique_key'] | join(', '), rules.test]) -%}
{%- endfor %}

select
    table_name,
    key_columns,
    checked_by
from (
    values
    {%- for key in keys | sort %}
        ('{{ key | join("', '") }}'){{ "," if not loop.last }}
    {%- else %}
        (null, null, null)
    {%- endfor %}
) as table_keys (table_name, key_columns, checked_by)
where table_name is not null
