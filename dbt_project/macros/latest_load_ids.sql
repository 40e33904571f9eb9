{#-
    Extracts that deliver the same figures at different grains form one family: the
    operating ledger comes by report line (ledger) or by account and cost centre
    (ledger_accounts). Per reporting period, the latest delivery of the family wins, so a
    period restated at the other grain is never counted twice.
-#}
{% macro extract_family(extract_kind_column) %}
    case
        when {{ extract_kind_column }} in ('ledger', 'ledger_accounts') then 'operating_ledger'
        else {{ extract_kind_column }}
    end
{% endmacro %}

{#-
    The load ids of the latest delivery of one extract kind for each reporting period.
    A restated extract replaces the earlier delivery of its period; raw keeps both.
-#}
{% macro latest_load_ids(extract_kind) %}
    select load_id
    from (
        select
            load_id,
            extract_kind,
            row_number() over (
                partition by reporting_period, {{ extract_family('extract_kind') }}
                order by loaded_at desc, load_id desc
            ) as recency
        from {{ source('raw', 'load_log') }}
    ) as loads
    where recency = 1 and extract_kind = '{{ extract_kind }}'
{% endmacro %}
