with

source as (

    select * from {{ source('raw', 'load_log') }}

),

renamed as (

    select
        load_id,
        reporting_period,
        cast(substring(reporting_period, 1, 4) as {{ dbt.type_int() }}) as reporting_year,
        cast(substring(reporting_period, 6, 2) as {{ dbt.type_int() }}) as reporting_month,
        extract_kind,
        {{ extract_family('extract_kind') }} as extract_family,
        source_file,
        sha256 as source_sha256,
        row_count,
        encoding as source_encoding,
        delimiter as source_delimiter,
        loaded_at,
        municipality_code,
        scope_code,
        row_number() over (
            partition by
                reporting_period,
                municipality_code,
                scope_code,
                {{ extract_family('extract_kind') }}
            order by loaded_at desc, load_id desc
        ) = 1 as is_current_delivery

    from source

)

select * from renamed
