with

source as (

    {{ current_rows('ledger_accounts') }}

),

renamed as (

    select
        {{ lineage_columns() }},
        fiscal_year,
        period as period_month,
        cost_centre,
        account,
        cast(substring(account, 1, 4) as {{ dbt.type_int() }}) as main_account,
        scenario,
        item,
        amount as amount_reported,
        cast(unit as {{ dbt.type_int() }}) as reported_unit,
        cast(amount * cast(unit as {{ dbt.type_int() }}) as {{ amount_type() }}) as amount_eur

    from source

)

select * from renamed
