-- Every organisation unit paired with itself and each unit above it, per reporting period
-- and municipality, in the tree of that period (the union of its scopes' trees).
with recursive

org_units as (

    select
        reporting_period,
        municipality_code,
        org_code,
        parent_org_code
    from {{ ref('int_org_units_by_period') }}

),

ancestry as (

    select
        reporting_period,
        municipality_code,
        org_code as member_org_code,
        org_code,
        parent_org_code,
        0 as levels_up
    from org_units

    union all

    select
        ancestry.reporting_period,
        ancestry.municipality_code,
        ancestry.member_org_code,
        parents.org_code,
        parents.parent_org_code,
        ancestry.levels_up + 1 as levels_up
    from ancestry
    inner join org_units as parents
        on parents.reporting_period = ancestry.reporting_period
        and parents.municipality_code = ancestry.municipality_code
        and parents.org_code = ancestry.parent_org_code

)

select
    reporting_period,
    municipality_code,
    member_org_code,
    org_code,
    levels_up
from ancestry
