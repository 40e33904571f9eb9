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
    facts.reporting_period as {{ adapter.quote('Raportointikausi') }},
    periods.label_fi as {{ adapter.quote('Kausi') }},
    periods.fiscal_year as {{ adapter.quote('Vuosi') }},
    units.municipality_name_fi as {{ adapter.quote('Kunta') }},
    scopes.org_name_fi as {{ adapter.quote('Toimiala') }},
    units.org_name_fi as {{ adapter.quote('Yksikkö') }},
    {{ org_level_fi('units.org_level') }} as {{ adapter.quote('Organisaatiotaso') }},
    parents.org_name_fi as {{ adapter.quote('Ylempi yksikkö') }},
    lines.name_fi as {{ adapter.quote('Rivi') }},
    {{ line_type_fi('facts.line_type') }} as {{ adapter.quote('Rivityyppi') }},
    facts.sort_order as {{ adapter.quote('Rivin järjestys') }},
    facts.prior_year_actual as {{ adapter.quote('TP ed. vuosi') }},
    facts.prior_year_same_period_actual as {{ adapter.quote('TOT ed. vuosi samalla jaksolla') }},
    facts.prior_year_budget as {{ adapter.quote('TA ed. vuosi') }},
    facts.prior_year_realised_pct as {{ adapter.quote('TOT-% ed. vuosi') }},
    facts.original_budget as {{ adapter.quote('TA') }},
    facts.budget_changes as {{ adapter.quote('TA-muutokset') }},
    facts.budget as {{ adapter.quote('TA + muutokset') }},
    facts.actual as {{ adapter.quote('TOT') }},
    facts.remaining as {{ adapter.quote('Jäljellä') }},
    facts.variance as {{ adapter.quote('Poikkeama') }},
    facts.realised_pct as {{ adapter.quote('TOT-%') }},
    facts.forecast as {{ adapter.quote('Ennuste') }},
    facts.forecast_variance as {{ adapter.quote('Ennusteen poikkeama') }},
    round(facts.share_of_year_elapsed * 100, 1) as {{ adapter.quote('Vuodesta kulunut %') }},
    facts.time_proportional_budget as {{ adapter.quote('Aikasuhteutettu TA') }},
    facts.variance_to_time_proportional_budget
        as {{ adapter.quote('Poikkeama aikasuhteutetusta TA:sta') }},
    facts.forecast_linear as {{ adapter.quote('Ennuste lineaarisesti') }},
    facts.forecast_seasonal as {{ adapter.quote('Ennuste kausivaihtelulla') }},
    facts.municipality_code as {{ adapter.quote('Kuntakoodi') }},
    facts.scope_code as {{ adapter.quote('Toimialakoodi') }},
    facts.org_code as {{ adapter.quote('Yksikkökoodi') }},
    facts.line_code as {{ adapter.quote('Rivikoodi') }},
    facts.source_file as {{ adapter.quote('Lähdetiedosto') }}
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
