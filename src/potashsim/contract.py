"""The results contract (docs/results-contract.md) as code: file names, columns and units.

This is the one definition. The accounts (:mod:`potashsim.analysis`) name their columns from it,
:mod:`potashsim.results` writes and reads the files it lists, and the report names them in its
messages. It sits in the bottom layer and imports nothing, so every layer can use it; the money
columns are settled in ``analysis``, which lies below ``results`` and could not import them from
there.

Units follow the names: ``_t`` tonnes, ``_usd`` US dollars, ``_days`` days, ``_km`` kilometres
(:data:`UNITS` lists every number column).
"""

from __future__ import annotations

__all__ = [
    "BASE_COLOUR",
    "CHANGED_MARK",
    "COLUMNS",
    "COMPARISON",
    "COMPARISON_FILES",
    "COMPARISON_TABLE",
    "DATE_COLUMNS",
    "DECOMPOSITION",
    "DECOMPOSITION_TABLE",
    "JSON_KEYS",
    "MANIFEST",
    "METRICS",
    "MONEY",
    "MONTHLY",
    "MONTHLY_REVENUE",
    "MONTHLY_ROUTES",
    "NETWORK",
    "OPTIONAL_RUN_FILES",
    "PER_MT_A_YEAR",
    "PER_TRAIN_A_DAY",
    "REPLICATIONS",
    "RUNS",
    "RUN_FILES",
    "SCENARIO",
    "SCENARIO_PALETTE",
    "SHADOW_PRICES",
    "STATS",
    "SUMMARY",
    "SWEEP_FILES",
    "SWEEP_KEYS",
    "SWEEP_RUNS",
    "SWEEP_SPEC",
    "SWEEP_YEARS",
    "TEXT_COLUMNS",
    "TIMELINE",
    "UNITS",
    "UTILISATION",
    "scenario_of_label",
]

# --------------------------------------------------------------------------- a run folder

SUMMARY = "summary.json"
MONTHLY = "monthly.csv"
UTILISATION = "utilisation.csv"
TIMELINE = "timeline.csv"
NETWORK = "network.json"
MANIFEST = "manifest.json"
SCENARIO = "scenario.resolved.yaml"
SHADOW_PRICES = "shadow_prices.csv"
#: Every file of ``results/<scenario>/<run-id>/`` (besides :data:`OPTIONAL_RUN_FILES`).
RUN_FILES = (SUMMARY, MONTHLY, UTILISATION, TIMELINE, NETWORK, MANIFEST, SCENARIO)
#: Files a run folder holds when they were computed: the shadow prices, written for the runs of a
#: comparison and by ``potashsim run --shadow-prices`` (they cost about as much as the run).
OPTIONAL_RUN_FILES = (SHADOW_PRICES,)

# --------------------------------------------------------------------------- a comparison folder

COMPARISON = "comparison.json"
COMPARISON_TABLE = "comparison.csv"
REPLICATIONS = "replications.csv"
MONTHLY_REVENUE = "monthly_revenue.csv"
MONTHLY_ROUTES = "monthly_routes.csv"
DECOMPOSITION_TABLE = "decomposition_by_year.csv"
#: The sub-folder of a comparison that holds a full run folder per scenario.
RUNS = "runs"
#: Appended to a scenario's name where a comparison changed it with ``--set`` or ``--set-for``
#: (``history*``): its label in ``comparison.json``, in every CSV and in the report. Its run folder
#: is ``runs/<name>/``, without the mark (scenario names never hold it).
CHANGED_MARK = "*"

# --------------------------------------------------------------------------- a sweep folder

#: A sweep's spec: what decides its runs (a resumed sweep must match it), and the scenario hashes.
SWEEP_SPEC = "sweep.json"
#: Parquet datasets of a sweep, as part files: one row per run, and one per run and year.
SWEEP_RUNS = "runs"
SWEEP_YEARS = "years"
#: Every entry of a sweep folder.
SWEEP_FILES = (SWEEP_SPEC, SWEEP_RUNS, SWEEP_YEARS)
#: The keys of ``sweep.json``.
SWEEP_KEYS = (
    "scenario",
    "vs",
    "params",
    "design",
    "n",
    "seed",
    "granularity",
    "sets",
    "scenario_sha256",
    "runs_total",
    "potashsim",
)

BASE_COLOUR = "#000000"
SCENARIO_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
"""The colours that mean "a scenario" in every chart: the baseline black, the others the
Okabe-Ito colours in order (colour-blind safe; yellow last, as it is faint on white). A route's
or a market's ``colour`` in the network data (``network.json``) must be none of these, so that
no route ever looks like a scenario."""


def scenario_of_label(label: str) -> str:
    """The scenario name behind a comparison label (``history*`` -> ``history``)."""
    return label.removesuffix(CHANGED_MARK)


#: Every file of ``results/compare/<id>/`` (besides ``runs/<name>/``).
COMPARISON_FILES = (
    COMPARISON,
    COMPARISON_TABLE,
    REPLICATIONS,
    DECOMPOSITION_TABLE,
    MONTHLY_REVENUE,
    MONTHLY_ROUTES,
)

# --------------------------------------------------------------------------- columns

#: The money of a delivery, USD: the market value is the price as paid before discounts; the
#: discount is the sanctions discount plus the market-depth discount; revenue is the market value
#: less the discount; logistics is rail + port + freight; netback is revenue − logistics.
MONEY = (
    "market_value_usd",
    "sanctions_discount_usd",
    "depth_discount_usd",
    "revenue_usd",
    "discount_usd",
    "rail_cost_usd",
    "port_cost_usd",
    "freight_cost_usd",
    "logistics_cost_usd",
    "netback_usd",
)
#: The totals a comparison sets against its base (``stats``, ``replications.csv``).
METRICS = ("exported_t", "revenue_usd", "netback_usd", "logistics_cost_usd")
#: A metric's statistics in ``comparison.json`` ``stats``, in the metric's unit.
STATS = ("mean", "diff_mean", "diff_ci_low", "diff_ci_high")
#: The parts of a netback change (``comparison.json`` ``decomposition``, per scenario summed
#: over years and markets; ``decomposition_by_year.csv`` per year and market), USD; the first
#: five add up to ``total_usd``.
DECOMPOSITION = (
    "volume_usd",
    "mix_usd",
    "price_usd",
    "discount_usd",
    "logistics_usd",
    "total_usd",
)

#: The columns of every CSV file, in file order.
COLUMNS: dict[str, tuple[str, ...]] = {
    MONTHLY: ("month", "route", "market", "exported_t", *MONEY),
    UTILISATION: (
        "month",
        "kind",
        "facility",
        "used",
        "capacity",
        "utilisation",
        "mean_wait_days",
        "available",
        "utilisation_available",
    ),
    SHADOW_PRICES: (
        "period_start",
        "period_days",
        "kind",
        "constraint",
        "limit_t",
        "planned_t",
        "shadow_usd_per_t",
        "value_usd",
        "per",
    ),
    TIMELINE: ("kind", "target", "start", "end", "state", "value", "actor", "action", "source"),
    COMPARISON_TABLE: ("scenario", "metric", *STATS, "unit"),
    REPLICATIONS: ("scenario", "replication", "year", *METRICS, "discount_usd"),
    MONTHLY_REVENUE: ("scenario", "replication", "month", "revenue_usd", "exported_t"),
    MONTHLY_ROUTES: ("scenario", "month", "route", "exported_t"),
    DECOMPOSITION_TABLE: ("scenario", "year", "market", *DECOMPOSITION),
}
#: The columns of each CSV file that hold ISO dates.
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    MONTHLY: ("month",),
    UTILISATION: ("month",),
    SHADOW_PRICES: ("period_start",),
    TIMELINE: ("start", "end"),
    MONTHLY_REVENUE: ("month",),
    MONTHLY_ROUTES: ("month",),
}
#: ``shadow_prices.csv`` ``per``: a rail link's ``value_usd`` is per one more train a day, that of
#: a terminal, the mines' supply or a market per one more Mt a year.
PER_TRAIN_A_DAY = "train/day"
PER_MT_A_YEAR = "Mt/yr"
#: Id and label columns: text even when a value looks like a number (a facility called "2022").
TEXT_COLUMNS = (
    "route",
    "market",
    "kind",
    "facility",
    "constraint",
    "per",
    "target",
    "state",
    "actor",
    "action",
    "source",
    "scenario",
    "metric",
    "unit",
)
#: The keys every JSON file must hold.
JSON_KEYS: dict[str, tuple[str, ...]] = {
    SUMMARY: ("scenario", "horizon_start", "horizon_end"),
    NETWORK: ("nodes", "links", "routes"),
    MANIFEST: (),
    COMPARISON: (
        "base",
        "scenarios",
        "replications",
        "seed",
        "command",
        "potashsim_version",
        "scenario_hashes",
        "stats",
        "decomposition",
        "window",
        "shared_window",
        "horizons",
        "overrides",
    ),
}

#: The unit of every number column and summary key (``comparison.csv`` writes it per metric).
UNITS: dict[str, str] = {
    **dict.fromkeys(
        (
            "produced_t",
            "curtailed_t",
            "exported_t",
            "domestic_t",
            "initial_stock_t",
            "end_stock_t",
            "in_transit_t",
        ),
        "t",
    ),
    **dict.fromkeys((*MONEY, *DECOMPOSITION), "USD"),
    "used": "trains (link) or t (port, border)",
    "capacity": "trains (link) or t (port, border)",
    "utilisation": "share, 0..1",
    "mean_wait_days": "days",
    "available": "trains (link) or t (port, border)",
    "utilisation_available": "share, 0..1",
    "period_days": "days",
    "limit_t": "t",
    "planned_t": "t",
    "shadow_usd_per_t": "USD/t",
    "value_usd": "USD",  # of netback in the period, per one more `per` (train/day or Mt/yr)
    "value": "as the state: t/yr, trains/day or USD/t",
    "distance_km": "km",
}
