-- The organisation as the latest delivery describes it.
with

org_units as (

    select * from {{ ref('stg_org_units') }}

),

latest as (

    select *
    from org_units
    where reporting_period = (select max(reporting_period) from org_units)

),

final as (

    select
        org_code,
        org_level,
        parent_org_code,
        org_name_fi,
        short_name,
        case org_level
            when 'municipality' then 1
            when 'board' then 2
            when 'department' then 3
            when 'service_area' then 4
            when 'cost_centre' then 5
        end as level_depth,
        org_level in ('service_area', 'cost_centre') as is_booking_unit,
        reporting_period as described_in_period
    from latest

)

select * from final
