with

split as (

    select * from {{ ref('int_goal_org_units_split') }}

)

select
    reporting_period,
    municipality_code,
    scope_code,
    goal_id,
    org_code,
    unit_position
from split
