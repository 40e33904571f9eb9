with

deliveries as (

    select distinct
        reporting_period,
        reporting_year,
        reporting_month
    from {{ ref('stg_deliveries') }}

),

final as (

    select
        reporting_period,
        reporting_year as fiscal_year,
        reporting_month,
        cast(ceiling(reporting_month / 3.0) as {{ dbt.type_int() }}) as fiscal_quarter,
        cast({{ dbt.concat(['reporting_period', "'-01'"]) }} as date) as last_month_start_date,
        {{ dbt.concat([
            "'1-'",
            dbt.cast('reporting_month', dbt.type_string()),
            "'/'",
            dbt.cast('reporting_year', dbt.type_string()),
        ]) }} as label_fi,
        cast(reporting_month / 12.0 as {{ type_decimal(5, 4) }}) as share_of_year_elapsed
    from deliveries

)

select * from final
