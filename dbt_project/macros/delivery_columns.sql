{#- Which delivery the figures of a reporting period come from: the current delivery of
    one extract family (an extract kind, or operating_ledger for ledger and
    ledger_accounts), joined on reporting_period. -#}
{% macro current_delivery(extract_family) %}
    select
        reporting_period,
        load_id as source_load_id,
        source_file,
        source_sha256,
        loaded_at as source_loaded_at
    from {{ ref('stg_deliveries') }}
    where extract_family = '{{ extract_family }}' and is_current_delivery
{% endmacro %}
