with

report_lines as (

    select * from {{ ref('report_lines') }}

),

leaf_counts as (

    select
        statement,
        line_code,
        count(*) as leaf_lines,
        max(levels_up) as depth_below
    from {{ ref('int_report_lines_flattened') }}
    group by statement, line_code

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
        coalesce(leaf_counts.leaf_lines, 0) as leaf_lines,
        coalesce(leaf_counts.depth_below, 0) as depth_below
    from report_lines
    left join leaf_counts
        on leaf_counts.statement = report_lines.statement
        and leaf_counts.line_code = report_lines.line_code

)

select * from final
