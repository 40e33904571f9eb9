with

source as (

    {{ current_rows('investment_projects') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        org_code,
        project_code,
        project_name,
        description as project_description,
        status_text

    from source

)

select * from renamed
