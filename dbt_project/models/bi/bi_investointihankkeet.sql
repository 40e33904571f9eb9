-- The investment projects with Finnish labels: one row per period and project of
-- marts.fct_investment_projects.
with

projects as (

    select * from {{ ref('fct_investment_projects') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

units as (

    select * from {{ ref('dim_org_units') }}

)

select
    projects.reporting_period as {{ adapter.quote('Raportointikausi') }},
    periods.label_fi as {{ adapter.quote('Kausi') }},
    periods.fiscal_year as {{ adapter.quote('Vuosi') }},
    units.municipality_name_fi as {{ adapter.quote('Kunta') }},
    scopes.org_name_fi as {{ adapter.quote('Toimiala') }},
    units.org_name_fi as {{ adapter.quote('Yksikkö') }},
    projects.project_name as {{ adapter.quote('Hanke') }},
    projects.project_description as {{ adapter.quote('Hankkeen kuvaus') }},
    projects.status_text as {{ adapter.quote('Tilanne') }},
    projects.prior_year_actual as {{ adapter.quote('TP ed. vuosi') }},
    projects.budget as {{ adapter.quote('TA + muutokset') }},
    projects.actual as {{ adapter.quote('TOT') }},
    projects.remaining as {{ adapter.quote('Jäljellä') }},
    projects.realised_pct as {{ adapter.quote('TOT-%') }},
    projects.municipality_code as {{ adapter.quote('Kuntakoodi') }},
    projects.scope_code as {{ adapter.quote('Toimialakoodi') }},
    projects.org_code as {{ adapter.quote('Yksikkökoodi') }},
    projects.project_code as {{ adapter.quote('Hankekoodi') }},
    projects.line_code as {{ adapter.quote('Rivikoodi') }}
from projects
inner join periods
    on periods.reporting_period = projects.reporting_period
left join units
    on units.reporting_period = projects.reporting_period
    and units.municipality_code = projects.municipality_code
    and units.org_code = projects.org_code
left join units as scopes
    on scopes.reporting_period = projects.reporting_period
    and scopes.municipality_code = projects.municipality_code
    and scopes.org_code = projects.scope_code
