"""Render a resolved scenario and its policy timeline as readable text tables."""

from __future__ import annotations

from collections.abc import Sequence

from potashsim.scenario import paths
from potashsim.scenario.schema import IceSpec, NetworkSpec, PricePoint, Scenario
from potashsim.sim.policy import build_calendar

__all__ = ["parameter_table", "render", "text_table"]


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned table; numbers right-aligned."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    numeric = [
        all(isinstance(r[i], int | float) or r[i] is None for r in rows) if rows else False
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join(
        [line(list(headers)), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    )


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def render(s: Scenario) -> str:
    """The scenario after ``extends``/``set``/``--set``, and who keeps what open or shut when."""
    net = s.network
    out = [
        f"scenario  {s.name}",
        f"          {s.description.strip()}",
        f"horizon   {s.horizon.start} .. {s.horizon.end}    seed {s.seed}    "
        f"stochastic {'yes' if s.stochastic else 'no'} ({len(s.uncertain)} uncertain inputs)",
        f"model     train {net.model.wagons_per_train} wagons x {net.model.wagon_payload_t:g} t; "
        f"ship lots {net.model.ship_lot_t:,.0f} t; dispatch every "
        f"{net.model.dispatch_interval_days} days ({net.model.dispatcher}); domestic "
        f"{net.model.domestic_t_per_year / 1e6:.2f} Mt/yr",
        "",
        "Mines",
        text_table(
            ["mine", "output from", "Mt/yr", "storage t"],
            [
                (k, st.from_date, st.output_t_per_year / 1e6, m.storage_t)
                for k, m in net.mines.items()
                for st in m.output_schedule
            ],
        ),
        "",
        "Rail links",
        text_table(
            ["link", "from", "to", "km", "days", "trains/day", "USD/t"],
            [
                (
                    k,
                    v.from_node,
                    v.to_node,
                    v.distance_km,
                    v.transit_days,
                    v.capacity_trains_per_day,
                    v.tariff_usd_per_t,
                )
                for k, v in net.links.items()
            ],
        ),
        "",
        "Ports",
        text_table(
            ["port", "Mt/yr", "storage t", "berths", "t/day/berth", "USD/t", "opens", "ice"],
            [
                (
                    k,
                    v.capacity_t_per_year / 1e6,
                    v.storage_t,
                    v.berths,
                    v.loading_t_per_day,
                    v.handling_usd_per_t,
                    ("never (not built)" if not v.built else v.opens_on or "from start"),
                    _ice(v.ice),
                )
                for k, v in net.ports.items()
            ],
        ),
        "",
        "Rail border crossings (deliver to the buyer)",
        text_table(
            ["border", "market", "Mt/yr", "USD/t", "onward days"],
            [
                (k, v.market, v.capacity_t_per_year / 1e6, v.handling_usd_per_t, v.onward_days)
                for k, v in net.borders.items()
            ],
        ),
        "",
        "Markets",
        text_table(
            [
                "market",
                "demand Mt/yr",
                "size Mt/yr",
                "first price",
                "last price",
                "after last",
                "series",
                "contract",
                "sanctions USD/t",
            ],
            [
                (
                    k,
                    v.demand_t_per_year / 1e6,
                    "" if v.size_t_per_year is None else v.size_t_per_year / 1e6,
                    _quote(v.prices[0]),
                    _quote(v.prices[-1]),
                    v.price_after_last_usd_per_t,
                    v.price_basis,
                    f"{v.contract_share:.0%}",
                    v.sanctions_discount_usd_per_t,
                )
                for k, v in net.markets.items()
            ],
        ),
        _world_line(net),
        "",
        f"Events ({len(s.events)})",
        text_table(
            ["date", "actor", "action", "target", "value", "source"],
            [
                (
                    e.date,
                    e.actor,
                    e.action,
                    getattr(e, "target", "") or "",
                    _event_value(e),
                    e.source or "",
                )
                for e in s.events
            ],
        ),
        "",
        "Policy timeline: everything not in its normal state, with the measure that causes it",
        text_table(
            ["from", "to", "what", "state", "value", "by", "measure", "source"],
            [
                (
                    i.start,
                    i.end,
                    f"{i.kind}:{i.target}",
                    i.state,
                    i.value,
                    i.actor or "-",
                    i.action,
                    i.source,
                )
                for i in build_calendar(s).intervals
            ],
        ),
    ]
    return "\n".join(out)


def parameter_table(s: Scenario) -> str:
    """Every cited network parameter as Markdown: path, value, uncertainty, source or estimate."""
    tree = s.network.model_dump(mode="json")
    rows = ["| parameter | value | drawn from | source / estimate |", "|---|---|---|---|"]
    for path in sorted(s.provenance):
        node = paths.get(tree, path)
        dist = s.uncertain.get(path)
        spread = ""
        if dist is not None:
            spread = (
                f"{dist.dist} {_fmt(dist.low)}–{_fmt(dist.high)}"
                if dist.low is not None and dist.high is not None
                else dist.dist
            )
        cite = s.provenance[path].replace("|", "/")
        rows.append(
            f"| `{path}` | {_fmt(node) if not isinstance(node, str) else node} | "
            f"{spread} | {cite} |"
        )
    return "\n".join(rows)


def _ice(ice: IceSpec | None) -> str:
    if ice is None:
        return ""
    return f"{ice.start_month_day}..{ice.end_month_day} x{ice.turnaround_factor:.2f}"


def _quote(p: PricePoint) -> str:
    return f"{p.usd_per_t:g} ({p.date})"


def _world_line(net: NetworkSpec) -> str:
    """How prices answer Belarusian supply, in one line (docs/model.md, "Prices and markets")."""
    w = net.world
    if net.model.price_response == "off" or w is None:
        return "prices   fixed: the observed series; each market a cap at its demand"
    return (
        f"prices   answer Belarusian supply against {w.reference_scenario}: world "
        f"{w.size_t_per_year / 1e6:g} Mt/yr, demand elasticity {w.demand_elasticity:g}, rivals "
        f"{w.rival_supply_elasticity:g}, so {w.response_t_per_year / 1e6:.1f} Mt/yr more moves "
        f"prices by a factor 1/e; switching {w.switching_elasticity:g}; window {w.window_days} d"
    )


def _event_value(e: object) -> str:
    for field in (
        "capacity_trains_per_day",
        "capacity_t_per_year",
        "cost_usd_per_t",
        "discount_usd_per_t",
    ):
        v = getattr(e, field, None)
        if v is not None:
            return f"{field} = {_fmt(float(v))}"
    if getattr(e, "action", None) == "discount":
        return "each market's sanctions_discount_usd_per_t"
    return ""
