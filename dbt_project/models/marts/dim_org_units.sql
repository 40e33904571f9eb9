-- The organisation of every reporting period as it was reported then: one row per period,
-- municipality and unit. A unit renamed, moved, split or merged between periods is shown
-- in each period's own tree; is_latest marks the municipality's latest period.
with

org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

latest_period as (

    select
        municipality_code,
        max(reporting_period) as reporting_period
    from org_units
    group by municipality_code

),

municipalities as (

    select
        reporting_period,
        municipality_code,
        org_name_fi as municipality_name_fi
    from org_units
    where org_code = municipality_code

),

final as (

    select
        org_units.reporting_period,
        org_units.municipality_code,
        municipalities.municipality_name_fi,
        org_units.org_code,
        org_units.org_level,
        org_units.parent_org_code,
        org_units.org_name_fi,
        org_units.short_name,
        org_units.scope_code,
        case org_units.org_level
            when 'municipality' then 1
            when 'joint_authority' then 1
            when 'board' then 2
            when 'department' then 3
            when 'service_area' then 4
            when 'cost_centre' then 5
        end as level_depth,
        org_units.org_level in ('service_area', 'cost_centre') as is_booking_unit,
        org_units.scope_code is null as is_above_scopes,
        latest_period.reporting_period is not null as is_latest
    from org_units
    inner join municipalities
        on municipalities.reporting_period = org_units.reporting_period
        and municipalities.municipality_code = org_units.municipality_code
    left join latest_period
        on latest_period.municipality_code = org_units.municipality_code
        and latest_period.reporting_period = org_units.reporting_period

)

select * from final
