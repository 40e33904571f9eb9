{#-
    The key of each mart: the columns that identify a row, as the marts' column_rules
    tests check them in every run (unique and not null), read from the project's graph.
-#}
{%- set keys = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'test'
        and (node.test_metadata or {}).get('name') == 'column_rules'
        and node.test_metadata.kwargs.get('unique_key')
        and graph.nodes[node.attached_node].schema == 'marts' -%}
        {%- set model = graph.nodes[node.attached_node] -%}
        {%- do keys.append([
            model.schema ~ '.' ~ (model.alias or model.name),
            node.test_metadata.kwargs['unique_key'] | join(', '),
            node.name
        ]) -%}
    {%- endfor -%}
{%- endif -%}

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
