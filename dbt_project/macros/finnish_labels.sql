{#- Finnish labels of the marts' codes, as the bi views print them. -#}
{% macro org_level_fi(column) -%}
    case {{ column }}
        when 'municipality' then 'kunta'
        when 'joint_authority' then 'kuntayhtymä'
        when 'board' then 'lautakunta'
        when 'department' then 'toimiala'
        when 'service_area' then 'palvelualue'
        when 'cost_centre' then 'kustannuspaikka'
    end
{%- endmacro %}

{% macro line_type_fi(column) -%}
    case {{ column }}
        when 'leaf' then 'rivi'
        when 'subtotal' then 'välisumma'
    end
{%- endmacro %}

{% macro statement_fi(column) -%}
    case {{ column }}
        when 'operating' then 'käyttötalous'
        when 'budget_binding' then 'sitovuustaso'
        when 'investment' then 'investoinnit'
    end
{%- endmacro %}
