-- The organisation of each period with Finnish labels: marts.dim_org_units.
with

units as (

    select * from {{ ref('dim_org_units') }}

)

select
    units.reporting_period as {{ adapter.quote('Raportointikausi') }},
    units.municipality_name_fi as {{ adapter.quote('Kunta') }},
    units.org_name_fi as {{ adapter.quote('Yksikkö') }},
    units.short_name as {{ adapter.quote('Lyhenne') }},
    {{ org_level_fi('units.org_level') }} as {{ adapter.quote('Organisaatiotaso') }},
    parents.org_name_fi as {{ adapter.quote('Ylempi yksikkö') }},
    scopes.org_name_fi as {{ adapter.quote('Toimiala') }},
    units.level_depth as {{ adapter.quote('Taso') }},
    units.is_booking_unit as {{ adapter.quote('Kirjausyksikkö') }},
    units.is_latest as {{ adapter.quote('Uusin organisaatio') }},
    units.municipality_code as {{ adapter.quote('Kuntakoodi') }},
    units.org_code as {{ adapter.quote('Yksikkökoodi') }},
    units.parent_org_code as {{ adapter.quote('Ylemmän yksikön koodi') }},
    units.scope_code as {{ adapter.quote('Toimialakoodi') }}
from units
left join units as parents
    on parents.reporting_period = units.reporting_period
    and parents.municipality_code = units.municipality_code
    and parents.org_code = units.parent_org_code
left join units as scopes
    on scopes.reporting_period = units.reporting_period
    and scopes.municipality_code = units.municipality_code
    and scopes.org_code = units.scope_code
