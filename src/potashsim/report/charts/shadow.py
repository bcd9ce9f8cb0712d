"""Shadow prices of one run: which limit would have earned most from one more unit, year by year.

Reads the contract's ``shadow_prices.csv`` (one row per dispatch period and limit). A period's
``value_usd`` is the netback one more train a day (rail links) or Mt a year (terminals, the
mines' supply) would have added in that period; a year's sum is what one more unit held all
year would have earned. Trains and Mt do not compare, so each is ranked on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from potashsim.contract import COLUMNS, PER_MT_A_YEAR, PER_TRAIN_A_DAY, SHADOW_PRICES
from potashsim.report.charts.source import Source, label_of, tidy
from potashsim.report.charts.style import (
    MT,
    Fig,
    axis_ids,
    data_array,
    figure_function,
    finish,
    note,
    require,
    subplot_layout,
    trace_dict,
)

__all__ = [
    "CAPACITY_KINDS",
    "PER_TEXT",
    "limit_label",
    "shadow_price_chart",
    "shadow_price_ranking",
]

#: The limits the report ranks: capacities one could add. A market's demand steps are in the CSV
#: file but are not a capacity.
CAPACITY_KINDS = ("link", "port", "border", "supply")
#: How each ``per`` is said in titles and tables.
PER_TEXT = {
    PER_TRAIN_A_DAY: "one more train a day",
    PER_MT_A_YEAR: "one more Mt a year",
}
_GROUPS = (
    (PER_TRAIN_A_DAY, "Rail links: USD m of netback a year from one more train a day"),
    (PER_MT_A_YEAR, "Ports, borders and mine supply: USD m a year from one more Mt a year"),
)


def limit_label(constraint: str, kind: str) -> str:
    """How a limit is named in the chart and the table: ``ru_nw (link)``, ``mines' supply``."""
    return "mines' supply" if kind == "supply" else f"{constraint} ({kind})"


def shadow_price_ranking(
    shadow_prices: pd.DataFrame, *, kinds: Sequence[str] = CAPACITY_KINDS
) -> pd.DataFrame:
    """The limits that bound, ranked within each year by what one more unit would have earned.

    Args:
        shadow_prices: ``shadow_prices.csv`` (``period_start`` a date or datetime).
        kinds: the kinds ranked (default :data:`CAPACITY_KINDS`).

    Returns:
        ``year``, ``kind``, ``constraint``, ``per``, ``value_usd`` (summed over the periods that
        start in the year, USD), ``binding_periods`` (periods with a positive shadow price) and
        ``periods``, and ``rank`` (1 = worth most, within the year and ``per``). Limits that never
        bound in a year are left out of it.
    """
    require(shadow_prices, COLUMNS[SHADOW_PRICES], SHADOW_PRICES)
    cols = ["year", "kind", "constraint", "per", "value_usd", "binding_periods", "periods", "rank"]
    frame = shadow_prices[shadow_prices["kind"].isin(list(kinds))]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame = frame.assign(
        year=pd.to_datetime(frame["period_start"]).dt.year,
        binding=frame["shadow_usd_per_t"] > 0,
    )
    out = frame.groupby(["year", "kind", "constraint", "per"], as_index=False).agg(
        value_usd=("value_usd", "sum"),
        binding_periods=("binding", "sum"),
        periods=("binding", "size"),
    )
    out = out[out["value_usd"] > 0]
    out["rank"] = (
        out.groupby(["year", "per"])["value_usd"].rank(method="first", ascending=False).astype(int)
    )
    return out.sort_values(["year", "per", "rank"], ignore_index=True)[cols]


@figure_function
def shadow_price_chart(
    shadow_prices: Source,
    *,
    scenario: str | None = None,
    top: int = 8,
    ranking: pd.DataFrame | None = None,
) -> Fig:
    """Heatmaps of what one more unit of each limit would have earned, by year.

    Args:
        shadow_prices: ``shadow_prices.csv``; or a run (``run(..., shadow_prices=True)``), a
            comparison (the run of ``scenario``, default the base) or a results folder.
        scenario: scenario name for the title (and which of a comparison's runs); default the
            run's own.
        top: per panel, the limits worth most over the whole run, busiest at the top.
        ranking: :func:`shadow_price_ranking` of ``shadow_prices`` when the caller already has
            it (default: worked out here).

    Returns:
        Two panels: rail links (USD m a year from one more train a day) and ports, border
        crossings and the mines' supply (USD m a year from one more Mt a year); a cell is one
        year, its number the USD m, blank where the limit did not bind. The hover adds the
        year's rank and how many of its dispatch periods the limit bound.
    """
    scenario = label_of(shadow_prices, scenario) or ""
    shadow_prices = tidy(shadow_prices, "shadow_prices", scenario=scenario or None)
    if ranking is None:
        ranking = shadow_price_ranking(shadow_prices)
    layout = subplot_layout(2, [t for _, t in _GROUPS], vertical_spacing=0.16)
    data: list[dict[str, Any]] = []
    years = sorted(pd.to_datetime(shadow_prices["period_start"]).dt.year.unique())
    for row, (per, _title) in enumerate(_GROUPS, start=1):
        part = ranking[ranking["per"].eq(per)]
        if part.empty:
            continue
        total = part.groupby("constraint")["value_usd"].sum().sort_values(ascending=False)
        chosen = [str(c) for c in total.index[:top]][::-1]  # plotly draws the first row lowest
        cells = part.set_index(["constraint", "year"])
        value = cells["value_usd"].unstack().reindex(index=chosen, columns=years) / MT
        rank = cells["rank"].unstack().reindex(index=chosen, columns=years)
        bound = cells["binding_periods"].unstack().reindex(index=chosen, columns=years)
        kinds = part.drop_duplicates("constraint").set_index("constraint")["kind"]
        x_axis, y_axis = axis_ids(row)
        data.append(
            trace_dict(
                "heatmap",
                z=data_array(value.to_numpy()),
                x=[str(y) for y in years],
                y=[limit_label(c, str(kinds[c])) for c in chosen],
                customdata=data_array(np.dstack([rank.to_numpy(), bound.to_numpy()])),
                text=data_array(value.map(lambda v: "" if pd.isna(v) else f"{v:,.3g}").to_numpy()),
                texttemplate="%{text}",
                coloraxis=f"coloraxis{'' if row == 1 else row}",
                hovertemplate="%{y}, %{x}: USD %{z:,.2f} m from "
                + PER_TEXT[per]
                + " (rank %{customdata[0]}, bound in %{customdata[1]} periods)<extra></extra>",
            )
            | {"xaxis": x_axis, "yaxis": y_axis}
        )
    scale = [[0, "#fff5eb"], [1, "#b30000"]]
    # the keys in the order plotly leaves them (it treats coloraxis2 as a new subplot's)
    layout["coloraxis"] = {
        "colorbar": {"title": {"text": "USD m"}, "y": 0.79, "len": 0.4},
        "colorscale": scale,
    }
    layout["coloraxis2"] = {
        "colorscale": scale,
        "colorbar": {"title": {"text": "USD m"}, "y": 0.21, "len": 0.4},
    }
    if ranking.empty:
        layout["annotations"].append(note("No capacity limit bound in any dispatch period"))
    return finish(
        data,
        layout,
        f"Shadow prices, {scenario}: netback a year from one more unit of each limit",
        760,
    )
