"""Charts of one run: the policy timeline and the bottlenecks (utilisation and waiting times)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from potashsim.contract import COLUMNS, TIMELINE, UTILISATION
from potashsim.report.charts.source import Source, label_of, tidy
from potashsim.report.charts.style import (
    ACTOR_PALETTE,
    DATE_AXIS,
    MT,
    ROUTE_PALETTE,
    Fig,
    axis_ids,
    data_array,
    figure_function,
    finish,
    hline,
    note,
    palette_map,
    require,
    subplot_layout,
    trace_dict,
    update,
)

#: Policy states drawn in the timeline and their fill pattern.
STATE_PATTERN = {"closed": "", "discount": "/", "capacity": ".", "cost": "x"}
#: Bars narrower than their label (estimated at this plot width) carry the label in hover only.
_PLOT_WIDTH_PX = 760
_CHAR_PX = 6.6
NO_POLICY = "No policy measures in this scenario."


def policy_intervals(timeline: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``timeline.csv`` that are policy measures, sorted by start, kind and target.

    A measure has a state in :data:`STATE_PATTERN` and an ``actor``; rows without an actor are
    the network's own data (e.g. a terminal not yet built), not policy.
    """
    require(timeline, COLUMNS[TIMELINE], TIMELINE)
    rows = timeline[
        timeline["state"].isin(list(STATE_PATTERN))
        & timeline["actor"].fillna("").astype(str).str.strip().ne("")
    ]
    return rows.sort_values(["start", "kind", "target"], kind="stable")


@figure_function
def policy_timeline_chart(
    timeline: Source,
    *,
    scenario: str | None = None,
    horizon: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    actors: Mapping[str, str] | None = None,
) -> Fig:
    """Gantt of policy measures (closures, discounts, capacity limits, costs), coloured by actor.

    Args:
        timeline: ``timeline.csv`` with ``start``/``end`` as datetimes (``end`` inclusive); or
            a run, a comparison (the run of ``scenario``, default the base) or a results folder.
        scenario: scenario name for the title (and which of a comparison's runs); default the
            run's own.
        horizon: first and last day of the run; fixes the date axis so that timelines of
            several scenarios line up. Default: the span of the bars.
        actors: actor colour map (so an actor keeps its colour across scenarios); default
            Tol's muted colours in order of appearance.

    Returns:
        One horizontal bar trace per actor; ``base`` = start, ``x`` = duration in ms on a date
        axis; y = ``"target (kind)"``, with ``" · actor"`` added where several actors act on
        the same target, so that no bar hides another. The fill pattern shows the state (solid =
        closed, ``/`` = discount, ``.`` = capacity, ``x`` = cost). A bar's text states it with
        its unit, or is empty when the bar is too short to hold it (hover always has it).
        Without measures the figure has no data and says :data:`NO_POLICY`.
    """
    scenario = label_of(timeline, scenario) or ""
    rows = policy_intervals(tidy(timeline, "timeline", scenario=scenario or None))
    rows = rows.assign(
        label=_row_labels(rows),
        state_text=pd.Series(
            [_policy_text(r) for r in rows.itertuples()], index=rows.index, dtype=str
        ),
        days=(rows["end"] - rows["start"]).dt.days + 1,
    )
    first, last = horizon if horizon is not None else (rows["start"].min(), rows["end"].max())
    span_days = (last - first).days + 1 if pd.notna(first) else 1
    width_px = rows["days"] * _PLOT_WIDTH_PX / span_days
    fits = width_px >= rows["state_text"].str.len() * _CHAR_PX + 10
    rows["text"] = rows["state_text"].where(fits, "")  # too short: the label is in hover only
    names = list(dict.fromkeys(rows["actor"].astype(str)))
    colours = {**palette_map(names, ACTOR_PALETTE), **(actors or {})}
    data = []
    for actor in names:
        part = rows[rows["actor"].astype(str).eq(actor)]
        data.append(
            trace_dict(
                "bar",
                orientation="h",
                name=actor,
                base=part["start"].dt.strftime("%Y-%m-%d").tolist(),
                x=(part["days"] * 86_400_000).tolist(),
                y=part["label"].tolist(),
                marker={
                    "color": colours[actor],
                    "pattern": {
                        "shape": [STATE_PATTERN[s] for s in part["state"]],
                        "fgcolor": "white",
                        "fgopacity": 0.45,  # faint enough for the bar's text to stay legible
                        "size": 8,
                        "solidity": 0.25,
                    },
                },
                text=part["text"].tolist(),
                textposition="inside",
                insidetextanchor="start",
                textfont={"size": 11},
                customdata=[
                    list(row)
                    for row in zip(
                        part["start"].dt.strftime("%d %b %Y"),
                        part["end"].dt.strftime("%d %b %Y"),
                        part["action"].fillna("").astype(str),
                        part["state_text"],
                        strict=True,
                    )
                ],
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{actor}: %{{customdata[2]}}, %{{customdata[3]}}"
                    "<br>%{customdata[0]} to %{customdata[1]}<extra></extra>"
                ),
            )
        )
    # the keys in the order plotly's update_layout leaves them
    layout: dict[str, Any] = {
        "legend": {"title": {"text": "Actor"}},
        "uniformtext": {"mode": "hide", "minsize": 10},  # a label that does not fit is dropped
        "barmode": "overlay",
        "xaxis": {"title": {"text": "Date"}, **DATE_AXIS},
        "yaxis": {
            "title": {"text": ""},
            "categoryorder": "array",
            "categoryarray": _row_order(rows)[::-1],
            "automargin": True,
        },
    }
    if horizon is not None:
        layout["xaxis"]["range"] = [horizon[0], horizon[1] + pd.Timedelta(days=1)]
    if rows.empty:
        layout["yaxis"] |= {"showticklabels": False, "showgrid": False, "zeroline": False}
        layout["annotations"] = [note(NO_POLICY)]
    height = 200 + 34 * max(rows["label"].nunique(), 2)
    return finish(
        data,
        layout,
        f"Policy measures in force, {scenario} "
        "(solid = closed, /// = buyer discount, dots = capacity limit)",
        height,
    )


def _row_labels(rows: pd.DataFrame) -> list[str]:
    target = (
        rows["target"]
        .astype(str)
        .where(~(rows["kind"].eq("market") & rows["target"].eq("all")), "all markets")
    )
    label = target + " (" + rows["kind"].astype(str) + ")"
    shared = rows.groupby(["kind", "target"])["actor"].transform("nunique").gt(1)
    return [str(x) for x in label.where(~shared, label + " · " + rows["actor"].astype(str))]


def _row_order(rows: pd.DataFrame) -> list[str]:
    # By the target's first measure, so the rows of one target (one per actor) stay together.
    first = rows.groupby(["kind", "target"])["start"].transform("min")
    ordered = rows.assign(first=first).sort_values(["first", "kind", "target", "start"])
    return list(dict.fromkeys(ordered["label"]))


def _policy_text(row: Any) -> str:
    value = float(row.value) if pd.notna(row.value) else None
    if row.state == "discount" and value is None:
        return "discount, each market's own"  # markets.*.sanctions_discount_usd_per_t
    if value is None or row.state == "closed":
        return str(row.state)
    if row.state == "capacity":
        if row.kind == "link":
            return f"capacity {value:,.4g} trains/day"
        return f"capacity {value / MT:,.4g} Mt/yr"
    return f"{row.state} {value:,.4g} USD/t"  # discount or cost


# --------------------------------------------------------------------------- bottlenecks


def busiest_facilities(
    utilisation: pd.DataFrame, *, top: int = 3, min_share: float = 0.05
) -> dict[str, list[str]]:
    """The facilities the bottleneck chart draws: the busiest of those that carry a real share.

    Per group (``"link"``: rail links, by trains; ``"terminal"``: ports and border crossings,
    by tonnes), facilities that carried at least ``min_share`` of the group's ``used`` over the
    horizon, and of those the ``top`` with the highest mean monthly utilisation (months with
    capacity). Small facilities, where one train or ship lot is a month's capacity, stay out.
    Utilisation is against the capacity available (``utilisation_available``) when the table
    has it, else against the nominal capacity (:func:`share_column`).
    """
    column = share_column(utilisation)
    require(utilisation, ("kind", "facility", "used", column), UTILISATION)
    out = {}
    for group, kinds in (("link", ["link"]), ("terminal", ["port", "border"])):
        frame = utilisation[utilisation["kind"].isin(kinds)]
        used = frame.groupby("facility")["used"].sum()
        big = used[used >= min_share * used.sum()].index if used.sum() > 0 else used.index[:0]
        busy = frame[frame["facility"].isin(big)].groupby("facility")[column].mean()
        out[group] = [str(f) for f in busy.fillna(0.0).sort_values(ascending=False).index[:top]]
    return out


def share_column(utilisation: pd.DataFrame) -> str:
    """The utilisation the bottleneck charts draw: against the capacity available
    (``utilisation_available``: closures, ice, the dispatcher's plan) when the table holds it,
    else against the nominal capacity (``utilisation``)."""
    return "utilisation_available" if "utilisation_available" in utilisation else "utilisation"


def rolling_utilisation(part: pd.DataFrame, months: int = 3) -> pd.Series:
    """One facility's utilisation in % (:func:`share_column`), as a centred ``months``-month
    rolling mean by month.

    The mean is over the months in the window that had capacity; months with no capacity
    (closed) stay NaN, so the line has a gap there.
    """
    util = part.set_index("month")[share_column(part)].sort_index() * 100
    smooth = util.rolling(months, center=True, min_periods=1).mean()
    return smooth.where(util.notna())


@figure_function
def bottleneck_chart(
    utilisation: Source,
    *,
    scenario: str | None = None,
    top: int = 3,
    min_share: float = 0.05,
    colours: Mapping[str, str] | None = None,
) -> Fig:
    """Utilisation of the capacity available on the busiest rail links and ports/borders over
    time, and mean waiting days.

    Args:
        utilisation: ``utilisation.csv`` (``month`` datetime, ``kind``, ``facility``, ``used``,
            ``utilisation_available`` 0..1 or NaN when nothing was available, ``utilisation``
            against the nominal capacity, ``mean_wait_days``); a table without
            ``utilisation_available`` is drawn against the nominal capacity, and says so. Or a
            run, a comparison (the run of ``scenario``, default the base) or a results folder.
        scenario: scenario name for the title (and which of a comparison's runs); default the
            run's own.
        top, min_share: which facilities are drawn, see :func:`busiest_facilities`.
        colours: facility colour map (so a facility keeps its colour across scenarios).

    Returns:
        Three rows sharing the date axis: links' utilisation in % (centred 3-month rolling
        mean, :func:`rolling_utilisation`), ports' and borders' likewise, and the monthly mean
        waiting days of the drawn facilities. Gaps are months with zero capacity (closed).
        One colour per facility across the rows; the raw monthly utilisation (and, against the
        available capacity, the one against the nominal capacity) is in the hover.
    """
    scenario = label_of(utilisation, scenario) or ""
    utilisation = tidy(utilisation, "utilisation", scenario=scenario or None)
    column = share_column(utilisation)
    columns = ("month", "kind", "facility", "used", "utilisation", column, "mean_wait_days")
    require(utilisation, columns, UTILISATION)
    of = "available capacity" if column == "utilisation_available" else "nominal capacity"
    chosen = busiest_facilities(utilisation, top=top, min_share=min_share)
    names = chosen["link"] + chosen["terminal"]
    colour_map = {**palette_map(names, ROUTE_PALETTE), **(colours or {})}
    layout = subplot_layout(
        3,
        [
            f"Rail links: use of the {of} (3-month rolling mean)",
            f"Ports and border crossings: use of the {of} (3-month rolling mean)",
            "Mean waiting time of trains and ships (monthly)",
        ],
        vertical_spacing=0.07,
        shared_xaxes=True,
    )
    data: list[dict[str, Any]] = []
    for row, facility in [(1, f) for f in chosen["link"]] + [(2, f) for f in chosen["terminal"]]:
        part = utilisation[utilisation["facility"].eq(facility)].sort_values("month")
        smooth = rolling_utilisation(part)
        common: dict[str, Any] = {
            "x": data_array(part["month"]),
            "name": f"{facility} ({part['kind'].iloc[0]})",
            "legendgroup": facility,
            "mode": "lines",
            "line": {"color": colour_map[facility], "width": 2 if row < 3 else 1.5},
        }
        nominal = (
            "" if column == "utilisation" else ", %{customdata[1]:.0f} % of the nominal capacity"
        )
        data.append(
            trace_dict(
                "scatter",
                y=data_array(smooth.to_numpy()),
                customdata=data_array(part[[column, "utilisation"]].to_numpy() * 100),
                connectgaps=False,
                hovertemplate=f"{facility} %{{x|%b %Y}}: %{{y:.0f}} % of the {of} (3-month "
                f"mean), %{{customdata[0]:.0f}} % that month{nominal}<extra></extra>",
                **common,
            )
            | dict(zip(("xaxis", "yaxis"), axis_ids(row), strict=True))
        )
        data.append(
            trace_dict(
                "scatter",
                y=data_array(part["mean_wait_days"].where(part[column].notna())),
                showlegend=False,
                hovertemplate=f"{facility} %{{x|%b %Y}}: %{{y:.2f}} days<extra></extra>",
                **common,
            )
            | {"xaxis": "x3", "yaxis": "y3"}
        )
    top_pct = max(
        [115.0, *(1.08 * float(pd.Series(t["y"]).max()) for t in data if t["yaxis"] != "y3")]
    )
    shapes = []
    for row in (1, 2):
        shapes.append(hline(100, {"color": "#888888", "width": 1, "dash": "dash"}, row))
        layout["shapes"] = shapes
        update(layout[f"yaxis{axis_ids(row)[1][1:]}"], _axis_title(f"% of {of}"))
        layout[f"yaxis{axis_ids(row)[1][1:]}"]["range"] = [0, top_pct]
    update(layout["yaxis3"], {**_axis_title("Mean wait, days"), "rangemode": "tozero"})
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        update(layout[axis], DATE_AXIS)
    update(layout["xaxis3"], _axis_title("Month"))
    layout["legend"] = _axis_title("Facility")
    if utilisation.empty:
        layout["annotations"].append(note("No utilisation data"))
    return finish(
        data,
        layout,
        f"Bottlenecks, {scenario}: use of the {of} on the busiest links and terminals "
        "(%, dashed = all of it) and waiting time (days)",
        820,
    )


def _axis_title(text: str) -> dict[str, Any]:
    return {"title": {"text": text}}
