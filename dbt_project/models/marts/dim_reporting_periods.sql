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
        cast(ceiling(reporting_month / 3.0) as integer) as fiscal_quarter,
        cast(reporting_period || '-01' as date) as last_month_start_date,
        '1-' || cast(reporting_month as varchar) || '/' || cast(reporting_year as varchar)
            as label_fi,
        cast(reporting_month / 12.0 as decimal(5, 4)) as share_of_year_elapsed
    from deliveries

)

select * from final
