{{
    config(
        materialized='incremental',
        incremental_strategy=period_replace_strategy(),
        partition_by=period_partitioning(),
        pre_hook="{{ clear_periods_to_build() }}",
        unique_key='reporting_period',
        on_schema_change='append_new_columns',
    )
}}
-- Every printed figure (control totals) against the figure the warehouse computes from the
-- booked figures, with the difference and the rounding tolerance of the printed precision
-- (a whole-number percentage within 1, one printed with a decimal within 0.1; a figure in
-- thousands printed with one decimal within 100 euros, plus the rounding of what is
-- added up). The blocking reconciliation checks read this table. Incremental, like the
-- facts it reconciles.
with

printed as (

    select * from {{ ref('stg_control_totals') }}
    where {{ periods_to_build() }}

),

signatures as (

    select * from {{ ref('int_period_signatures') }}

),

-- The grain the period's operating ledger came in: a figure booked by report line is
-- printed as booked; one added up from accounts is rounded when printed.
ledger_grain as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        extract_kind as ledger_kind
    from {{ ref('stg_deliveries') }}
    where extract_family = 'operating_ledger' and is_current_delivery

),

report_lines as (

    select * from {{ ref('dim_report_lines') }}

),

org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

computed as (

    select * from {{ ref('int_computed_figures_unpivoted') }}

),

matched as (

    select
        printed.reporting_period,
        printed.municipality_code,
        printed.scope_code,
        printed.statement,
        printed.org_code,
        printed.line_code,
        printed.measure,
        printed.item,
        org_units.org_level,
        report_lines.line_type,
        printed.printed_value as expected_value,
        printed.printed_unit,
        printed.printed_decimals,
        -- A percentage is computed unrounded and rounded as printed.
        case
            when printed.printed_unit = '%'
                then
                    cast(
                        {{ round_to_digits('computed.computed_ratio', 'printed.printed_decimals') }}
                        as {{ amount_type() }}
                    )
            else computed.computed_value
        end as computed_value,
        computed.figures_summed,
        case
            -- A percentage: one step of the printed precision (a computed subtotal may move
            -- it one step).
            when printed.printed_unit = '%' then printed.rounding_unit
            -- A booked leaf figure and its printed twin are the same number: no tolerance.
            when
                printed.statement = 'operating'
                and report_lines.line_type = 'leaf'
                and org_units.org_level in ('service_area', 'cost_centre')
                and ledger_grain.ledger_kind = 'ledger'
                and computed.items_summed = 1
                -- booked at the precision it is printed at (not in cents printed in euros)
                and round(computed.computed_value / printed.rounding_unit, 0)
                * printed.rounding_unit
                = computed.computed_value
                then cast(0 as {{ amount_type() }})
            -- n figures in unit u add up to within n * u / 2 of the exact sum, and the
            -- printed figure is rounded to its own unit: (n * u + printed unit) / 2, which
            -- is (n + 1) * u / 2 when the figure is printed in the unit it was booked in.
            else
                computed.rounding_tolerance
                + cast(
                    greatest(printed.rounding_unit - computed.reported_unit, 0)
                    as {{ type_double() }}
                ) / 2
        end as tolerance,
        signatures.period_signature
    from printed
    left join signatures
        on signatures.reporting_period = printed.reporting_period
    left join ledger_grain
        on ledger_grain.reporting_period = printed.reporting_period
        and ledger_grain.municipality_code = printed.municipality_code
        and ledger_grain.scope_code = printed.scope_code
    left join report_lines
        on report_lines.statement = printed.statement
        and report_lines.line_code = printed.line_code
    left join org_units
        on org_units.reporting_period = printed.reporting_period
        and org_units.municipality_code = printed.municipality_code
        and org_units.org_code = printed.org_code
    left join computed
        on computed.reporting_period = printed.reporting_period
        and computed.municipality_code = printed.municipality_code
        and computed.statement = case
            when printed.statement = 'investment' then 'investment' else 'operating'
        end
        and computed.org_code = printed.org_code
        and computed.line_code = coalesce(report_lines.same_as_line, printed.line_code)
        and computed.measure = printed.measure
        and computed.item = printed.item

),

final as (

    select
        reporting_period,
        municipality_code,
        scope_code,
        case
            when statement = 'investment' then 'investment_totals_reconcile'
            when
                org_level in ('service_area', 'cost_centre')
                and line_type = 'leaf'
                and statement = 'operating'
                then 'leaf_figures_match_control'
            when org_level in ('service_area', 'cost_centre')
                then 'service_area_subtotals_reconcile'
            else 'department_totals_reconcile'
        end as check_name,
        statement,
        org_code,
        line_code,
        measure,
        item,
        expected_value,
        computed_value,
        computed_value - expected_value as difference,
        tolerance,
        abs(computed_value - expected_value) - tolerance as excess_over_tolerance,
        figures_summed,
        printed_unit,
        printed_decimals,
        case
            when computed_value is null then 'missing'
            when computed_value = expected_value then 'exact'
            when abs(computed_value - expected_value) <= tolerance then 'rounding'
            else 'mismatch'
        end as reconciliation_status,
        period_signature
    from matched

)

select * from final
