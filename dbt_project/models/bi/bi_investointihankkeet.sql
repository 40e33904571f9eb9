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
    projects.reporting_period as "Raportointikausi",
    periods.label_fi as "Kausi",
    periods.fiscal_year as "Vuosi",
    units.municipality_name_fi as "Kunta",
    scopes.org_name_fi as "Toimiala",
    units.org_name_fi as "Yksikkö",
    projects.project_name as "Hanke",
    projects.project_description as "Hankkeen kuvaus",
    projects.status_text as "Tilanne",
    projects.prior_year_actual as "TP ed. vuosi",
    projects.budget as "TA + muutokset",
    projects.actual as "TOT",
    projects.remaining as "Jäljellä",
    projects.realised_pct as "TOT-%",
    projects.municipality_code as "Kuntakoodi",
    projects.scope_code as "Toimialakoodi",
    projects.org_code as "Yksikkökoodi",
    projects.project_code as "Hankekoodi",
    projects.line_code as "Rivikoodi"
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
