with

source as (

    {{ current_rows('narratives') }}

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
