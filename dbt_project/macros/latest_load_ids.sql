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
    The latest delivery of one extract kind for each reporting period and scope: its load
    id, municipality and scope. A restated extract replaces the earlier delivery of its
    scope and period; other scopes of the period (the city's other departments, other
    cities) are untouched; raw keeps every delivery.
-#}
{% macro current_loads(extract_kind) %}
    select load_id, municipality_code, scope_code
    from (
        select
            load_id,
            extract_kind,
            municipality_code,
            scope_code,
            row_number() over (
                partition by
                    reporting_period,
                    municipality_code,
                    scope_code,
                    {{ extract_family('extract_kind') }}
                order by loaded_at desc, load_id desc
            ) as recency
        from {{ source('raw', 'load_log') }}
    ) as loads
    where recency = 1 and extract_kind = '{{ extract_kind }}'
{% endmacro %}


{#- The rows of the current deliveries of one extract kind, with their municipality and
    scope (a staging model's source). -#}
{% macro current_rows(extract_kind) %}
    select
        raw_rows.*,
        loads.municipality_code,
        loads.scope_code
    from {{ source('raw', extract_kind) }} as raw_rows
    inner join ({{ current_loads(extract_kind) }}) as loads
        on loads.load_id = raw_rows._load_id
{% endmacro %}
