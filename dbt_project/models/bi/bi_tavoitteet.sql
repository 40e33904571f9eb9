-- The year's goals with Finnish labels: one row per period and goal of marts.fct_goals.
with

goals as (

    select * from {{ ref('fct_goals') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

units as (

    select * from {{ ref('dim_org_units') }}

)

select
    goals.reporting_period as {{ adapter.quote('Raportointikausi') }},
    periods.label_fi as {{ adapter.quote('Kausi') }},
    periods.fiscal_year as {{ adapter.quote('Vuosi') }},
    scopes.municipality_name_fi as {{ adapter.quote('Kunta') }},
    scopes.org_name_fi as {{ adapter.quote('Toimiala') }},
    case goals.goal_level
        when 'council' then 'valtuustotaso'
        when 'operating_plan' then 'käyttösuunnitelma'
    end as {{ adapter.quote('Tavoitetaso') }},
    goals.strategic_goal as {{ adapter.quote('Strateginen tavoite') }},
    goals.strategic_focus as {{ adapter.quote('Painopiste') }},
    goals.goal_theme as {{ adapter.quote('Teema') }},
    goals.goal_text as {{ adapter.quote('Tavoite') }},
    goals.metric_and_target as {{ adapter.quote('Mittari ja tavoitetaso') }},
    goals.status_text as {{ adapter.quote('Tilanne') }},
    goals.status_fi as {{ adapter.quote('Arvio') }},
    goals.responsible as {{ adapter.quote('Vastuu') }},
    goals.targets as {{ adapter.quote('Tavoitearvoja') }},
    goals.targets_met as {{ adapter.quote('Tavoitearvoja saavutettu') }},
    goals.targets_not_met as {{ adapter.quote('Tavoitearvoja ei saavutettu') }},
    goals.municipality_code as {{ adapter.quote('Kuntakoodi') }},
    goals.scope_code as {{ adapter.quote('Toimialakoodi') }},
    goals.goal_id as {{ adapter.quote('Tavoitteen tunnus') }},
    goals.org_codes as {{ adapter.quote('Yksikkökoodit') }}
from goals
inner join periods
    on periods.reporting_period = goals.reporting_period
left join units as scopes
    on scopes.reporting_period = goals.reporting_period
    and scopes.municipality_code = goals.municipality_code
    and scopes.org_code = goals.scope_code
