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
    goals.reporting_period as "Raportointikausi",
    periods.label_fi as "Kausi",
    periods.fiscal_year as "Vuosi",
    scopes.municipality_name_fi as "Kunta",
    scopes.org_name_fi as "Toimiala",
    case goals.goal_level
        when 'council' then 'valtuustotaso'
        when 'operating_plan' then 'käyttösuunnitelma'
    end as "Tavoitetaso",
    goals.strategic_goal as "Strateginen tavoite",
    goals.strategic_focus as "Painopiste",
    goals.goal_theme as "Teema",
    goals.goal_text as "Tavoite",
    goals.metric_and_target as "Mittari ja tavoitetaso",
    goals.status_text as "Tilanne",
    goals.status_fi as "Arvio",
    goals.responsible as "Vastuu",
    goals.targets as "Tavoitearvoja",
    goals.targets_met as "Tavoitearvoja saavutettu",
    goals.targets_not_met as "Tavoitearvoja ei saavutettu",
    goals.municipality_code as "Kuntakoodi",
    goals.scope_code as "Toimialakoodi",
    goals.goal_id as "Tavoitteen tunnus",
    goals.org_codes as "Yksikkökoodit"
from goals
inner join periods
    on periods.reporting_period = goals.reporting_period
left join units as scopes
    on scopes.reporting_period = goals.reporting_period
    and scopes.municipality_code = goals.municipality_code
    and scopes.org_code = goals.scope_code
