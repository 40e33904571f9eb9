-- The reporting periods with Finnish labels: marts.dim_reporting_periods.
with

periods as (

    select * from {{ ref('dim_reporting_periods') }}

)

select
    reporting_period as {{ adapter.quote('Raportointikausi') }},
    label_fi as {{ adapter.quote('Kausi') }},
    fiscal_year as {{ adapter.quote('Vuosi') }},
    reporting_month as {{ adapter.quote('Kuukausi') }},
    fiscal_quarter as {{ adapter.quote('Vuosineljännes') }},
    round(share_of_year_elapsed * 100, 1) as {{ adapter.quote('Vuodesta kulunut %') }}
from periods
