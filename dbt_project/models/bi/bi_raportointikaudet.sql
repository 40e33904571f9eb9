-- The reporting periods with Finnish labels: marts.dim_reporting_periods.
with

periods as (

    select * from {{ ref('dim_reporting_periods') }}

)

select
    reporting_period as "Raportointikausi",
    label_fi as "Kausi",
    fiscal_year as "Vuosi",
    reporting_month as "Kuukausi",
    fiscal_quarter as "Vuosineljännes",
    round(share_of_year_elapsed * 100, 1) as "Vuodesta kulunut %"
from periods
