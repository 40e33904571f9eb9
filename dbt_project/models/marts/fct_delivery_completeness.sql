-- How complete the roll-ups above the scopes are: per reporting period and unit above the
-- scopes (the municipality, a board whose departments deliver separately), how many of the
-- scopes expected under it are delivered. Expected: the scopes delivered under the unit in
-- any period of the fiscal year, and for the municipality those the reference data names
-- (seeds/reference/municipalities.csv, expected_scopes).
{% set max_expected_scopes = 20 %}
with

deliveries as (

    select distinct
        reporting_period,
        reporting_year,
        municipality_code,
        scope_code
    from {{ ref('stg_deliveries') }}
    where is_current_delivery

),

org_units as (

    select * from {{ ref('int_org_units_by_period') }}

),

ancestry as (

    select * from {{ ref('int_org_units_flattened') }}

),

-- Each delivered scope with every unit above it, in the tree of its period.
scope_rollups as (

    select
        deliveries.reporting_period,
        deliveries.reporting_year,
        deliveries.municipality_code,
        deliveries.scope_code,
        ancestry.org_code as rollup_org_code
    from deliveries
    inner join ancestry
        on ancestry.reporting_period = deliveries.reporting_period
        and ancestry.municipality_code = deliveries.municipality_code
        and ancestry.member_org_code = deliveries.scope_code
    where ancestry.levels_up > 0

),

reference_scopes as (

    {% for position in range(1, max_expected_scopes + 1) %}
    select
        municipality_code,
        {{ dbt.split_part('expected_scopes', "'|'", position) }} as scope_code
    from {{ ref('municipalities') }}
    where expected_scopes is not null
    {{ "union all" if not loop.last }}
    {% endfor %}

),

years as (

    select distinct
        reporting_year,
        municipality_code
    from deliveries

),

expected as (

    select distinct
        reporting_year,
        municipality_code,
        rollup_org_code,
        scope_code
    from scope_rollups

    union

    select
        years.reporting_year,
        years.municipality_code,
        years.municipality_code as rollup_org_code,
        reference_scopes.scope_code
    from years
    inner join reference_scopes
        on reference_scopes.municipality_code = years.municipality_code
    where reference_scopes.scope_code is not null and reference_scopes.scope_code <> ''

),

rollups as (

    select distinct
        reporting_period,
        reporting_year,
        municipality_code,
        rollup_org_code
    from scope_rollups

),

status as (

    select
        rollups.reporting_period,
        rollups.municipality_code,
        rollups.rollup_org_code,
        expected.scope_code,
        case when delivered.scope_code is null then 0 else 1 end as is_delivered
    from rollups
    inner join expected
        on expected.reporting_year = rollups.reporting_year
        and expected.municipality_code = rollups.municipality_code
        and expected.rollup_org_code = rollups.rollup_org_code
    left join scope_rollups as delivered
        on delivered.reporting_period = rollups.reporting_period
        and delivered.municipality_code = rollups.municipality_code
        and delivered.rollup_org_code = rollups.rollup_org_code
        and delivered.scope_code = expected.scope_code

),

counted as (

    select
        reporting_period,
        municipality_code,
        rollup_org_code as org_code,
        cast(count(*) as {{ dbt.type_int() }}) as expected_scopes,
        cast(sum(is_delivered) as {{ dbt.type_int() }}) as delivered_scopes,
        -- No codes to list: null on every engine (Spark's listagg gives '', DuckDB's null).
        nullif(
            {{ dbt.listagg(
                "case when is_delivered = 0 then scope_code end", "', '", "order by scope_code"
            ) }},
            ''
        ) as missing_scope_codes,
        nullif(
            {{ dbt.listagg(
                "case when is_delivered = 1 then scope_code end", "', '", "order by scope_code"
            ) }},
            ''
        ) as delivered_scope_codes
    from status
    group by reporting_period, municipality_code, rollup_org_code

),

final as (

    select
        counted.reporting_period,
        counted.municipality_code,
        counted.org_code,
        org_units.org_level,
        org_units.org_name_fi,
        counted.expected_scopes,
        counted.delivered_scopes,
        counted.expected_scopes - counted.delivered_scopes as missing_scopes,
        counted.delivered_scopes = counted.expected_scopes as is_complete,
        counted.delivered_scope_codes,
        counted.missing_scope_codes,
        {{ dbt.concat([
            dbt.cast('counted.delivered_scopes', dbt.type_string()),
            "' of '",
            dbt.cast('counted.expected_scopes', dbt.type_string()),
            "' delivered for '",
            'counted.reporting_period',
        ]) }} as completeness_label,
        {{ dbt.concat([
            dbt.cast('counted.delivered_scopes', dbt.type_string()),
            "'/'",
            dbt.cast('counted.expected_scopes', dbt.type_string()),
            "' toimitettu'",
        ]) }} as completeness_label_fi
    from counted
    inner join org_units
        on org_units.reporting_period = counted.reporting_period
        and org_units.municipality_code = counted.municipality_code
        and org_units.org_code = counted.org_code

)

select * from final
