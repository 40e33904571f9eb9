-- Investments budget vs. actual per reporting period, project and line (MENOT, TULOT,
-- NETTO), with the project's description and status narrative.
with

projects as (

    select * from {{ ref('int_investment_measures_pivoted') }}
    -- figures on investment accounts without a project are the units' (fct_investments)
    where project_code is not null

),

project_texts as (

    select * from {{ ref('stg_investment_projects') }}

),

report_lines as (

    select * from {{ ref('int_report_lines_flattened') }}
    where statement = 'investment'

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

rolled_up as (

    select
        projects.reporting_period,
        projects.municipality_code,
        projects.scope_code,
        projects.project_code,
        projects.org_code,
        report_lines.line_code,
        {{ sum_ledger_measures('projects') }}
    from projects
    inner join report_lines
        on report_lines.booked_line_code = projects.line_code
    group by
        projects.reporting_period, projects.municipality_code, projects.scope_code,
        projects.project_code, projects.org_code, report_lines.line_code

),

final as (

    select
        rolled_up.reporting_period,
        rolled_up.municipality_code,
        rolled_up.scope_code,
        rolled_up.project_code,
        rolled_up.line_code,
        rolled_up.org_code,
        project_texts.project_name,
        project_texts.project_description,
        project_texts.status_text,
        rolled_up.prior_year_actual,
        rolled_up.prior_year_same_period_actual,
        rolled_up.budget,
        rolled_up.actual,
        {{ budget_measures('periods.reporting_month') }}
    from rolled_up
    inner join periods
        on periods.reporting_period = rolled_up.reporting_period
    left join project_texts
        on project_texts.reporting_period = rolled_up.reporting_period
        and project_texts.municipality_code = rolled_up.municipality_code
        and project_texts.scope_code = rolled_up.scope_code
        and project_texts.project_code = rolled_up.project_code

)

select * from final
