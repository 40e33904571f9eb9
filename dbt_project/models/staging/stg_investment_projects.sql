with

source as (

    select * from {{ source('raw', 'investment_projects') }}
    where _load_id in ({{ latest_load_ids('investment_projects') }})

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
