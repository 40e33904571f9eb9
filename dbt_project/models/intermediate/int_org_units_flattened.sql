-- Every organisation unit paired with itself and each unit above it, per reporting period.
with recursive

org_units as (

    select
        reporting_period,
        org_code,
        parent_org_code
    from {{ ref('stg_org_units') }}

),

ancestry as (

    select
        reporting_period,
        org_code as member_org_code,
        org_code,
        parent_org_code,
        0 as levels_up
    from org_units

    union all

    select
        ancestry.reporting_period,
        ancestry.member_org_code,
        parents.org_code,
        parents.parent_org_code,
        ancestry.levels_up + 1 as levels_up
    from ancestry
    inner join org_units as parents
        on parents.reporting_period = ancestry.reporting_period
        and parents.org_code = ancestry.parent_org_code

)

select
    reporting_period,
    member_org_code,
    org_code,
    levels_up
from ancestry
