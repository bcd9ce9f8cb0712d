"""Charts that compare scenarios: revenue/netback changes, the netback waterfall, cumulative
revenue and exports by route. Tidy DataFrames in (columns as in docs/results-contract.md),
``go.Figure`` out (each built as a plain dict, which ``.dict`` returns as it is: see
:class:`~potashsim.report.charts.style.FigureFunction`); nothing here reads files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from potashsim.errors import ReportError
from potashsim.report.charts.source import Source, base_of, tidy
from potashsim.report.charts.style import (
    BN,
    DATE_AXIS,
    FALLBACK_COLOUR,
    MT,
    Fig,
    axis_ids,
    colour_of,
    data_array,
    figure_function,
    finish,
    hline,
    note,
    require,
    rgba,
    route_colours,
    signed,
    subplot_layout,
    trace_dict,
)

_ZERO_LINE = {"color": "#444444", "width": 1}


@figure_function
def revenue_netback_chart(
    stats: Source, *, base: str | None = None, colours: Mapping[str, str] | None = None
) -> Fig:
    """Bars of the change in revenue and netback against the base, with 95% intervals.

    Args:
        stats: tidy ``comparison.json`` stats, columns ``scenario``, ``metric``, ``mean``,
            ``diff_mean``, ``diff_ci_low``, ``diff_ci_high`` (USD totals over the compared window);
            or a ``Comparison``, its ``stats`` dict, or a loaded comparison folder
            (:func:`~potashsim.report.charts.source.tidy`).
        base: the base scenario; it is left out (its difference is zero by definition). Default
            a comparison's base.
        colours: scenario colour map, see :func:`~potashsim.report.charts.style.scenario_colours`.

    Returns:
        One bar trace per non-base scenario, x = ``["Revenue", "Netback"]``, heights in USD bn
        (``diff_mean / 1e9``) with asymmetric error bars to the interval bounds.
    """
    columns = ("diff_mean", "diff_ci_low", "diff_ci_high")
    base = base_of(stats, base)
    stats = tidy(stats, "stats")
    require(stats, ("scenario", "metric", *columns), "comparison stats")
    metrics = {"revenue_usd": "Revenue", "netback_usd": "Netback"}
    data = []
    scenarios = [s for s in dict.fromkeys(stats["scenario"]) if s != base]
    for i, scen in enumerate(scenarios):
        rows = stats[stats["scenario"].eq(scen)].set_index("metric").reindex(list(metrics))
        diff, low, high = (rows[c].to_numpy(dtype=float) / BN for c in columns)
        data.append(
            trace_dict(
                "bar",
                name=scen,
                x=list(metrics.values()),
                y=data_array(diff),
                marker={"color": colour_of(colours, scen, i)},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": data_array(high - diff),
                    "arrayminus": data_array(diff - low),
                    "thickness": 1.5,
                    "width": 6,
                },
                text=[signed(v) for v in diff],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"color": "white", "size": 13},
                customdata=data_array(rows[list(columns)].to_numpy()),
                hovertemplate=(
                    f"<b>{scen}</b> %{{x}}<br>change %{{customdata[0]:,.0f}} USD"
                    "<br>95% CI %{customdata[1]:,.0f} to %{customdata[2]:,.0f} USD"
                    "<extra></extra>"
                ),
            )
        )
    # the keys in the order plotly's add_hline and update_layout leave them
    layout: dict[str, Any] = {
        "shapes": [hline(0, _ZERO_LINE)],
        "legend": {"title": {"text": "Scenario"}},
        "barmode": "group",
        "yaxis": {"title": {"text": "Change against base, USD bn"}},
        "showlegend": True,
    }
    if not scenarios:
        layout["annotations"] = [note("Only the base scenario: nothing to compare")]
    return finish(
        data,
        layout,
        f"Change in export revenue and netback against {base}, "
        "USD bn over the compared window (95% interval)",
        460,
    )


_WATERFALL_STEPS = {
    "volume_usd": "Volume",
    "mix_usd": "Market<br>mix",
    "price_usd": "World<br>price",
    "discount_usd": "Discount",
    "logistics_usd": "Logistics",
    "total_usd": "Total",
}


@figure_function
def netback_waterfall(
    decomposition: Source, *, base: str | None = None, colours: Mapping[str, str] | None = None
) -> Fig:
    """Waterfall of the netback change against the base: volume, market mix, world price,
    discount, logistics, total (summed over the years and markets of the per-year decomposition).

    Args:
        decomposition: columns ``scenario``, ``volume_usd``, ``mix_usd``, ``price_usd``,
            ``discount_usd``, ``logistics_usd``, ``total_usd`` (USD over the horizon; the five
            parts add up to the total); or a ``Comparison``, its ``decomposition`` dict, or a
            loaded comparison folder.
        base: the base scenario (left out); default a comparison's base.
        colours: scenario colour map.

    Returns:
        One ``go.Waterfall`` per non-base scenario in USD bn, measures
        ``relative`` ×5 then ``total`` on a two-level x axis (scenario, step).

    Raises:
        ReportError: the parts do not add up to ``total_usd`` (more than 1 USD or 1e-6 apart).
    """
    base = base_of(decomposition, base)
    decomposition = tidy(decomposition, "decomposition")
    require(decomposition, ("scenario", *_WATERFALL_STEPS), "netback decomposition")
    data = []
    rows = decomposition[decomposition["scenario"].ne(base)]
    for i, row in enumerate(rows.itertuples(index=False)):
        values = [float(getattr(row, k)) for k in _WATERFALL_STEPS]
        _check_adds_up(str(row.scenario), values)
        colour = colour_of(colours, str(row.scenario), i)
        data.append(
            trace_dict(
                "waterfall",
                name=str(row.scenario),
                orientation="v",
                x=[[str(row.scenario)] * len(values), list(_WATERFALL_STEPS.values())],
                measure=["relative"] * (len(values) - 1) + ["total"],
                y=[v / BN for v in values],
                text=[signed(v / BN) for v in values],
                textposition="outside",
                customdata=values,
                hovertemplate="%{x}<br>%{customdata:,.0f} USD<extra></extra>",
                increasing={"marker": {"color": colour}},
                decreasing={"marker": {"color": rgba(colour, 0.55)}},
                totals={"marker": {"color": colour, "line": {"color": "#222222", "width": 2}}},
                connector={"line": {"color": "#888888", "width": 1, "dash": "dot"}},
            )
        )
    layout: dict[str, Any] = {
        "shapes": [hline(0, _ZERO_LINE)],
        "yaxis": {"title": {"text": "Change in netback, USD bn"}},
        "waterfallgroupgap": 0.25,
        "showlegend": False,
        "xaxis": {"tickangle": 0},
    }
    if rows.empty:
        layout["annotations"] = [note("Only the base scenario: nothing to decompose")]
    return finish(
        data,
        layout,
        f"Where the netback change against {base} comes from, USD bn (lighter bars are losses)",
        480,
    )


def _check_adds_up(scenario: str, values: list[float]) -> None:
    *parts, total = values
    if abs(sum(parts) - total) > max(1.0, 1e-6 * abs(total)):
        raise ReportError(
            f"decomposition of {scenario}: the parts add up to "
            f"{sum(parts):,.0f} USD but total_usd = {total:,.0f} USD"
        )


@figure_function
def cumulative_revenue_chart(
    monthly_revenue: Source, *, colours: Mapping[str, str] | None = None
) -> Fig:
    """Cumulative revenue per scenario: mean over replications with a 2.5-97.5 percentile band.

    Args:
        monthly_revenue: columns ``scenario``, ``replication``, ``month`` (datetime),
            ``revenue_usd``; one row per scenario x replication x month. Or any result object
            (a run is one replication) or a run's ``monthly.csv``.
        colours: scenario colour map.

    Returns:
        Per scenario three traces: band upper edge, band lower edge (filled to the upper one)
        and the mean line, all in USD bn. The mean's last point is the mean total revenue.
    """
    monthly_revenue = tidy(monthly_revenue, "monthly_revenue")
    require(monthly_revenue, ("scenario", "replication", "month", "revenue_usd"), "monthly revenue")
    data = []
    for i, (scen, frame) in enumerate(monthly_revenue.groupby("scenario", sort=False)):
        wide = frame.pivot_table(
            index="month", columns="replication", values="revenue_usd", aggfunc="sum"
        )
        cum = wide.sort_index().fillna(0.0).cumsum() / BN
        mean, low, high = cum.mean(axis=1), cum.quantile(0.025, axis=1), cum.quantile(0.975, axis=1)
        colour = colour_of(colours, str(scen), i)
        band = {
            "x": data_array(cum.index),
            "legendgroup": str(scen),
            "showlegend": False,
            "hoverinfo": "skip",
            "mode": "lines",
            "line": {"width": 0},
        }
        data.append(trace_dict("scatter", y=data_array(high), name=f"{scen} 97.5%", **band))
        data.append(
            trace_dict(
                "scatter",
                y=data_array(low),
                name=f"{scen} 2.5%",
                fill="tonexty",
                fillcolor=rgba(colour, 0.18),
                **band,
            )
        )
        data.append(
            trace_dict(
                "scatter",
                x=data_array(cum.index),
                y=data_array(mean),
                name=str(scen),
                legendgroup=str(scen),
                mode="lines",
                line={"color": colour, "width": 2.5},
                customdata=data_array(pd.concat([low, high], axis=1).to_numpy()),
                hovertemplate=(
                    f"<b>{scen}</b> %{{x|%b %Y}}<br>mean %{{y:,.3f}} USD bn"
                    "<br>band %{customdata[0]:,.3f} to %{customdata[1]:,.3f}"
                    "<extra></extra>"
                ),
            )
        )
    layout = {
        "legend": {"title": {"text": "Scenario"}},
        "xaxis": {"title": {"text": "Month"}, **DATE_AXIS},
        "yaxis": {"title": {"text": "Cumulative revenue, USD bn"}},
        "hovermode": "x unified",
    }
    return finish(
        data,
        layout,
        "Cumulative export revenue, USD bn (mean and 2.5-97.5% band over replications)",
        460,
    )


@figure_function
def route_area_chart(
    monthly_routes: Source,
    *,
    colours: Mapping[str, str] | None = None,
    routes: Mapping[str, str] | None = None,
    scenarios: Sequence[str] | None = None,
) -> Fig:
    """Stacked area of exports by route over time, one panel per scenario on one y scale.

    Args:
        monthly_routes: columns ``scenario``, ``month`` (datetime), ``route``, ``exported_t``
            (tonnes per month; months without a row count as zero). Or any result object, or
            a run's ``monthly.csv``.
        colours: scenario colour map (colours each panel's title).
        routes: route colour map, see :func:`~potashsim.report.charts.style.route_colours`; default
            one by the tonnes each route carried.
        scenarios: panel order (a comparison's ``scenarios``, base first); default the order
            in which scenarios appear in ``monthly_routes``. Scenarios without rows are skipped.

    Returns:
        Per scenario one stacked trace per route (``stackgroup`` ``s<panel>``), y in Mt per
        month; the stacked height in a month equals that scenario's exports in that month.
        Routes are stacked busiest first (at the bottom) and listed once in a shared legend,
        in the order they appear in the stack.
    """
    monthly_routes = tidy(monthly_routes, "monthly_routes")
    require(monthly_routes, ("scenario", "month", "route", "exported_t"), "monthly routes")
    present = list(dict.fromkeys(monthly_routes["scenario"]))
    order_s = [s for s in scenarios if s in present] if scenarios is not None else present
    order_s += [s for s in present if s not in order_s]
    by_route = monthly_routes.groupby("route")["exported_t"].sum()
    route_map = dict(routes) if routes else route_colours(by_route.index, tonnes=by_route)
    order = by_route.sort_values(ascending=False, kind="stable").index.tolist()
    n = max(len(order_s), 1)
    layout = subplot_layout(
        n, [str(s) for s in order_s] or [""], vertical_spacing=0.12 / n, shared_xaxes=True
    )
    data = []
    months = pd.DatetimeIndex(sorted(monthly_routes["month"].unique()))
    for row, scen in enumerate(order_s, start=1):
        wide = (
            monthly_routes[monthly_routes["scenario"].eq(scen)]
            .pivot_table(index="month", columns="route", values="exported_t", aggfunc="sum")
            .reindex(index=months, columns=order)
            .fillna(0.0)
        )
        x_axis, y_axis = axis_ids(row)
        for route in order:
            data.append(
                trace_dict(
                    "scatter",
                    x=data_array(months),
                    y=data_array(wide[route] / MT),
                    name=str(route),
                    legendgroup=str(route),
                    showlegend=row == 1,
                    stackgroup=f"s{row}",
                    mode="lines",
                    line={"width": 0.5, "color": route_map.get(str(route), FALLBACK_COLOUR)},
                    fillcolor=route_map.get(str(route), FALLBACK_COLOUR),  # opaque: hues apart
                    customdata=data_array(wide[route].to_numpy()),
                    hovertemplate=(
                        f"{scen} · {route}<br>%{{x|%b %Y}}: %{{y:,.3f}} Mt "
                        "(%{customdata:,.0f} t)<extra></extra>"
                    ),
                )
                | {"xaxis": x_axis, "yaxis": y_axis}
            )
    for row in range(1, n + 1):
        y_axis = layout[f"yaxis{axis_ids(row)[1][1:]}"]
        y_axis |= {"title": {"text": "Mt per month"}, "rangemode": "tozero"}
        if row > 1:
            y_axis["matches"] = "y"  # one scale: panels compare by height
    for i, ann in enumerate(layout.get("annotations", [])):
        ann["font"] = {"color": colour_of(colours, ann["text"], i), "size": 14}
    for row in range(1, n + 1):
        layout[f"xaxis{axis_ids(row)[0][1:]}"] |= DATE_AXIS
    layout[f"xaxis{axis_ids(n)[0][1:]}"]["title"] = {"text": "Month"}
    layout["legend"] = {"title": {"text": "Route (export terminal)"}, "traceorder": "reversed"}
    layout["hovermode"] = "x unified"
    if monthly_routes.empty:
        layout.setdefault("annotations", []).append(note("No exports recorded"))
    return finish(data, layout, "Exports by route (export terminal), Mt per month", 180 + 240 * n)
