with

source as (

    {{ current_rows('org_mapping') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        old_org_code,
        new_org_code,
        cast(coalesce(share, 1) as {{ type_decimal(9, 6) }}) as share,
        note

    from source

)

select * from renamed
