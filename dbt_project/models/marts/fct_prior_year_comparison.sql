-- This year against the prior year, per reporting period, municipality, unit (every level)
-- and operating line: the prior year's actual to the same month as the delivery gives it,
-- and as the warehouse itself holds it (the prior year's delivery for the same month),
-- carried into this period's tree. A prior-year unit that is not in this period's tree
-- goes through the organisation changes delivered in the fiscal year (org_mapping: renamed
-- and moved units with share 1, split units by their shares, merged units together).
with

facts as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

leaves as (

    select * from {{ ref('int_ledger_measures_pivoted') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

ancestry as (

    select * from {{ ref('int_org_units_flattened') }}

),

report_lines as (

    select * from {{ ref('int_report_lines_flattened') }}
    where statement = 'operating'

),

mappings as (

    select distinct
        reporting_year,
        municipality_code,
        old_org_code,
        new_org_code,
        share
    from {{ ref('stg_org_mapping') }}

),

-- Each period with the period a year earlier, same month.
period_pairs as (

    select
        periods.reporting_period,
        periods.fiscal_year,
        prior_periods.reporting_period as prior_reporting_period
    from periods
    inner join periods as prior_periods
        on prior_periods.fiscal_year = periods.fiscal_year - 1
        and prior_periods.reporting_month = periods.reporting_month

),

prior_leaves as (

    select
        period_pairs.reporting_period,
        period_pairs.fiscal_year,
        period_pairs.prior_reporting_period,
        leaves.municipality_code,
        leaves.org_code as prior_org_code,
        leaves.line_code,
        leaves.actual
    from period_pairs
    inner join leaves
        on leaves.reporting_period = period_pairs.prior_reporting_period
    where leaves.actual is not null

),

mapped as (

    select
        prior_leaves.reporting_period,
        prior_leaves.prior_reporting_period,
        prior_leaves.municipality_code,
        coalesce(mappings.new_org_code, prior_leaves.prior_org_code) as org_code,
        prior_leaves.line_code,
        cast(prior_leaves.actual * coalesce(mappings.share, 1) as {{ amount_type() }}) as actual,
        case when mappings.new_org_code is null then 0 else 1 end as is_mapped
    from prior_leaves
    left join org_units as still_there
        on still_there.reporting_period = prior_leaves.reporting_period
        and still_there.municipality_code = prior_leaves.municipality_code
        and still_there.org_code = prior_leaves.prior_org_code
    left join mappings
        on still_there.org_code is null
        and mappings.reporting_year = prior_leaves.fiscal_year
        and mappings.municipality_code = prior_leaves.municipality_code
        and mappings.old_org_code = prior_leaves.prior_org_code

),

history as (

    select
        mapped.reporting_period,
        max(mapped.prior_reporting_period) as prior_reporting_period,
        mapped.municipality_code,
        ancestry.org_code,
        report_lines.line_code,
        cast(sum(mapped.actual) as {{ amount_type() }}) as actual,
        max(mapped.is_mapped) as is_mapped
    from mapped
    inner join ancestry
        on ancestry.reporting_period = mapped.reporting_period
        and ancestry.municipality_code = mapped.municipality_code
        and ancestry.member_org_code = mapped.org_code
    inner join report_lines
        on report_lines.booked_line_code = mapped.line_code
    group by
        mapped.reporting_period, mapped.municipality_code, ancestry.org_code,
        report_lines.line_code

),

final as (

    select
        facts.reporting_period,
        facts.municipality_code,
        facts.org_code,
        facts.line_code,
        facts.actual,
        facts.prior_year_same_period_actual,
        history.actual as prior_year_same_period_actual_history,
        history.prior_reporting_period,
        case
            when history.actual is null then null
            when history.is_mapped = 1 then 'history_mapped'
            else 'history'
        end as history_source,
        cast(
            facts.actual - coalesce(facts.prior_year_same_period_actual, history.actual)
            as {{ amount_type() }}
        ) as change_from_prior_year
    from facts
    left join history
        on history.reporting_period = facts.reporting_period
        and history.municipality_code = facts.municipality_code
        and history.org_code = facts.org_code
        and history.line_code = facts.line_code

)

select * from final
