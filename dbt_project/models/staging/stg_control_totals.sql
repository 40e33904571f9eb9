with

source as (

    {{ current_rows('control_totals') }}

),

-- The decimals a printed figure needs, trailing zeros not counted (24,70 -> 1).
figures as (

    select
        *,
        case
            {% for decimals in range(4) %}
            when amount = round(amount, {{ decimals }}) then {{ decimals }}
            {% endfor %}
            else 4
        end as significant_decimals
    from source

),

-- A printed column (statement, measure and unit of one delivery) is printed at one
-- precision: the most decimals any of its figures needs.
printed as (

    select
        *,
        max(significant_decimals) over (
            partition by _reporting_period, municipality_code, scope_code, statement, measure, unit
        ) as printed_decimals
    from figures

),

renamed as (

    select
        {{ lineage_columns() }},
        statement,
        org_code,
        line_code,
        measure,
        -- 'all' = the line's total; 'external' / 'internal' = its external or internal items.
        coalesce(item, 'all') as item,
        amount as amount_printed,
        unit as printed_unit,
        printed_decimals,
        case
            when unit = '%' then amount
            else cast(amount * cast(unit as {{ dbt.type_int() }}) as {{ amount_type() }})
        end as printed_value,
        -- The step the printed figure was rounded to, in euros or percentage points: a
        -- whole-number percentage is rounded to 1, one printed with a decimal to 0.1; a figure
        -- in thousands printed with one decimal to 100 euros.
        cast(
            case when unit = '%' then 1 else cast(unit as {{ dbt.type_int() }}) end
            / power(10, printed_decimals)
            as {{ amount_type() }}
        ) as rounding_unit

    from printed

)

select * from renamed
