-- Targets and observations the goal texts give, compared where both are known.
with

metrics as (

    select * from {{ ref('stg_goal_metrics') }}

),

final as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        goal_id,
        metric_code,
        metric_name,
        observed_on,
        target_operator,
        target_value,
        observed_value,
        metric_unit,
        case
            when target_value is null or observed_value is null or target_operator is null
                then null
            when target_operator = '>=' then observed_value >= target_value
            when target_operator = '<=' then observed_value <= target_value
            when target_operator = '=' then observed_value = target_value
        end as is_target_met,
        case
            when target_value is null or observed_value is null then null
            else observed_value - target_value
        end as difference_to_target
    from metrics

)

select * from final
