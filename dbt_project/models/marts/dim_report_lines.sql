with

report_lines as (

    select * from {{ ref('report_lines') }}

),

flattened as (

    select * from {{ ref('int_report_lines_flattened') }}

),

leaf_counts as (

    select
        flattened.statement,
        flattened.line_code,
        count(case when booked.line_type = 'leaf' then 1 end) as leaf_lines,
        max(flattened.levels_up) as depth_below
    from flattened
    inner join report_lines as booked
        on booked.statement = flattened.statement
        and booked.line_code = flattened.booked_line_code
    group by flattened.statement, flattened.line_code

),

final as (

    select
        report_lines.statement,
        report_lines.line_code,
        report_lines.name_fi,
        report_lines.line_type,
        report_lines.parent_code,
        report_lines.sort_order,
        report_lines.normal_sign,
        report_lines.same_as_line,
        report_lines.municipality_code,
        report_lines.other_names,
        coalesce(leaf_counts.leaf_lines, 0) as leaf_lines,
        coalesce(leaf_counts.depth_below, 0) as depth_below
    from report_lines
    left join leaf_counts
        on leaf_counts.statement = report_lines.statement
        and leaf_counts.line_code = report_lines.line_code

)

select * from final
