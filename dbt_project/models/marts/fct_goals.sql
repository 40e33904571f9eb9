-- Every goal of a reporting period with its level, strategy, units, status and metrics.
with

goals as (

    select * from {{ ref('stg_goals') }}

),

metrics as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        goal_id,
        cast(count(*) as {{ dbt.type_int() }}) as metric_rows,
        cast(count(target_value) as {{ dbt.type_int() }}) as targets,
        cast(count(observed_value) as {{ dbt.type_int() }}) as observations,
        cast(sum(case when is_target_met then 1 else 0 end) as {{ dbt.type_int() }})
            as targets_met,
        cast(sum(case when is_target_met = false then 1 else 0 end) as {{ dbt.type_int() }})
            as targets_not_met
    from {{ ref('fct_goal_metrics') }}
    group by reporting_period, municipality_code, scope_code, goal_id

),

final as (

    select
        goals.reporting_period,
        goals.municipality_code,
        goals.scope_code,
        goals.goal_id,
        goals.goal_level,
        goals.org_codes,
        goals.strategic_goal,
        goals.strategic_focus,
        goals.goal_theme,
        goals.goal_text,
        goals.metric_and_target,
        goals.status_text,
        goals.responsible,
        goals.status_fi,
        goals.goal_status,
        coalesce(metrics.metric_rows, 0) as metric_rows,
        coalesce(metrics.targets, 0) as targets,
        coalesce(metrics.observations, 0) as observations,
        coalesce(metrics.targets_met, 0) as targets_met,
        coalesce(metrics.targets_not_met, 0) as targets_not_met
    from goals
    left join metrics
        on metrics.reporting_period = goals.reporting_period
        and metrics.municipality_code = goals.municipality_code
        and metrics.scope_code = goals.scope_code
        and metrics.goal_id = goals.goal_id

)

select * from final
