{#-
    The marts' column_rules tests, read from the project's graph: one entry per test with
    the mart's relation (schema.table), the test's arguments and its name. The join map
    and the key list (models/bi) are generated from them, so they are what the build
    checks. Empty while dbt parses (no graph yet).
-#}
{% macro marts_column_rules() %}
    {%- set rules = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'test'
            and (node.test_metadata or {}).get('name') == 'column_rules'
            and graph.nodes[node.attached_node].schema == 'marts' -%}
            {%- set model = graph.nodes[node.attached_node] -%}
            {%- do rules.append({
                'relation': model.schema ~ '.' ~ (model.alias or model.name),
                'arguments': node.test_metadata.kwargs,
                'test': node.name
            }) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(rules) }}
{% endmacro %}

{#- schema.table of a model or seed, by its name. -#}
{% macro relation_named(name) %}
    {%- for node in graph.nodes.values()
        if node.resource_type in ('model', 'seed') and node.name == name -%}
        {{ return(node.schema ~ '.' ~ (node.alias or node.name)) }}
    {%- endfor -%}
{% endmacro %}
