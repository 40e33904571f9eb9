-- The report lines with Finnish labels: marts.dim_report_lines.
with

lines as (

    select * from {{ ref('dim_report_lines') }}

)

select
    {{ statement_fi('lines.statement') }} as {{ adapter.quote('Laskelma') }},
    lines.name_fi as {{ adapter.quote('Rivi') }},
    {{ line_type_fi('lines.line_type') }} as {{ adapter.quote('Rivityyppi') }},
    parents.name_fi as {{ adapter.quote('Ylempi rivi') }},
    lines.sort_order as {{ adapter.quote('Rivin järjestys') }},
    lines.statement as {{ adapter.quote('Laskelmakoodi') }},
    lines.line_code as {{ adapter.quote('Rivikoodi') }},
    lines.parent_code as {{ adapter.quote('Ylemmän rivin koodi') }}
from lines
left join lines as parents
    on parents.statement = lines.statement
    and parents.line_code = lines.parent_code
