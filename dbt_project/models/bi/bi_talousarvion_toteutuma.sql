-- The budget follow-up of the operating statement with Finnish labels: one row per
-- period, unit and report line of marts.fct_budget_vs_actual, named as the report names them.
with

facts as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

units as (

    select * from {{ ref('dim_org_units') }}

),

lines as (

    select * from {{ ref('dim_report_lines') }}
    where statement = 'operating'

)

select
    facts.reporting_period as "Raportointikausi",
    periods.label_fi as "Kausi",
    periods.fiscal_year as "Vuosi",
    units.municipality_name_fi as "Kunta",
    scopes.org_name_fi as "Toimiala",
    units.org_name_fi as "Yksikkö",
    {{ org_level_fi('units.org_level') }} as "Organisaatiotaso",
    parents.org_name_fi as "Ylempi yksikkö",
    lines.name_fi as "Rivi",
    {{ line_type_fi('facts.line_type') }} as "Rivityyppi",
    facts.sort_order as "Rivin järjestys",
    facts.prior_year_actual as "TP ed. vuosi",
    facts.prior_year_same_period_actual as "TOT ed. vuosi samalla jaksolla",
    facts.prior_year_budget as "TA ed. vuosi",
    facts.prior_year_realised_pct as "TOT-% ed. vuosi",
    facts.original_budget as "TA",
    facts.budget_changes as "TA-muutokset",
    facts.budget as "TA + muutokset",
    facts.actual as "TOT",
    facts.remaining as "Jäljellä",
    facts.variance as "Poikkeama",
    facts.realised_pct as "TOT-%",
    facts.forecast as "Ennuste",
    facts.forecast_variance as "Ennusteen poikkeama",
    round(facts.share_of_year_elapsed * 100, 1) as "Vuodesta kulunut %",
    facts.time_proportional_budget as "Aikasuhteutettu TA",
    facts.variance_to_time_proportional_budget as "Poikkeama aikasuhteutetusta TA:sta",
    facts.forecast_linear as "Ennuste lineaarisesti",
    facts.forecast_seasonal as "Ennuste kausivaihtelulla",
    facts.municipality_code as "Kuntakoodi",
    facts.scope_code as "Toimialakoodi",
    facts.org_code as "Yksikkökoodi",
    facts.line_code as "Rivikoodi",
    facts.source_file as "Lähdetiedosto"
from facts
inner join periods
    on periods.reporting_period = facts.reporting_period
inner join units
    on units.reporting_period = facts.reporting_period
    and units.municipality_code = facts.municipality_code
    and units.org_code = facts.org_code
left join units as scopes
    on scopes.reporting_period = facts.reporting_period
    and scopes.municipality_code = facts.municipality_code
    and scopes.org_code = facts.scope_code
left join units as parents
    on parents.reporting_period = units.reporting_period
    and parents.municipality_code = units.municipality_code
    and parents.org_code = units.parent_org_code
left join lines
    on lines.line_code = facts.line_code
