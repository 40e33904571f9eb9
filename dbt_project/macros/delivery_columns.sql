{#- Which delivery the figures of a scope and reporting period come from: the current
    delivery of one extract family (an extract kind, or operating_ledger for ledger and
    ledger_accounts), joined on reporting_period, municipality_code and scope_code. -#}
{% macro current_delivery(extract_family) %}
    select
        reporting_period,
        municipality_code,
        scope_code,
        load_id as source_load_id,
        source_file,
        source_sha256,
        loaded_at as source_loaded_at
    from {{ ref('stg_deliveries') }}
    where extract_family = '{{ extract_family }}' and is_current_delivery
{% endmacro %}
