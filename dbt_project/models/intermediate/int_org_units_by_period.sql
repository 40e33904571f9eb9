-- The organisation of each reporting period and municipality: the union of the trees its
-- scopes delivered (each scope's units, and the units above the scopes they share, once).
-- scope_code is the scope a unit belongs to; null for a unit above every scope (the
-- municipality, a board whose departments deliver separately).
with recursive

org_units as (

    select * from {{ ref('stg_org_units') }}

),

within_scope as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        org_code
    from org_units
    where org_code = scope_code

    union all

    select
        children.reporting_period,
        children.municipality_code,
        children.scope_code,
        children.org_code
    from org_units as children
    inner join within_scope as parents
        on parents.reporting_period = children.reporting_period
        and parents.municipality_code = children.municipality_code
        and parents.scope_code = children.scope_code
        and parents.org_code = children.parent_org_code

),

units as (

    select
        org_units.reporting_period,
        org_units.municipality_code,
        org_units.org_code,
        org_units.org_level,
        org_units.parent_org_code,
        org_units.org_name_fi,
        min(org_units.short_name) as short_name,
        max(within_scope.scope_code) as scope_code
    from org_units
    left join within_scope
        on within_scope.reporting_period = org_units.reporting_period
        and within_scope.municipality_code = org_units.municipality_code
        and within_scope.scope_code = org_units.scope_code
        and within_scope.org_code = org_units.org_code
    group by
        org_units.reporting_period,
        org_units.municipality_code,
        org_units.org_code,
        org_units.org_level,
        org_units.parent_org_code,
        org_units.org_name_fi

)

select * from units
