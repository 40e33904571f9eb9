{#-
    The keyword that makes a common table expression computed once however often the
    query reads it (`name as materialized (...)`): DuckDB (and PostgreSQL) know it; on an
    engine without it the expression is plain, with the same result.
-#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    {{ return('materialized') }}
{%- endmacro %}
