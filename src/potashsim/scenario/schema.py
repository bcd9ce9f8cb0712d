"""The schema of a valid scenario: network, model settings, policy events (pydantic, no file I/O).

Every model is strict and frozen: unknown keys are errors, values cannot change after loading.
Units are in the field names. Cross-references (an event naming a link that does not exist) are
checked in ``Scenario``'s after-validator, so a ``Scenario`` object is always internally consistent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from potashsim.contract import BASE_COLOUR, SCENARIO_PALETTE
from potashsim.scenario.graph import has_target, rail_paths, target_ids
from potashsim.text import did_you_mean

__all__ = [
    "ACTORS",
    "ID_PATTERN",
    "MEASURES",
    "TARGET_KINDS",
    "TARGET_PATTERN",
    "BorderSpec",
    "Colour",
    "Distribution",
    "Event",
    "Expectation",
    "Horizon",
    "IceSpec",
    "LaneSpec",
    "LinkSpec",
    "MarketSpec",
    "MineSpec",
    "ModelSpec",
    "NetworkSpec",
    "NodeSpec",
    "NormalDistribution",
    "OutputStep",
    "PortSpec",
    "PricePoint",
    "Scenario",
    "ScenarioFile",
    "TriangularDistribution",
    "UniformDistribution",
    "WorldMarketSpec",
]

Actor = Literal[
    "US",
    "EU",
    "UK",
    "Lithuania",
    "Ukraine",
    "Latvia",
    "Poland",
    "Belarus",
    "Russia",
    "Kazakhstan",
    "China",
    "Canada",
    "Other",
]
ACTORS: tuple[str, ...] = get_args(Actor)  # the one list of actors is the Literal above
TARGET_KINDS = ("link", "port", "border", "market", "lane", "mine")
MEASURES = ("close", "set_capacity", "set_cost", "discount")
"""The event actions that put a measure in force (a lift, reopen or remove_discount ends one)."""

_ID = r"[a-z][a-z0-9_]*"
ID_PATTERN = f"^{_ID}$"
MAX_ID_LENGTH = 64
"""Longest id or scenario name: a name becomes a results folder, and file systems cap a name at
255 bytes."""
Id = Annotated[
    str,
    Field(pattern=ID_PATTERN, max_length=MAX_ID_LENGTH, description="lower_snake_case identifier"),
]

# Every number is finite (``Strict`` refuses .inf and .nan); where a unit makes a bound obvious,
# a generous one keeps a typo (or a fuzzer) from reaching the engine as an absurd run. The
# bounds are listed in docs/security.md.
MAX_DAYS = 3650
"""Longest transit, voyage, onward journey or price lag: ten years."""
MAX_TRAINS_PER_DAY = 1000
"""Most trains a day on one link (a busy double-track line runs about 100)."""
MAX_USD_PER_T = 100_000
"""Highest price, tariff, fee, freight or discount, USD a tonne (potash sells at 200-1,000)."""
MAX_TONNES = 1e9
"""Most tonnes a year (output, capacity, demand, market size) or in store: about fifteen times
the world's potash trade."""
MAX_COUNT = 1000
"""Most berths at a port or wagons in a train."""
MAX_KM = 50_000
"""Longest link: more than once round the Earth."""

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Days = Annotated[float, Field(gt=0, le=MAX_DAYS)]
DaysOrZero = Annotated[float, Field(ge=0, le=MAX_DAYS)]
LagDays = Annotated[int, Field(ge=0, le=MAX_DAYS)]
TrainsPerDay = Annotated[float, Field(gt=0, le=MAX_TRAINS_PER_DAY)]
TrainsPerDayOrZero = Annotated[float, Field(ge=0, le=MAX_TRAINS_PER_DAY)]
UsdPerT = Annotated[float, Field(ge=0, le=MAX_USD_PER_T)]
PriceUsdPerT = Annotated[float, Field(gt=0, le=MAX_USD_PER_T)]
Tonnes = Annotated[float, Field(ge=0, le=MAX_TONNES)]
PositiveTonnes = Annotated[float, Field(gt=0, le=MAX_TONNES)]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _colour(v: Any) -> Any:
    """``#rrggbb``, upper case; None only where the key is absent (an unquoted ``#`` in YAML
    starts a comment and leaves the key empty)."""
    if v is None:
        raise ValueError(
            'should be a quoted colour like "#332288" (YAML reads an unquoted # as the start of '
            "a comment, which leaves the key empty)"
        )
    if not isinstance(v, str) or not _HEX_COLOUR.match(v):
        raise ValueError('should be a colour like "#332288": # and six hex digits')
    return v.upper()


Colour = Annotated[
    str | None,
    BeforeValidator(_colour),
    Field(description='a colour "#rrggbb" for charts (presentation only: no source, no result)'),
]
"""How charts draw a route or a market in every report; kept apart from the scenario colours."""


class Strict(BaseModel):
    """Base of every schema model: unknown keys rejected, immutable, attribute docs in schema."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, allow_inf_nan=False
    )


class _DistributionBase(Strict):
    """The parameters any distribution may carry; each kind below requires its own.

    A parameter its kind does not use (``sd`` of a uniform) is accepted and ignored, as it
    always was: the resolved scenario, and so its hash and the run folder names, stay the same.
    """

    dist: str
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: NonNegative | None = None

    @model_validator(mode="after")
    def _order(self) -> _DistributionBase:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


class UniformDistribution(_DistributionBase):
    """Any value in [low, high] equally likely; the point value is the midpoint."""

    dist: Literal["uniform"]
    low: float
    high: float

    @property
    def point(self) -> float:
        """The value a deterministic run uses."""
        return (self.low + self.high) / 2


class TriangularDistribution(_DistributionBase):
    """From low to high, most likely at mode; the point value is the mode."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _mode_inside(self) -> TriangularDistribution:
        if not (self.low <= self.mode <= self.high):
            raise ValueError(f"mode ({self.mode}) must lie between low and high")
        return self

    @property
    def point(self) -> float:
        """The value a deterministic run uses."""
        return self.mode


class NormalDistribution(_DistributionBase):
    """Mean and standard deviation, clipped to [low, high] when given; the point value is the
    mean."""

    dist: Literal["normal"]
    mean: float
    sd: NonNegative

    @property
    def point(self) -> float:
        """The value a deterministic run uses."""
        return self.mean


Distribution = Annotated[
    UniformDistribution | TriangularDistribution | NormalDistribution,
    Field(discriminator="dist"),
]
"""An uncertain number, drawn once per replication from the run's seed; ``dist`` picks the kind."""


MAX_HORIZON_YEARS = 50
"""Longest horizon: a run simulates every day, so a horizon to 9999 would run for hours."""
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""A horizon lies between these (the engine looks back from the start by the price lags)."""


class Horizon(Strict):
    """The simulated period, both dates included: ``start == end`` is a one-day horizon."""

    start: Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
    end: Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]

    @model_validator(mode="after")
    def _order(self) -> Horizon:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if self.end >= _add_years(self.start, MAX_HORIZON_YEARS):
            raise ValueError(
                f"{self.start}..{self.end} is longer than {MAX_HORIZON_YEARS} years, the longest "
                "horizon potashsim runs"
            )
        return self


def _add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class NodeSpec(Strict):
    """A place on the rail network (mine, junction, border crossing or port)."""

    name: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class OutputStep(Strict):
    """Planned mine output from a date on (until the next step)."""

    from_date: dt.date
    output_t_per_year: Tonnes


class MineSpec(Strict):
    """A mine producing daily into its own storage; output above free storage is curtailed."""

    name: str
    node: Id
    output_schedule: tuple[OutputStep, ...] = Field(min_length=1)
    """Planned output in tonnes of KCl product a year, by date; zero before the first step."""
    storage_t: PositiveTonnes
    """Mine warehouse capacity, tonnes."""
    initial_stock_t: Tonnes = 0.0

    @model_validator(mode="after")
    def _check(self) -> MineSpec:
        dates = [s.from_date for s in self.output_schedule]
        if dates != sorted(dates):
            raise ValueError("output_schedule dates must be in increasing order")
        _check_stock(self.initial_stock_t, self.storage_t)
        return self


def _check_stock(initial_stock_t: float, storage_t: float) -> None:
    if initial_stock_t > storage_t:
        raise ValueError(
            f"initial_stock_t ({initial_stock_t:,.0f} t) exceeds storage_t ({storage_t:,.0f} t)"
        )


class LinkSpec(Strict):
    """A rail corridor section between two nodes, with its own daily train capacity."""

    from_node: Id
    to_node: Id
    country: str
    distance_km: Annotated[float, Field(gt=0, le=MAX_KM)]
    transit_days: Days
    """Mean running time, days; each train's time varies by ``model.transit_spread``."""
    capacity_trains_per_day: TrainsPerDay
    """Trains that may enter the section per day (for Belarusian potash)."""
    tariff_usd_per_t: UsdPerT


class IceSpec(Strict):
    """An annual ice season during which ship cycles at the port are slower."""

    start_month_day: str
    """First day of the season, ``MM-DD``; a season may run over New Year."""
    end_month_day: str
    """Last day of the season, ``MM-DD``."""
    turnaround_factor: Annotated[float, Field(ge=1, le=100)]
    """Berth time and effective throughput divisor during the season (1.2 = 20% slower)."""

    @field_validator("start_month_day", "end_month_day")
    @classmethod
    def _month_day(cls, v: str) -> str:
        if not _MONTH_DAY.match(v):
            raise ValueError(f"{v!r} is not a month-day like '01-15'")
        return v


class PortSpec(Strict):
    """A sea terminal: rail cars unload into storage, ships load lots at berths."""

    name: str
    node: Id
    sea_region: Id
    capacity_t_per_year: Tonnes
    """Throughput available to Belarusian cargo, tonnes a year."""
    storage_t: PositiveTonnes
    berths: Count
    loading_t_per_day: PositiveTonnes
    """Loading rate of one berth, tonnes a day."""
    handling_usd_per_t: UsdPerT
    opens_on: dt.date | None = None
    """First day the terminal can take Belarusian cargo; None = open from the start."""
    built: bool = True
    """False for an announced terminal that this scenario does not build (it never opens)."""
    ice: IceSpec | None = None
    initial_stock_t: Tonnes = 0.0
    colour: Colour = None
    """The route's colour in every chart; none: one the report picks."""

    @model_validator(mode="after")
    def _stock(self) -> PortSpec:
        _check_stock(self.initial_stock_t, self.storage_t)
        return self


class BorderSpec(Strict):
    """A rail border crossing that delivers straight to a buyer (rail to China)."""

    name: str
    node: Id
    market: Id
    capacity_t_per_year: Tonnes
    handling_usd_per_t: UsdPerT
    """Transshipment and onward rail inside the buyer's country, USD a tonne."""
    onward_days: DaysOrZero
    opens_on: dt.date | None = None
    colour: Colour = None
    """The route's colour in every chart; none: one the report picks."""


class PricePoint(Strict):
    """A market price from a date on."""

    date: dt.date
    usd_per_t: PriceUsdPerT


class MarketSpec(Strict):
    """A buyer region: its observed price series, how it buys, and how much it takes from Belarus.

    The observed series are what buyers paid given the Belarusian supply that actually reached
    the market; with ``model.price_response: on`` they move with the scenario's supply (see
    :class:`WorldMarketSpec`) and the tonnes each market takes follow a demand curve.
    """

    name: str
    lat: float
    lon: float
    demand_t_per_year: Tonnes
    """Belarusian tonnes a year this market takes at the quoted price (its 2021 purchases). With
    the price response on, more can be sold at a deepening discount (``size_t_per_year``); with it
    off, this is a hard cap."""
    prices: tuple[PricePoint, ...] = Field(min_length=1)
    interpolation: Literal["step", "linear"] = "step"
    """``step`` for annual contracts; ``linear`` between spot quotes."""
    price_after_last_usd_per_t: PriceUsdPerT | None = None
    """Assumed price after the last quote; None keeps the last quote."""
    size_t_per_year: PositiveTonnes | None = None
    """The market's potash imports from every origin, t a year: how deep it is. Pushing an extra
    tonne of Belarusian potash into it lowers the price there by 1 / (switching elasticity × size)
    in log terms. Needed when the price response is on."""
    price_basis: Literal["spot", "contract"] = "spot"
    """What the observed series is: ``spot`` quotes, or the ``contract`` price in force."""
    contract_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of the market's tonnes bought on annual (term) contracts; the rest buys spot."""
    spot_lag_days: LagDays = 0
    """Days from a spot deal to delivery: a spot tonne delivered on day t pays the spot price of
    day t − lag."""
    contract_lag_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 1
    """How far a term contract's price trails the spot series it is negotiated from, in days (the
    contract pays the mean spot price over that many days; for a ``spot`` basis series only)."""
    sanctions_discount_usd_per_t: UsdPerT = 0.0
    """Discount buyers here demand for sanctioned potash while a ``discount`` measure without its
    own value is in force (USD a tonne)."""
    colour: Colour = None
    """The market's colour in every chart; none: one the report picks."""

    @model_validator(mode="after")
    def _sorted(self) -> MarketSpec:
        dates = [p.date for p in self.prices]
        if dates != sorted(dates):
            raise ValueError("prices must be in increasing date order")
        return self


class WorldMarketSpec(Strict):
    """The world potash market around Belarusian supply: how much prices answer back.

    The observed prices are the anchor: they cleared the market with the Belarusian supply of the
    ``reference_scenario``. A scenario that supplies ΔS t a year more (over the trailing
    ``window_days``) moves every price by exp(−ΔS / K), with K = |demand elasticity| × world size +
    rival supply elasticity × rivals' supply: the log-linear solution of world demand = rivals'
    supply + Belarusian supply around the observed point.
    """

    size_t_per_year: PositiveTonnes
    """World potash (KCl) sales, t a year."""
    belarus_share: Annotated[float, Field(gt=0, lt=1)]
    """Belarus's share of world supply before 2022; rivals supply the rest."""
    demand_elasticity: float
    """Own-price elasticity of world potash demand (negative)."""
    rival_supply_elasticity: NonNegative
    """How much rival producers' output rises with the price (Canada's idle capacity, Laos)."""
    switching_elasticity: Positive
    """How readily buyers in one market switch between origins: sets the discount Belarus must give
    to place tonnes beyond a market's ``demand_t_per_year`` (see ``MarketSpec.size_t_per_year``)."""
    window_days: Annotated[int, Field(ge=7, le=365)] = 90
    """Trailing window over which supply differences move the price, days."""
    spot_market: Id = "brazil"
    """The market whose series stands for the world spot price (for the spot share of markets
    whose own series is a contract price)."""
    reference_scenario: str = "history"
    """The shipped scenario whose Belarusian exports the observed prices paid for (run at point
    values with the prices held at the observed series)."""

    @field_validator("demand_elasticity")
    @classmethod
    def _negative(cls, v: float) -> float:
        if not v < 0:
            raise ValueError("a demand elasticity must be negative (a higher price, less demand)")
        return v

    @property
    def response_t_per_year(self) -> float:
        """K: the supply change (t a year) that moves prices by a factor e."""
        rivals = self.size_t_per_year * (1 - self.belarus_share)
        return (
            -self.demand_elasticity * self.size_t_per_year + self.rival_supply_elasticity * rivals
        )


class LaneSpec(Strict):
    """A sea lane from a port region to a market."""

    freight_usd_per_t: UsdPerT
    voyage_days: Days


class ModelSpec(Strict):
    """Settings of the model that are not places."""

    wagons_per_train: Count
    wagon_payload_t: Annotated[float, Field(gt=0, le=MAX_COUNT)]
    """Tonnes one wagon carries (a potash hopper carries about 70)."""
    ship_lot_t: PositiveTonnes
    dispatch_interval_days: Annotated[int, Field(ge=1, le=31)] = 7
    dispatcher: Literal["greedy", "lp"] = "greedy"
    """``lp``: optimal netback each period (HiGHS); ``greedy``: best pairs first, about
    three times faster and checked against the LP in the tests."""
    domestic_t_per_year: Tonnes = 0.0
    """Sales to Belarus and its land neighbours, taken from mine stock before export."""
    transit_spread: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Each train's running time is the link's mean × U(1 − spread, 1 + spread)."""
    granularity: Literal["train", "fast"] = "train"
    """How potash moves: ``train``, one SimPy process per train and per ship (the model of
    record); ``fast``, daily batches of trains and a daily loading step per port, with the same
    calendar, dispatcher, prices, random streams and accounts (:mod:`potashsim.sim.flows`), its
    days compiled to machine code: about ten times faster, for ensembles and sweeps."""
    price_response: Literal["on", "off"] = "on"
    """``on``: prices answer Belarusian supply (``world``), markets take tonnes along a demand
    curve, buyers pay contract and spot prices as they were set, and the dispatcher plans on the
    prices known on its day. ``off``: the observed prices at the sale date, each market a hard cap
    at ``demand_t_per_year``, the dispatcher pricing each sale at its date (the model before the
    price response, kept for comparison)."""

    @field_validator("price_response", mode="before")
    @classmethod
    def _on_off(cls, v: Any) -> Any:
        # YAML reads a bare on/off as true/false: `price_response: off` means "off"
        return ("on" if v else "off") if isinstance(v, bool) else v

    @property
    def train_payload_t(self) -> float:
        """Tonnes one train carries."""
        return self.wagons_per_train * self.wagon_payload_t


class NetworkSpec(Strict):
    """The physical and market network: where potash can go, at what cost and how fast."""

    nodes: dict[Id, NodeSpec]
    mines: dict[Id, MineSpec] = Field(min_length=1)
    links: dict[Id, LinkSpec] = Field(min_length=1)
    ports: dict[Id, PortSpec] = Field(default_factory=dict)
    borders: dict[Id, BorderSpec] = Field(default_factory=dict)
    markets: dict[Id, MarketSpec] = Field(min_length=1)
    lanes: dict[Id, dict[Id, LaneSpec]] = Field(default_factory=dict)
    """Sea lanes by sea region, then by market."""
    world: WorldMarketSpec | None = None
    """The world market the price response works in; needed when ``model.price_response`` is on."""
    model: ModelSpec

    @model_validator(mode="after")
    def _references(self) -> NetworkSpec:
        _raise_problems(network_problems(self))
        return self


def _raise_problems(problems: list[tuple[str, str]]) -> None:
    # One line per problem, "path: message", so the loader can place each one in its file.
    if problems:
        raise ValueError("\n".join(f"@{path}: {msg}" for path, msg in problems))


def network_problems(net: NetworkSpec) -> list[tuple[str, str]]:
    """Dangling references inside a network, as (dotted path, message) pairs."""
    problems: list[tuple[str, str]] = []
    for kind, items in (("mines", net.mines), ("ports", net.ports), ("borders", net.borders)):
        for key, item in items.items():
            if item.node not in net.nodes:
                problems.append((f"{kind}.{key}.node", f"unknown node {item.node!r}"))
    for key, link in net.links.items():
        for end in ("from_node", "to_node"):
            if getattr(link, end) not in net.nodes:
                problems.append((f"links.{key}.{end}", f"unknown node {getattr(link, end)!r}"))
    for key, border in net.borders.items():
        if border.market not in net.markets:
            problems.append((f"borders.{key}.market", f"unknown market {border.market!r}"))
    for key, port in net.ports.items():
        if port.sea_region not in net.lanes:
            problems.append(
                (f"ports.{key}.sea_region", f"no lanes for sea region {port.sea_region!r}")
            )
    for region, lanes in net.lanes.items():
        for market in lanes:
            if market not in net.markets:
                problems.append((f"lanes.{region}.{market}", f"unknown market {market!r}"))
    for key, port in net.ports.items():
        if port.storage_t < net.model.ship_lot_t:
            problems.append(
                (
                    f"ports.{key}.storage_t",
                    f"{port.storage_t:g} t cannot hold one "
                    f"ship lot (model.ship_lot_t = {net.model.ship_lot_t:g} t)",
                )
            )
    problems += _market_problems(net)
    problems += _colour_problems(net)
    if problems:
        return problems
    origins = {m.node for m in net.mines.values()}
    if len(origins) > 1:
        return [("mines", f"all mines must share one rail node, found {sorted(origins)}")]
    paths = rail_paths(net, origins.pop())
    for kind, items in (("ports", net.ports), ("borders", net.borders)):
        for key, item in items.items():
            if not paths.get(item.node):
                problems.append(
                    (
                        f"{kind}.{key}.node",
                        f"node {item.node!r} cannot be reached by rail from the mines",
                    )
                )
    return problems


def _colour_problems(net: NetworkSpec) -> list[tuple[str, str]]:
    """A route or market colour that is a scenario colour, or that another route (or market)
    already has: in a chart it would be mistaken for that scenario or that route."""
    scenario = {c.upper() for c in (BASE_COLOUR, *SCENARIO_PALETTE)}
    problems: list[tuple[str, str]] = []
    groups = (
        (
            "route",
            [("ports", k, v.colour) for k, v in net.ports.items()]
            + [("borders", k, v.colour) for k, v in net.borders.items()],
        ),
        ("market", [("markets", k, v.colour) for k, v in net.markets.items()]),
    )
    for what, items in groups:
        by_colour: dict[str, list[str]] = {}
        for table, key, colour in items:
            if colour in scenario:
                problems.append(
                    (
                        f"{table}.{key}.colour",
                        f"{colour} is a scenario colour in every chart; give the {what} another, "
                        f"so that it never looks like a scenario (the scenario colours are "
                        f"{', '.join(sorted(scenario))})",
                    )
                )
            elif colour is not None:
                by_colour.setdefault(colour, []).append(f"{table}.{key}")
        # said at each of them: the one the user just changed is not always the later one
        problems += [
            (
                f"{where}.colour",
                f"{colour} is also the colour of {', '.join(w for w in wheres if w != where)}; "
                f"each {what} needs its own",
            )
            for colour, wheres in by_colour.items()
            if len(wheres) > 1
            for where in wheres
        ]
    return problems


def _market_problems(net: NetworkSpec) -> list[tuple[str, str]]:
    """What the price response needs: a world market, a spot market that exists, market sizes."""
    if net.model.price_response == "off":
        return []
    if net.world is None:
        return [
            (
                "model.price_response",
                "the price response needs a `world:` section (world market size and "
                "elasticities); add one, or set model.price_response: off",
            )
        ]
    problems: list[tuple[str, str]] = []
    if net.world.spot_market not in net.markets:
        problems.append(("world.spot_market", f"unknown market {net.world.spot_market!r}"))
    for key, market in net.markets.items():
        if market.size_t_per_year is None:
            problems.append(
                (
                    f"markets.{key}.size_t_per_year",
                    "missing: the price response needs each market's size (its imports from "
                    "every origin, t a year)",
                )
            )
    return problems


def _known(kind: str, ids: list[str], most: int = 12) -> str:
    """``; the links are: a, b, ...``: what a misspelt target could have been, when no single id
    is close enough to suggest."""
    if not ids:
        return f"; the network has no {kind}s"
    shown = ", ".join(f"{kind}:{i}" for i in sorted(ids)[:most])
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return f"; the {kind}s are: {shown}{more}"


def event_problems(
    events: tuple[Any, ...] | list[Any], net: NetworkSpec, horizon: Horizon
) -> list[tuple[int, str, str]]:
    """Events outside the horizon or aimed at nothing, as (event index, field, message)."""
    problems: list[tuple[int, str, str]] = []
    for i, ev in enumerate(events):
        if not (horizon.start <= ev.date <= horizon.end):
            problems.append(
                (i, "date", f"{ev.date} is outside the horizon {horizon.start}..{horizon.end}")
            )
        target = getattr(ev, "target", None)
        if target is None:
            continue
        kind, _, ident = target.partition(":")
        if not has_target(net, kind, ident):
            ids = target_ids(net, kind)
            hint = did_you_mean(ident, ids, prefix=f"{kind}:") or _known(kind, ids)
            problems.append((i, "target", f"no {kind} {ident!r} in the network{hint}"))
    return problems


TARGET_PATTERN = rf"^(link|port|border|market|mine):{_ID}$|^lane:{_ID}\.{_ID}$"
Target = Annotated[
    str,
    Field(
        pattern=TARGET_PATTERN,
        description="kind:id, e.g. link:lt_transit, port:klaipeda, market:eu, market:all, "
        "lane:baltic_lt.brazil",
    ),
]


class _EventBase(Strict):
    date: dt.date
    actor: Actor
    id: Id | None = None
    """A name for the event, so that a scenario extending this one can drop it
    (``exclude_events``)."""
    source: str | None = None
    """Row ID in docs/facts.md (e.g. S9) or a citation."""
    note: str | None = None


class CloseEvent(_EventBase):
    """The actor closes a link, port, border crossing, lane or market to Belarusian potash."""

    action: Literal["close"]
    target: Target


class ReopenEvent(_EventBase):
    """The actor withdraws its own closure of a target (other actors' closures stay)."""

    action: Literal["reopen"]
    target: Target


class SetCapacityEvent(_EventBase):
    """The actor changes a capacity: a link's trains a day, a port's or border's tonnes a year."""

    action: Literal["set_capacity"]
    target: Target
    capacity_trains_per_day: TrainsPerDayOrZero | None = None
    capacity_t_per_year: Tonnes | None = None

    @model_validator(mode="after")
    def _one(self) -> SetCapacityEvent:
        kind = self.target.split(":")[0]
        want = "capacity_trains_per_day" if kind == "link" else "capacity_t_per_year"
        if kind not in ("link", "port", "border"):
            raise ValueError(f"set_capacity applies to link, port or border targets, not {kind}")
        other = ({"capacity_trains_per_day", "capacity_t_per_year"} - {want}).pop()
        if getattr(self, want) is None or getattr(self, other) is not None:
            raise ValueError(f"set_capacity on a {kind} takes {want} (and only that)")
        return self

    @property
    def value(self) -> float:
        """The new capacity in the target's unit."""
        v = (
            self.capacity_trains_per_day
            if self.capacity_trains_per_day is not None
            else self.capacity_t_per_year
        )
        return float(v)  # type: ignore[arg-type]


class SetCostEvent(_EventBase):
    """The actor sets a cost: a link's rail tariff, a port's handling fee or a lane's freight."""

    action: Literal["set_cost"]
    target: Target
    cost_usd_per_t: UsdPerT

    @model_validator(mode="after")
    def _kind(self) -> SetCostEvent:
        kind = self.target.split(":")[0]
        if kind not in ("link", "port", "border", "lane"):
            raise ValueError(f"set_cost applies to link, port, border or lane targets, not {kind}")
        return self


class DiscountEvent(_EventBase):
    """The actor's measure makes buyers in a market (or ``market:all``) demand a discount: the
    given ``discount_usd_per_t``, or without one each market's own
    ``sanctions_discount_usd_per_t`` (sourced per market, with its range)."""

    action: Literal["discount"]
    target: Target
    discount_usd_per_t: UsdPerT | None = None

    @model_validator(mode="after")
    def _kind(self) -> DiscountEvent:
        if not self.target.startswith("market:"):
            raise ValueError("discount applies to market targets (market:<id> or market:all)")
        return self


class RemoveDiscountEvent(_EventBase):
    """The actor withdraws its own discount measure on a market."""

    action: Literal["remove_discount"]
    target: Target


class LiftEvent(_EventBase):
    """The actor lifts every measure of its own in force on this date; others' stay."""

    action: Literal["lift"]


class NoteEvent(_EventBase):
    """A dated fact shown in the timeline with no effect on flows (say why in ``note``)."""

    action: Literal["note"]
    target: Target | None = None
    note: str


Event = Annotated[
    CloseEvent
    | ReopenEvent
    | SetCapacityEvent
    | SetCostEvent
    | DiscountEvent
    | RemoveDiscountEvent
    | LiftEvent
    | NoteEvent,
    Field(discriminator="action"),
]

SetValue = (
    # .inf and .nan pass here so that the network check reports them at the key they set
    Annotated[float, Field(allow_inf_nan=True)]
    | int
    | str
    | bool
    | dt.date
    | Distribution
    | dict[str, Any]
    | list[Any]
    | None
)


MAX_EVENTS = 5_000
"""Events one scenario file may hold: far more than any policy history needs, and a bound on the
time and on the warnings a file can cost."""


class Expectation(Strict):
    """What a scenario's run must show, checked by ``potashsim check``: a total (or one year's)
    between ``min`` and ``max``, or, with ``vs``, the difference from another scenario's run."""

    metric: Literal[
        "exported_t",
        "revenue_usd",
        "netback_usd",
        "logistics_cost_usd",
        "discount_usd",
        "produced_t",
        "curtailed_t",
    ]
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    """One calendar year of the horizon; none: the whole horizon."""
    vs: str | None = None
    """Another scenario (shipped name or path relative to this file): the expectation is on this
    scenario's value minus that one's, both run at point values with this scenario's seed."""
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Expectation:
        if self.min is None and self.max is None:
            raise ValueError("an expectation needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g})")
        return self


class ScenarioFile(Strict):
    """One scenario file as written by a user (before ``extends`` and ``set`` are resolved)."""

    name: Id
    description: str | None = None
    extends: str | None = None
    """Another scenario: a path relative to this file, or the name of a shipped scenario."""
    network: str | None = None
    """A network data file relative to this file; default: the network shipped with potashsim."""
    horizon: Horizon | None = None
    seed: Annotated[int, Field(ge=0)] | None = None
    stochastic: bool | None = None
    """Draw uncertain parameters per replication (true) or use their point values (false)."""
    exclude_actors: tuple[Actor, ...] = ()
    """Drop the inherited events of these actors (a counterfactual where they never acted)."""
    exclude_events: tuple[Id, ...] = ()
    """Drop the inherited events with these ids (e.g. one measure that was never taken)."""
    set: dict[str, SetValue] = Field(default_factory=dict)
    """Parameter overrides by dotted path, e.g. ``ports.klaipeda.handling_usd_per_t: 11``."""
    events: tuple[Event, ...] = Field(default=(), json_schema_extra={"maxItems": MAX_EVENTS})
    """At most :data:`MAX_EVENTS`."""

    expect: tuple[Expectation, ...] = ()
    """What ``potashsim check`` asserts about this scenario's run; not inherited by files that
    extend this one (their outcomes differ)."""

    @field_validator("events", mode="before")
    @classmethod
    def _not_too_many(cls, events: Any) -> Any:
        # counted before the events are validated, so that a huge list costs no time
        if isinstance(events, list | tuple) and len(events) > MAX_EVENTS:
            raise ValueError(
                f"{len(events):,} events; a scenario file may hold at most {MAX_EVENTS:,} "
                "(split them over files that extend one another)"
            )
        return events


class Scenario(Strict):
    """A fully resolved scenario: what the engine runs."""

    name: Id
    description: str
    horizon: Horizon
    seed: Annotated[int, Field(ge=0)]
    stochastic: bool
    network: NetworkSpec
    events: tuple[Event, ...]
    uncertain: dict[str, Distribution] = Field(default_factory=dict)
    """Parameters drawn per replication, by dotted path into ``network``."""
    provenance: dict[str, str] = Field(default_factory=dict)
    """``source: <row>`` or ``estimate: <reasoning>`` by dotted path into ``network``."""
    # not part of the dump: what a check asserts does not change what a run computes, so it must
    # not change the scenario's hash (the run folder's name) either
    expect: tuple[Expectation, ...] = Field(default=(), exclude=True)
    """The named file's own expectations (``potashsim check``)."""
    source: str = Field(default="", exclude=True)
    """How it was named when loaded: a shipped scenario's name or a file's path as given (not
    part of the dump, the hash or equality: the same scenario from another path runs the same)."""

    def __eq__(self, other: object) -> bool:
        # history by name and by path is one scenario (the engine recognises the reference
        # scenario by equality), so how it was named takes no part
        if not isinstance(other, Scenario):
            return NotImplemented
        return _named_aside(self) == _named_aside(other)

    __hash__ = None  # type: ignore[assignment]  # its dicts were never hashable

    @model_validator(mode="after")
    def _events(self) -> Scenario:
        # Events before the start are allowed here (inherited measures in force from day 0);
        # the loader rejects a file's own events outside its horizon.
        _raise_problems(
            [
                (f"events.{i}.{field}", msg)
                for i, field, msg in event_problems(self.events, self.network, self.horizon)
                if not (field == "date" and self.events[i].date < self.horizon.start)
            ]
            + lag_problems(self.network, self.horizon)
        )
        return self


def lag_problems(net: NetworkSpec, horizon: Horizon) -> list[tuple[str, str]]:
    """Price lags longer than the horizon: every sale would pay a price from before the start."""
    days = (horizon.end - horizon.start).days + 1
    return [
        (
            f"markets.{key}.{field}",
            f"{getattr(market, field)} days is longer than the horizon "
            f"({days} day{'s' if days != 1 else ''})",
        )
        for key, market in net.markets.items()
        for field in ("spot_lag_days", "contract_lag_days")
        if getattr(market, field) > days
    ]


def _named_aside(scenario: Scenario) -> dict[str, Any]:
    """A scenario's fields but ``source``, for equality."""
    return {k: v for k, v in scenario.__dict__.items() if k != "source"}
