"""The report's charts, drawn as SVG from the same data the tables show.

Each chart is first reduced to its points (label, series, value), then drawn; every bar
carries its value in data-* attributes so that it can be checked against the marts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orchestration.report.fonts import text_width
from orchestration.report.model import BindingFollowUp, GoalStatusCount, Period, ScopePart
from orchestration.report.numbers import format_decimal, format_euros
from orchestration.report.svg import Svg

WIDTH = 720.0
MARGIN = 14.0
TITLE_SIZE = 15.0
LABEL_SIZE = 11.5
SMALL_SIZE = 10.0
MUTED = "#555555"
GRID = "#d9d9d9"
AXIS = "#333333"
REFERENCE = "#c0392b"
OVER_BUDGET = "#b3261e"

# Colours that stay distinct in greyscale print.
LINE_KIND_COLOURS = {1: "#2f6f9f", -1: "#e39a3b", 0: "#5a5a5a"}
LINE_KIND_LABELS = {1: "Tulot", -1: "Menot", 0: "Kate ja tulos"}
STATUS_COLOURS = {
    "achieved": "#2e7d32",
    "partially_achieved": "#f2b01e",
    "not_achieved": "#c62828",
}
STATUS_LABELS = {
    "achieved": "Toteutuu",
    "partially_achieved": "Toteutuu osittain",
    "not_achieved": "Ei toteudu",
}
LEVEL_LABELS = {
    "council": "Valtuuston sitovuustaso",
    "operating_plan": "Käyttösuunnitelma",
}


@dataclass(frozen=True)
class Point:
    """One bar: which row (key) and series it belongs to, and its value."""

    key: str
    label: str
    series: str
    value: Decimal | None
    bold: bool = False


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    points: tuple[Point, ...]
    svg: str
    width: float
    height: float
    alt_text: str = ""  # what the chart shows, in words and figures (the SVG's <title>)


@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    step: float
    x0: float
    x1: float

    def x(self, value: float) -> float:
        return self.x0 + (value - self.low) / (self.high - self.low) * (self.x1 - self.x0)

    def ticks(self) -> list[float]:
        first = math.ceil(self.low / self.step - 1e-9)
        last = math.floor(self.high / self.step + 1e-9)
        return [i * self.step for i in range(first, last + 1)]


def _nice_step(span: float, target_ticks: int = 5) -> float:
    raw = span / max(target_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _axis(values: Sequence[float], x0: float, x1: float) -> Axis:
    """A linear axis from 0 or below to 0 or above, ending at whole steps."""
    low = min([0.0, *values])
    high = max([0.0, *values])
    step = _nice_step((high - low) or 1.0)
    low = math.floor(low / step - 1e-9) * step if low < 0 else 0.0
    high = math.ceil(high / step + 1e-9) * step if high > 0 else 0.0
    if high == low:  # nothing but zeros: an axis of one step
        high = step
    return Axis(low, high, step, x0, x1)


def _header(svg: Svg, title: str, subtitle: str) -> float:
    svg.text(MARGIN, 22, title, size=TITLE_SIZE, bold=True)
    svg.text(MARGIN, 40, subtitle, size=SMALL_SIZE, fill=MUTED)
    return 52.0


def _legend(svg: Svg, y: float, entries: Sequence[tuple[str, str]]) -> float:
    x = MARGIN
    for label, colour in entries:
        svg.rect(x, y, 12, 12, colour)
        svg.text(x + 17, y + 10.5, label, size=SMALL_SIZE)
        x += 17 + text_width(label, SMALL_SIZE) + 18
    return y + 24


def _grid(svg: Svg, axis: Axis, top: float, bottom: float, label: Callable[[float], str]) -> None:
    for tick in axis.ticks():
        x = axis.x(tick)
        svg.line(x, top, x, bottom, GRID if tick else AXIS, 1.0 if tick else 1.2)
        svg.text(x, bottom + 14, label(tick), size=SMALL_SIZE, anchor="middle", fill=MUTED)


def _value_label(
    svg: Svg, axis: Axis, value: float, y: float, text: str, colour: str, bold: bool = False
) -> None:
    end = axis.x(value)
    if value >= 0:
        svg.text(end + 4, y, text, size=SMALL_SIZE, fill=colour, bold=bold)
    else:
        svg.text(end - 4, y, text, size=SMALL_SIZE, anchor="end", fill=colour, bold=bold)


def _percent(value: float) -> str:
    return f"{format_decimal(Decimal(str(value)), Decimal(1))} %"


# (a) Realised % per report line against the share of the year elapsed ----------------------


def realised_pct_points(report: ScopePart) -> tuple[Point, ...]:
    """The scope unit's operating lines that have a budget, in the statement's order."""
    lines = report.statements.get(report.unit.org_code, ())
    return tuple(
        Point(
            key=line.line_code,
            label=line.name,
            series=str(line.normal_sign),
            value=line.figures.realised_pct,
            bold=line.line_type == "subtotal",
        )
        for line in lines
        if line.figures.budget and line.figures.realised_pct is not None
    )


def realised_pct_chart(period: Period, report: ScopePart, decimals: int = 1) -> Chart:
    """Each line's realised %, printed with the decimals of the tables' realised % column."""
    points = realised_pct_points(report)
    elapsed = float(period.share_of_year_elapsed * 100)
    elapsed_label = f"{format_decimal(Decimal(str(elapsed)))} %"
    step = Decimal(1).scaleb(-decimals)
    title = f"Toteuma-% riveittäin {period.label_fi}: {report.unit.name}"
    svg = Svg(WIDTH, 0, "realised_pct", title)
    svg.alt_text = (
        f"{title}. Toteutunut osuus talousarviosta: "
        + "; ".join(f"{p.label} {format_decimal(p.value, step)} %" for p in points)
        + f". Kulunut osuus vuodesta {elapsed_label}."
    )
    top = _header(
        svg,
        title,
        "Toteutunut osuus talousarviosta (TA + muutokset), %. "
        f"Katkoviiva: kulunut osuus vuodesta {elapsed_label}.",
    )
    kinds = [k for k in (1, -1, 0) if any(int(p.series) == k for p in points)]
    top = _legend(svg, top, [(LINE_KIND_LABELS[k], LINE_KIND_COLOURS[k]) for k in kinds])
    label_width = max((text_width(p.label, LABEL_SIZE, p.bold) for p in points), default=0)
    x0 = MARGIN + label_width + 10
    value_column = WIDTH - MARGIN  # value labels right-aligned here, clear of the bars
    axis = _axis([float(p.value) for p in points] + [elapsed], x0, value_column - 58)
    row, bar = 21.0, 13.0
    plot_top = top + 14
    bottom = plot_top + row * len(points)
    _grid(svg, axis, plot_top - 4, bottom, _percent)
    for i, point in enumerate(points):
        y = plot_top + i * row
        value = float(point.value)
        colour = LINE_KIND_COLOURS[int(point.series)]
        svg.text(x0 - 8, y + 10.5, point.label, size=LABEL_SIZE, anchor="end", bold=point.bold)
        start, end = sorted((axis.x(0), axis.x(value)))
        svg.rect(
            start,
            y + (row - bar) / 2 - 2,
            end - start,
            bar,
            colour,
            data_key=point.key,
            data_series="realised_pct",
            data_value=str(point.value),
        )
        svg.text(
            value_column,
            y + 10.5,
            f"{format_decimal(point.value, step)} %",
            size=LABEL_SIZE,
            anchor="end",
            bold=point.bold,
            data_key=point.key,
        )
    reference_x = axis.x(elapsed)
    svg.line(
        reference_x,
        plot_top - 12,
        reference_x,
        bottom,
        REFERENCE,
        1.6,
        stroke_dasharray="5 3",
        data_reference=str(period.share_of_year_elapsed * 100),
    )
    svg.text(
        reference_x + 4,
        plot_top - 4,
        f"Kulunut aika {elapsed_label}",
        size=SMALL_SIZE,
        fill=REFERENCE,
        bold=True,
    )
    svg.height = bottom + 24
    return Chart("realised_pct", title, points, svg.render(), svg.width, svg.height, svg.alt_text)


# (b) Year-end forecast against budget per service area, net ---------------------------------


def _operating_plan(report: ScopePart) -> list[BindingFollowUp]:
    return [f for f in report.follow_up if f.binding_level == "operating_plan"]


def forecast_series(period: Period, report: ScopePart) -> tuple[tuple[str, str, str], ...]:
    """(series, legend label, colour) of the forecast chart: the controllers' own forecast
    only where the units give one."""
    series = [
        ("budget_net", f"TA {period.fiscal_year} + muutokset", "#4a4a4a"),
        ("forecast_linear_net", "Ennuste, lineaarinen", "#2f6f9f"),
        ("forecast_seasonal_net", f"Ennuste, kausivaihtelu {period.prior_year} mukaan", "#9cc3e4"),
    ]
    if any(f.forecast_net is not None for f in _operating_plan(report)):
        series.append(("forecast_net", "Ennuste, yksikön arvio", "#c8702a"))
    return tuple(series)


def forecast_points(period: Period, report: ScopePart) -> tuple[Point, ...]:
    """Each service area's bound net budget and its whole-year forecasts, in euros."""
    points = []
    for follow_up in _operating_plan(report):
        for series, _, _ in forecast_series(period, report):
            points.append(
                Point(
                    key=follow_up.org.org_code,
                    label=follow_up.org.name,
                    series=series,
                    value=getattr(follow_up, series),
                )
            )
    return tuple(points)


def _forecast_figures(points: Sequence[Point], series: Sequence[tuple[str, str, str]]) -> str:
    """The forecast chart's figures in words: each unit's budget and forecasts."""
    labels = {name: label for name, label, _ in series}
    by_unit: dict[str, list[str]] = {}
    for p in points:
        figure = "ei ennustetta" if p.value is None else f"{format_euros(p.value)} euroa"
        by_unit.setdefault(p.label, []).append(f"{labels[p.series]} {figure}")
    return "; ".join(f"{unit}: {', '.join(figures)}" for unit, figures in by_unit.items()) + "."


def forecast_chart(period: Period, report: ScopePart) -> Chart:
    points = forecast_points(period, report)
    series = forecast_series(period, report)
    bound = " / ".join(dict.fromkeys(f.bound_label.lower() for f in _operating_plan(report)))
    title = "Vuosiennuste ja talousarvio palvelualueittain, netto (euroa)"
    svg = Svg(WIDTH, 0, "forecast", title)
    subtitle = (
        f"{report.unit.name}: {bound} 1-12/{period.fiscal_year}, euroa; negatiivinen "
        "= menot ylittävät tulot."
    )
    svg.alt_text = f"{title}. {subtitle} {_forecast_figures(points, series)}"
    top = _header(svg, title, f"{subtitle} Punainen: ennuste ylittää talousarvion.")
    top = _legend(svg, top, [(label, colour) for _, label, colour in series])
    units = list(dict.fromkeys((p.key, p.label) for p in points))
    label_width = max((text_width(label, LABEL_SIZE, True) for _, label in units), default=0)
    x0 = MARGIN + label_width + 10
    values = [float(p.value) for p in points if p.value is not None]
    room = max(
        (text_width(format_euros(p.value), SMALL_SIZE, True) for p in points if p.value), default=0
    )
    left = x0 + (room + 8 if any(v < 0 for v in values) else 0)
    right = WIDTH - MARGIN - (room + 8 if any(v > 0 for v in values) else 6)
    axis = _axis(values, left, right)
    bar, gap, group_gap = 13.0, 3.0, 16.0
    group = len(series) * (bar + gap) - gap
    plot_top = top + 8
    bottom = plot_top + len(units) * (group + group_gap)
    _grid(svg, axis, plot_top - 4, bottom, lambda v: format_euros(Decimal(str(v))))
    by_unit = {(p.key, p.series): p for p in points}
    for i, (code, label) in enumerate(units):
        y = plot_top + i * (group + group_gap)
        svg.text(x0 - 8, y + group / 2 + 4, label, size=LABEL_SIZE, anchor="end", bold=True)
        budget = by_unit[(code, "budget_net")].value
        for j, (name, _, colour) in enumerate(series):
            point = by_unit[(code, name)]
            bar_y = y + j * (bar + gap)
            if point.value is None:
                svg.text(
                    axis.x(0) - 4, bar_y + 10.5, "ei ennustetta", SMALL_SIZE, "end", fill=MUTED
                )
                continue
            value = float(point.value)
            start, end = sorted((axis.x(0), axis.x(value)))
            svg.rect(
                start,
                bar_y,
                end - start,
                bar,
                colour,
                data_key=code,
                data_series=name,
                data_value=str(point.value),
            )
            over = name != "budget_net" and budget is not None and point.value < budget
            _value_label(
                svg,
                axis,
                value,
                bar_y + 10.5,
                format_euros(point.value),
                OVER_BUDGET if over else AXIS,
                bold=over,
            )
    svg.height = bottom + 24
    return Chart("forecast", title, points, svg.render(), svg.width, svg.height, svg.alt_text)


# (c) Goal status per level ------------------------------------------------------------------


def goal_status_points(counts: Sequence[GoalStatusCount]) -> tuple[Point, ...]:
    return tuple(
        Point(
            key=c.goal_level,
            label=LEVEL_LABELS.get(c.goal_level, c.goal_level),
            series=c.goal_status,
            value=Decimal(c.goals),
        )
        for c in sorted(counts, key=lambda c: (c.goal_level != "council", c.status_order))
    )


def goal_status_chart(period: Period, counts: Sequence[GoalStatusCount]) -> Chart:
    points = goal_status_points(counts)
    title = f"Tavoitteiden toteutuminen {period.status_date_label}{period.fiscal_year}"
    svg = Svg(WIDTH, 0, "goal_status", title)
    svg.alt_text = f"{title}. Tavoitteiden määrä tilan mukaan: " + "; ".join(
        f"{label}: "
        + ", ".join(
            f"{STATUS_LABELS[p.series].lower()} {p.value}" for p in points if p.key == level
        )
        + f", yhteensä {sum(p.value for p in points if p.key == level)}"
        for level, label in dict.fromkeys((p.key, p.label) for p in points)
    )
    top = _header(svg, title, "Tavoitteiden määrä (kpl) sitovuustason ja tilan mukaan.")
    statuses = list(dict.fromkeys(p.series for p in points))
    top = _legend(svg, top, [(STATUS_LABELS[s], STATUS_COLOURS[s]) for s in statuses])
    levels = list(dict.fromkeys((p.key, p.label) for p in points))
    totals = {key: sum(float(p.value) for p in points if p.key == key) for key, _ in levels}
    label_width = max((text_width(label, LABEL_SIZE, True) for _, label in levels), default=0)
    x0 = MARGIN + label_width + 10
    axis = _axis(list(totals.values()), x0, WIDTH - MARGIN - 40)
    axis = Axis(axis.low, axis.high, max(1.0, _nice_step(axis.high - axis.low)), axis.x0, axis.x1)
    row, bar = 34.0, 22.0
    plot_top = top + 8
    bottom = plot_top + row * len(levels)
    _grid(svg, axis, plot_top - 4, bottom, lambda v: f"{v:.0f}")
    for i, (level, label) in enumerate(levels):
        y = plot_top + i * row
        svg.text(x0 - 8, y + bar / 2 + 4, label, size=LABEL_SIZE, anchor="end", bold=True)
        running = 0.0
        for point in (p for p in points if p.key == level):
            value = float(point.value)
            start, end = axis.x(running), axis.x(running + value)
            svg.rect(
                start,
                y,
                end - start,
                bar,
                STATUS_COLOURS[point.series],
                data_key=level,
                data_series=point.series,
                data_value=str(point.value),
            )
            if value and end - start >= 16:
                ink = "#1a1a1a" if point.series == "partially_achieved" else "#ffffff"
                svg.text(
                    (start + end) / 2,
                    y + bar / 2 + 4.5,
                    f"{value:.0f}",
                    LABEL_SIZE,
                    "middle",
                    True,
                    ink,
                )
            running += value
        svg.text(
            axis.x(running) + 6, y + bar / 2 + 4, f"yht. {running:.0f}", SMALL_SIZE, fill=MUTED
        )
    svg.height = bottom + 24
    return Chart("goal_status", title, points, svg.render(), svg.width, svg.height, svg.alt_text)
