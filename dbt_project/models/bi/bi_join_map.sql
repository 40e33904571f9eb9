{#-
    How the marts join, for BI tools and analysts: every relation the marts' column_rules
    tests declare and check in every run (models/marts/_marts__models.yml), read from the
    project's graph. `related`: the column is a key of the other table; `in_period_tree`:
    the unit is one of its own period's tree of its municipality.
-#}
{%- set joins = [] -%}
{%- if execute -%}
    {%- set models = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed') -%}
        {%- do models.update({node.name: node.schema ~ '.' ~ (node.alias or node.name)}) -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'test'
        and (node.test_metadata or {}).get('name') == 'column_rules' -%}
        {%- set child = graph.nodes[node.attached_node] -%}
        {%- set arguments = node.test_metadata.kwargs if child.schema == 'marts' else {} -%}
        {%- for column, target in (arguments.get('related') or {}).items() | sort -%}
            {%- do joins.append([
                models[child.name], column, models[target['to']], target['field'],
                'related', node.name
            ]) -%}
        {%- endfor -%}
        {%- for column, tree in (arguments.get('in_period_tree') or {}).items() | sort -%}
            {%- do joins.append([
                models[child.name], 'reporting_period, municipality_code, ' ~ column,
                models[tree], 'reporting_period, municipality_code, org_code',
                'in_period_tree', node.name
            ]) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}

select
    from_table,
    from_columns,
    to_table,
    to_columns,
    'many-to-one' as cardinality,
    rule_kind,
    checked_by
from (
    values
    {%- for join in joins | sort %}
        ('{{ join | join("', '") }}'){{ "," if not loop.last }}
    {%- else %}
        (null, null, null, null, null, null)
    {%- endfor %}
) as joins (from_table, from_columns, to_table, to_columns, rule_kind, checked_by)
where from_table is not null
