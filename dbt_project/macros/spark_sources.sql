{#-
    The raw tables a Spark build reads: on Spark the loader's DuckDB file is not there, so
    `warehouse spark-build` exports its raw schema to Parquet (one folder per table) and
    passes the folder as var('raw_parquet_path'); each source table of schema raw is then
    an external table over its folder, replaced at the start of every build so that it
    reads the export as it is now. On a cluster whose raw tables are already in the
    metastore, leave the variable out. On DuckDB the sources are the loader's own tables.
-#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- set location = var('raw_parquet_path', none) -%}
    {%- if not execute or location is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
        {%- do run_query('drop table if exists raw.' ~ source.name) -%}
        {%- do run_query(
            "create table raw." ~ source.name ~ " using parquet location '"
            ~ location ~ "/" ~ source.name ~ "'"
        ) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
