-- Every leaf report line paired with itself and each subtotal it adds into.
with recursive

report_lines as (

    select * from {{ ref('report_lines') }}

),

ancestry as (

    select
        statement,
        line_code as leaf_line_code,
        line_code,
        parent_code,
        0 as levels_up
    from report_lines
    where line_type = 'leaf'

    union all

    select
        ancestry.statement,
        ancestry.leaf_line_code,
        parents.line_code,
        parents.parent_code,
        ancestry.levels_up + 1 as levels_up
    from ancestry
    inner join report_lines as parents
        on parents.statement = ancestry.statement
        and parents.line_code = ancestry.parent_code

)

select
    statement,
    leaf_line_code,
    line_code,
    levels_up
from ancestry
