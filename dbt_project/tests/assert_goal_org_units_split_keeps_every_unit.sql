-- Every unit a goal names in org_codes ('OPKOU|HYTE') has its row in int_goal_org_units_split.
-- The split unrolls a fixed number of positions (max_units_per_goal = 6); a goal naming more
-- units would otherwise lose the extra ones silently. Returns the goals whose counts differ.
with

goals as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        goal_id,
        org_codes,
        -- units named = separators + 1
        {{ dbt.length('org_codes') }}
        - {{ dbt.length(dbt.replace('org_codes', "'|'", "''")) }}
        + 1 as units_named
    from {{ ref('stg_goals') }}

),

split as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        goal_id,
        count(*) as units_split
    from {{ ref('int_goal_org_units_split') }}
    group by reporting_period, municipality_code, scope_code, goal_id

)

select
    goals.reporting_period,
    goals.municipality_code,
    goals.scope_code,
    goals.goal_id,
    goals.org_codes,
    goals.units_named,
    coalesce(split.units_split, 0) as units_split
from goals
left join split
    on split.reporting_period = goals.reporting_period
    and split.municipality_code = goals.municipality_code
    and split.scope_code = goals.scope_code
    and split.goal_id = goals.goal_id
where goals.units_named <> coalesce(split.units_split, 0)
