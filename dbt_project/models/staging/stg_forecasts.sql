with

source as (

    {{ current_rows('forecasts') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        fiscal_year,
        period as period_month,
        org_code,
        line_code,
        item,
        amount as amount_reported,
        cast(unit as {{ dbt.type_int() }}) as reported_unit,
        cast(amount * cast(unit as {{ dbt.type_int() }}) as {{ amount_type() }}) as amount_eur,
        reason as forecast_reason

    from source

)

select * from renamed
