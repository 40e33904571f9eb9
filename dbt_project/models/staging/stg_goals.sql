with

source as (

    {{ current_rows('goals') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        goal_id,
        goal_level,
        org_codes,
        strategic_goal,
        strategic_focus,
        goal_theme,
        goal as goal_text,
        metric_and_target,
        status_text,
        responsible,
        status_fi,
        status as goal_status

    from source

)

select * from renamed
