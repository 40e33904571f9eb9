{#-
    dbt's listagg on Spark, in order. dbt-spark's own ignores the order by clause (a
    warning, and the values in whatever order the shuffle left them), and the project
    needs it: a period's signature hashes its load ids in order, and the completeness mart
    lists scope codes in order. Here the values are collected with their sort keys, sorted
    (array_sort orders the structs key by key) and joined; null values are left out, as
    string_agg leaves them out. Ascending keys only.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('listagg on Spark: limit_num is not supported') }}
    {%- endif -%}
    {%- if not order_by_clause -%}
        array_join(collect_list({{ measure }}), {{ delimiter_text }})
    {%- else -%}
        {%- set keys = modules.re.sub('^\\s*order\\s+by\\s+', '', order_by_clause, flags=modules.re.I).split(',') -%}
        {%- set fields = [] -%}
        {%- for key in keys -%}
            {%- if modules.re.search('\\s(asc|desc)\\s*$', key, flags=modules.re.I) -%}
                {{ exceptions.raise_compiler_error('listagg on Spark: order by plain ascending keys, not ' ~ key) }}
            {%- endif -%}
            {%- do fields.append("'k" ~ loop.index ~ "', " ~ key.strip()) -%}
        {%- endfor -%}
        array_join(
            transform(
                array_sort(
                    filter(
                        collect_list(named_struct({{ fields | join(', ') }}, 'v', {{ measure }})),
                        entry -> entry.v is not null
                    )
                ),
                entry -> entry.v
            ),
            {{ delimiter_text }}
        )
    {%- endif -%}
{%- endmacro %}
