{#-
    Primary-key test for a composite key: returns one row per combination of the given
    columns that occurs more than once (with the number of occurrences), so the test
    passes when every combination is unique.

    Null is treated as a value of its own: every column is compared as
    coalesce(cast(column as a string), '<null>'). Two rows that agree on every key column
    and both have, say, observed_on null are duplicates, which is how the loader's key
    check (docs/extract_contracts.md, "each key appears once") treats an empty cell.
    Test key columns that must never be null with not_null as well.
-#}
{% test unique_combination(model, combination_of_columns) %}

with

keyed as (

    select
        {%- for column in combination_of_columns %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>') as {{ column }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}

)

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from keyed
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
