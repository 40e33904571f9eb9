{#-
    The load ids of the latest delivery of one extract kind for each reporting period.
    A restated extract replaces the earlier delivery of its period; raw keeps both.
-#}
{% macro latest_load_ids(extract_kind) %}
    select load_id
    from (
        select
            load_id,
            row_number() over (
                partition by reporting_period
                order by loaded_at desc, load_id desc
            ) as recency
        from {{ source('raw', 'load_log') }}
        where extract_kind = '{{ extract_kind }}'
    ) as loads
    where recency = 1
{% endmacro %}
