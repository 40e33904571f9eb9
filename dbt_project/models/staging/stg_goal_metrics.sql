with

source as (

    {{ current_rows('goal_metrics') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        goal_id,
        metric_code,
        metric_name,
        observed_on,
        target_operator,
        target_value,
        observed_value,
        unit as metric_unit

    from source

)

select * from renamed
