with

source as (

    select * from {{ source('raw', 'narratives') }}
    where _load_id in ({{ latest_load_ids('narratives') }})

),

renamed as (

    select
        {{ lineage_columns() }},
        org_code,
        section as narrative_section,
        seq as paragraph_number,
        text as paragraph_text

    from source

)

select * from renamed
