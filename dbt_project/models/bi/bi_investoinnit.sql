-- The investments with Finnish labels: one row per period, unit and investment line of
-- marts.fct_investments, named as the report names them.
with

facts as (

    select * from {{ ref('fct_investments') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

units as (

    select * from {{ ref('dim_org_units') }}

),

lines as (

    select * from {{ ref('dim_report_lines') }}
    where statement = 'investment'

)

select
    facts.reporting_period as {{ adapter.quote('Raportointikausi') }},
    periods.label_fi as {{ adapter.quote('Kausi') }},
    periods.fiscal_year as {{ adapter.quote('Vuosi') }},
    units.municipality_name_fi as {{ adapter.quote('Kunta') }},
    scopes.org_name_fi as {{ adapter.quote('Toimiala') }},
    units.org_name_fi as {{ adapter.quote('Yksikkö') }},
    {{ org_level_fi('units.org_level') }} as {{ adapter.quote('Organisaatiotaso') }},
    lines.name_fi as {{ adapter.quote('Rivi') }},
    facts.prior_year_actual as {{ adapter.quote('TP ed. vuosi') }},
    facts.prior_year_same_period_actual as {{ adapter.quote('TOT ed. vuosi samalla jaksolla') }},
    facts.original_budget as {{ adapter.quote('TA') }},
    facts.budget_changes as {{ adapter.quote('TA-muutokset') }},
    facts.budget as {{ adapter.quote('TA + muutokset') }},
    facts.actual as {{ adapter.quote('TOT') }},
    facts.remaining as {{ adapter.quote('Jäljellä') }},
    facts.variance as {{ adapter.quote('Poikkeama') }},
    facts.realised_pct as {{ adapter.quote('TOT-%') }},
    facts.forecast as {{ adapter.quote('Ennuste') }},
    facts.forecast_variance as {{ adapter.quote('Ennusteen poikkeama') }},
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
left join lines
    on lines.line_code = facts.line_code
