with

narratives as (

    select * from {{ ref('stg_narratives') }}

)

select
    reporting_period,
    org_code,
    narrative_section,
    paragraph_number,
    paragraph_text
from narratives
