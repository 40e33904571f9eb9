-- One row per reporting period: the signature of its current deliveries, which the
-- incremental models compare with the one they were built from (macro periods_to_build).
with

deliveries as (

    select * from {{ ref('stg_deliveries') }}
    where is_current_delivery

),

signatures as (

    select
        reporting_period,
        {{ period_signature('load_id', 'extract_family') }} as period_signature,
        cast(count(*) as {{ dbt.type_int() }}) as current_deliveries
    from deliveries
    group by reporting_period

)

select * from signatures
