-- The report lines with Finnish labels: marts.dim_report_lines.
with

lines as (

    select * from {{ ref('dim_report_lines') }}

)

select
    {{ statement_fi('lines.statement') }} as "Laskelma",
    lines.name_fi as "Rivi",
    {{ line_type_fi('lines.line_type') }} as "Rivityyppi",
    parents.name_fi as "Ylempi rivi",
    lines.sort_order as "Rivin järjestys",
    lines.statement as "Laskelmakoodi",
    lines.line_code as "Rivikoodi",
    lines.parent_code as "Ylemmän rivin koodi"
from lines
left join lines as parents
    on parents.statement = lines.statement
    and parents.line_code = lines.parent_code
