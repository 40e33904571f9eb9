-- The organisation of each period with Finnish labels: marts.dim_org_units.
with

units as (

    select * from {{ ref('dim_org_units') }}

)

select
    units.reporting_period as "Raportointikausi",
    units.municipality_name_fi as "Kunta",
    units.org_name_fi as "Yksikkö",
    units.short_name as "Lyhenne",
    {{ org_level_fi('units.org_level') }} as "Organisaatiotaso",
    parents.org_name_fi as "Ylempi yksikkö",
    scopes.org_name_fi as "Toimiala",
    units.level_depth as "Taso",
    units.is_booking_unit as "Kirjausyksikkö",
    units.is_latest as "Uusin organisaatio",
    units.municipality_code as "Kuntakoodi",
    units.org_code as "Yksikkökoodi",
    units.parent_org_code as "Ylemmän yksikön koodi",
    units.scope_code as "Toimialakoodi"
from units
left join units as parents
    on parents.reporting_period = units.reporting_period
    and parents.municipality_code = units.municipality_code
    and parents.org_code = units.parent_org_code
left join units as scopes
    on scopes.reporting_period = units.reporting_period
    and scopes.municipality_code = units.municipality_code
    and scopes.org_code = units.scope_code
