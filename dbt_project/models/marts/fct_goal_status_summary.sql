-- Goals per scope, level and status, every combination listed (zero when none).
with

goals as (

    select * from {{ ref('fct_goals') }}

),

levels as (

    select 'council' as goal_level
    union all
    select 'operating_plan' as goal_level

),

statuses as (

    select
        'achieved' as goal_status,
        1 as status_order
    union all
    select
        'partially_achieved' as goal_status,
        2 as status_order
    union all
    select
        'not_achieved' as goal_status,
        3 as status_order

),

periods as (

    select distinct
        reporting_period,
        municipality_code,
        scope_code
    from goals

),

grid as (

    select
        periods.reporting_period,
        periods.municipality_code,
        periods.scope_code,
        levels.goal_level,
        statuses.goal_status,
        statuses.status_order
    from periods
    cross join levels
    cross join statuses

),

final as (

    select
        grid.reporting_period,
        grid.municipality_code,
        grid.scope_code,
        grid.goal_level,
        grid.goal_status,
        grid.status_order,
        cast(count(goals.goal_id) as {{ dbt.type_int() }}) as goals
    from grid
    left join goals
        on goals.reporting_period = grid.reporting_period
        and goals.municipality_code = grid.municipality_code
        and goals.scope_code = grid.scope_code
        and goals.goal_level = grid.goal_level
        and goals.goal_status = grid.goal_status
    group by
        grid.reporting_period,
        grid.municipality_code,
        grid.scope_code,
        grid.goal_level,
        grid.goal_status,
        grid.status_order

)

select * from final
