{#-
    How the marts join, for BI tools and analysts: every relation the marts' column_rules
    tests declare and check in every run (models/marts/_marts__models.yml), read from the
    project's graph. `related`: the column is a key of the other table; `in_period_tree`:
    the unit is one of its own period's tree of its municipality.
-#}
{%- set joins = [] -%}
{%- for rules in marts_column_rules() -%}
    {%- for column, target in (rules.arguments.get('related') or {}).items() | sort -%}
        {%- do joins.append([
            rules.relation, column, relation_named(target['to']), target['field'],
            'related', rules.test
        ]) -%}
    {%- endfor -%}
    {%- for column, tree in (rules.arguments.get('in_period_tree') or {}).items() | sort -%}
        {%- do joins.append([
            rules.relation, 'reporting_period, municipality_code, ' ~ column,
            relation_named(tree), 'reporting_period, municipality_code, org_code',
            'in_period_tree', rules.test
        ]) -%}
    {%- endfor -%}
{%- endfor %}

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
