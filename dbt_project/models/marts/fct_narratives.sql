with

narratives as (

    select * from {{ ref('stg_narratives') }}

)

select
    reporting_period,
    municipality_code,
    scope_code,
    org_code,
    narrative_section,
    paragraph_number,
    paragraph_text
from narratives
