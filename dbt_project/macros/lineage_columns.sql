{#- The raw lineage columns, renamed for staging models. -#}
{% macro lineage_columns() %}
        _reporting_period as reporting_period,
        municipality_code,
        scope_code,
        cast(substring(_reporting_period, 1, 4) as {{ dbt.type_int() }}) as reporting_year,
        cast(substring(_reporting_period, 6, 2) as {{ dbt.type_int() }}) as reporting_month,
        _load_id as load_id,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_line as source_line,
        _loaded_at as loaded_at
{% endmacro %}
