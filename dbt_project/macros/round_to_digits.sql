{#-
    A number rounded to the number of decimals another column holds (a figure rounded as
    its report printed it). Spark's round takes its scale only as a constant: there each
    scale the project's figures can have (amounts carry at most two decimals, percentages
    one or two) is a branch of its own, up to max_digits.
-#}
{% macro round_to_digits(value, digits, max_digits=6) %}
    {{ return(adapter.dispatch('round_to_digits')(value, digits, max_digits)) }}
{% endmacro %}

{% macro default__round_to_digits(value, digits, max_digits) -%}
    round({{ value }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_to_digits(value, digits, max_digits) -%}
    case {{ digits }}
        {%- for scale in range(max_digits + 1) %}
        when {{ scale }} then round({{ value }}, {{ scale }})
        {%- endfor %}
    end
{%- endmacro %}
