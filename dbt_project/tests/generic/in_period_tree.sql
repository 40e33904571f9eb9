{#-
    Relationship test for organisation codes: every (reporting_period, municipality_code,
    code) of the model is a unit of that period's tree of that municipality in `to` (a
    model with reporting_period, municipality_code and org_code). Codes are unique within
    a municipality, and each period keeps the tree it was reported in, so a unit renamed
    in a later period still belongs to the tree of its own period. Null codes pass (test
    them with not_null).
-#}
{% test in_period_tree(model, column_name, to) %}

with

children as (

    select distinct
        reporting_period,
        municipality_code,
        {{ column_name }} as org_code
    from {{ model }}
    where {{ column_name }} is not null

),

parents as (

    select distinct
        reporting_period,
        municipality_code,
        org_code
    from {{ to }}

)

select children.*
from children
left join parents
    on parents.reporting_period = children.reporting_period
    and parents.municipality_code = children.municipality_code
    and parents.org_code = children.org_code
where parents.org_code is null

{% endtest %}
