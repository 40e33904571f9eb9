{#-
    Column types the models cast to, named once here so that the models stay portable SQL:
    an engine whose spelling differs gets its own implementation (adapter.dispatch looks
    for <adapter>__type_decimal before default__type_decimal). dbt's own type macros cover
    strings and integers (dbt.type_string(), dbt.type_int()); their type_numeric and
    type_float do not fit: numeric(28, 6) and single-precision float on DuckDB.
-#}

{#- An exact decimal of the given precision and scale. -#}
{% macro type_decimal(precision, scale) -%}
    {{ return(adapter.dispatch('type_decimal')(precision, scale)) }}
{%- endmacro %}

{% macro default__type_decimal(precision, scale) -%}
    {{ return('decimal(' ~ precision ~ ', ' ~ scale ~ ')') }}
{%- endmacro %}


{#- A euro amount: exact, to the cent (never a float). -#}
{% macro amount_type() -%}
    {{ return(type_decimal(18, 2)) }}
{%- endmacro %}


{#-
    A double-precision binary float. The realised percentage divides as double to
    reproduce the report's spreadsheet (macro budget_measures); single precision would not.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return('double precision') }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro spark__type_double() -%}
    {{ return('double') }}
{%- endmacro %}
