-- Every report line paired with itself and each subtotal it adds into: a figure booked on a
-- line counts in that line and every line above it.
with recursive

report_lines as (

    select * from {{ ref('report_lines') }}

),

ancestry as (

    select
        statement,
        line_code as booked_line_code,
        line_code,
        parent_code,
        0 as levels_up
    from report_lines

    union all

    select
        ancestry.statement,
        ancestry.booked_line_code,
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
    booked_line_code,
    line_code,
    levels_up
from ancestry
