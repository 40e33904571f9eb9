-- The chart of accounts as one row per main account (0000-9999) that a range covers, so
-- that millions of ledger rows find their report line by an equality join on a small
-- table, not by a range join: the shipped chart (municipality_code null) and each
-- municipality's own ranges, which take precedence for the accounts they cover. Each
-- main account carries the ledger it books to (operating, or investment: a leaf line of
-- the investment table) and the item its accounts hold (internal, external, or null).
with

digits as (

    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit

),

main_accounts as (

    select
        thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + ones.digit
            as main_account
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as ones

),

account_ranges as (

    select * from {{ ref('account_ranges') }}

),

expanded as (

    select
        account_ranges.municipality_code,
        main_accounts.main_account,
        account_ranges.line_code,
        coalesce(account_ranges.ledger, 'operating') as ledger,
        account_ranges.item
    from main_accounts
    inner join account_ranges
        on main_accounts.main_account between account_ranges.account_from
        and account_ranges.account_to

)

select * from expanded
