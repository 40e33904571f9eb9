{#-
    Incremental models rebuild only the reporting periods whose deliveries changed.

    A period's signature identifies the set of its current deliveries (one load id per
    extract family); it changes when any extract of the period is delivered or restated.
    An incremental model stores the signature it was built from, and a run rebuilds the
    periods whose current signature it does not hold yet (delete+insert by period). The
    periods are fetched when the model runs and written into its SQL as constants, so
    DuckDB skips the row groups of every other period instead of reading the history.

    A change of reference data (seeds) or of model SQL is not a delivery: rebuild
    everything with `warehouse run --full-refresh` (dbt build --full-refresh).
-#}
{% macro period_signature(load_id_column, order_column) -%}
    {{ dbt.hash(dbt.listagg(
        load_id_column, "','", 'order by ' ~ order_column ~ ', ' ~ load_id_column
    )) }}
{%- endmacro %}

{#- The periods an incremental model rebuilds in this run (none: all of them). -#}
{% macro periods_to_rebuild() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'period_signature' not in existing -%}
        {#- A table built before signatures were kept: rebuild it whole, once. -#}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select reporting_period
        from {{ ref('int_period_signatures') }}
        where period_signature not in (
            select distinct period_signature from {{ this }} where period_signature is not null
        )
        order by reporting_period
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{% macro periods_to_build(column='reporting_period') %}
    {%- set periods = periods_to_rebuild() -%}
    {%- if periods is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if periods | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for period in periods -%}
        {%- do quoted.append("'" ~ period ~ "'") -%}
    {%- endfor -%}
    {{ return(column ~ ' in (' ~ quoted | join(', ') ~ ')') }}
{% endmacro %}


{#-
    How an incremental model replaces the periods it rebuilds. DuckDB deletes the rows of
    each rebuilt period (unique_key reporting_period) and inserts the new ones; Spark's
    Parquet tables have neither DELETE nor MERGE (those need Delta, Iceberg or Hudi), so
    there the table is partitioned by period and a run overwrites the partitions of the
    periods it rebuilds (dynamic partition overwrite), leaving the others as they are.
-#}
{% macro period_replace_strategy() %}
    {{ return(adapter.dispatch('period_replace_strategy')()) }}
{% endmacro %}

{% macro default__period_replace_strategy() %}
    {{ return('delete+insert') }}
{% endmacro %}

{% macro spark__period_replace_strategy() %}
    {{ return('insert_overwrite') }}
{% endmacro %}


{#- The column an incremental model's table is partitioned by, where the strategy needs one. -#}
{% macro period_partitioning() %}
    {{ return(adapter.dispatch('period_partitioning')()) }}
{% endmacro %}

{% macro default__period_partitioning() %}
    {{ return(none) }}
{% endmacro %}

{% macro spark__period_partitioning() %}
    {{ return('reporting_period') }}
{% endmacro %}


{#-
    Before an incremental model rebuilds its periods (its pre-hook): on Spark, the
    partitions of those periods are dropped first. An overwrite replaces only the
    partitions it writes rows into, so a period whose rebuild has no rows (a ledger
    restated at the other grain leaves the account-level table none) would otherwise
    keep its old rows. On DuckDB delete+insert deletes them: nothing to do.
-#}
{% macro clear_periods_to_build() %}
    {{ return(adapter.dispatch('clear_periods_to_build')()) }}
{% endmacro %}

{% macro default__clear_periods_to_build() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__clear_periods_to_build() %}
    {%- set periods = periods_to_rebuild() -%}
    {%- if not periods -%}
        {{ return('') }}
    {%- endif -%}
    {%- set partitions = [] -%}
    {%- for period in periods -%}
        {%- do partitions.append("partition (reporting_period = '" ~ period ~ "')") -%}
    {%- endfor -%}
    {{ return('alter table ' ~ this ~ ' drop if exists ' ~ partitions | join(', ')) }}
{% endmacro %}
