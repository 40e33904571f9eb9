with

source as (

    {{ current_rows('organisation') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        org_code,
        org_level,
        parent_code as parent_org_code,
        name_fi as org_name_fi,
        short_name

    from source

)

select * from renamed
