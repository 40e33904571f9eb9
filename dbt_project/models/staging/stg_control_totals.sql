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
            else cast(amount * cast(unit as integer) as decimal(18, 2))
        end as printed_value,
        -- The step the printed figure was rounded to, in euros or percentage points.
        case
            when unit = '%' then cast(0.1 as decimal(18, 2))
            else cast(unit as decimal(18, 2))
        end as rounding_unit

    from source

)

select * from renamed
