-- Project figures added up to NETTO and to every level of the organisation.
with

projects as (

    select * from {{ ref('int_investment_measures_pivoted') }}

),

report_lines as (

    select * from {{ ref('int_report_lines_flattened') }}
    where statement = 'investment'

),

org_units as (

    select * from {{ ref('int_org_units_flattened') }}

),

rolled_up as (

    select
        projects.reporting_period,
        projects.municipality_code,
        org_units.org_code,
        report_lines.line_code,
        cast(count(*) as {{ dbt.type_int() }}) as leaf_rows,
        {{ sum_ledger_measures('projects') }}
    from projects
    inner join report_lines
        on report_lines.booked_line_code = projects.line_code
    inner join org_units
        on org_units.reporting_period = projects.reporting_period
        and org_units.municipality_code = projects.municipality_code
        and org_units.member_org_code = projects.org_code
    group by
        projects.reporting_period,
        projects.municipality_code,
        org_units.org_code,
        report_lines.line_code

)

select * from rolled_up
