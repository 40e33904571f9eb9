-- One row per goal and responsible organisation unit ('OPKOU|HYTE' -> two rows).
with

goals as (

    select * from {{ ref('stg_goals') }}

),

{% set max_units_per_goal = 6 %}
split as (

    {% for position in range(1, max_units_per_goal + 1) %}
    select
        reporting_period,
        municipality_code,
        scope_code,
        goal_id,
        {{ position }} as unit_position,
        {{ dbt.split_part('org_codes', "'|'", position) }} as org_code
    from goals
    {{ "union all" if not loop.last }}
    {% endfor %}

)

select
    reporting_period,
    municipality_code,
    scope_code,
    goal_id,
    unit_position,
    org_code
from split
where org_code is not null and org_code <> ''
