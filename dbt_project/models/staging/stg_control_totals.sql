with

source as (

    {{ current_rows('control_totals') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        statement,
        org_code,
        line_code,
        measure,
        amount as amount_printed,
        unit as printed_unit,
        case
            when unit = '%' then amount
            else cast(amount * cast(unit as {{ dbt.type_int() }}) as {{ amount_type() }})
        end as printed_value,
        -- The step the printed figure was rounded to, in euros or percentage points.
        case
            when unit = '%' then cast(0.1 as {{ amount_type() }})
            else cast(unit as {{ amount_type() }})
        end as rounding_unit

    from source

)

select * from renamed
