"""Writes small synthetic results folders that follow docs/results-contract.md, for report tests.

Two scenarios (``baseline`` and ``lithuania_ban``), 24 months (2021-01 to 2022-12), routes
``klaipeda``, ``ust_luga`` and ``zabaikalsk``. In ``lithuania_ban`` the Klaipeda route closes on
2022-02-01 and the cargo moves to Ust-Luga and Zabaikalsk. Numbers are made up but internally
consistent (netback = revenue - logistics, mass balance exact, decomposition adds up), so tests can
recompute every chart value from the CSV files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIOS = ("baseline", "lithuania_ban")
ROUTES = ("klaipeda", "ust_luga", "zabaikalsk")
HORIZON_START = "2021-01-01"
HORIZON_END = "2022-12-31"
MONTHS = pd.date_range(HORIZON_START, periods=24, freq="MS")
BAN_START = pd.Timestamp("2022-02-01")
T_975_DF2 = 4.302652729749464  # Student t quantile for 3 replications (2 degrees of freedom)

NETWORK = {
    "nodes": [
        {"id": "salihorsk", "name": "Salihorsk", "lat": 52.79, "lon": 27.54, "kind": "mine"},
        {"id": "minsk", "name": "Minsk", "lat": 53.90, "lon": 27.56, "kind": "junction"},
        {"id": "vilnius", "name": "Vilnius", "lat": 54.69, "lon": 25.28, "kind": "junction"},
        {"id": "klaipeda", "name": "Klaipeda", "lat": 55.71, "lon": 21.13, "kind": "port"},
        {"id": "orsha", "name": "Orsha", "lat": 54.51, "lon": 30.42, "kind": "junction"},
        {"id": "ust_luga_stn", "name": "Ust-Luga", "lat": 59.68, "lon": 28.40, "kind": "port"},
        {"id": "zabaikalsk", "name": "Zabaikalsk", "lat": 49.63, "lon": 117.32, "kind": "border"},
    ],
    "links": [
        {"id": "sal_min", "from": "salihorsk", "to": "minsk", "country": "BY", "distance_km": 130},
        {"id": "min_vil", "from": "minsk", "to": "vilnius", "country": "BY", "distance_km": 190},
        {"id": "vil_kla", "from": "vilnius", "to": "klaipeda", "country": "LT", "distance_km": 310},
        {"id": "min_ors", "from": "minsk", "to": "orsha", "country": "BY", "distance_km": 210},
        {
            "id": "ors_ust",
            "from": "orsha",
            "to": "ust_luga_stn",
            "country": "RU",
            "distance_km": 900,
        },
        {
            "id": "ors_zab",
            "from": "orsha",
            "to": "zabaikalsk",
            "country": "RU",
            "distance_km": 7000,
        },
    ],
    "ports": [
        {"id": "klaipeda", "name": "Klaipeda (BKT)", "node": "klaipeda", "sea_region": "baltic"},
        {"id": "ust_luga", "name": "Ust-Luga", "node": "ust_luga_stn", "sea_region": "baltic"},
    ],
    "borders": [{"id": "zabaikalsk", "node": "zabaikalsk", "market": "china"}],
    "markets": [
        {"id": "brazil", "name": "Brazil", "lat": -15.8, "lon": -47.9},
        {"id": "india", "name": "India", "lat": 20.6, "lon": 78.9},
        {"id": "china", "name": "China", "lat": 35.9, "lon": 104.2},
    ],
    "lanes": [
        {
            "id": "baltic_brazil",
            "sea_region": "baltic",
            "market": "brazil",
            "lat": 58.0,
            "lon": 20.0,
        },
        {"id": "baltic_india", "sea_region": "baltic", "market": "india", "lat": 58.0, "lon": 20.0},
    ],
}

ROUTE_LINKS = {
    "klaipeda": ["sal_min", "min_vil", "vil_kla"],
    "ust_luga": ["sal_min", "min_ors", "ors_ust"],
    "zabaikalsk": ["sal_min", "min_ors", "ors_zab"],
}
PRICE_USD_T = {"brazil": 300.0, "india": 280.0, "china": 250.0}
RAIL_USD_T = {"klaipeda": 15.0, "ust_luga": 30.0, "zabaikalsk": 90.0}
PORT_USD_T = {"klaipeda": 8.0, "ust_luga": 20.0, "zabaikalsk": 0.0}
FREIGHT_USD_T = {"brazil": 45.0, "india": 35.0, "china": 0.0}
DISCOUNT_USD_T = 30.0  # buyers' discount on every market after the ban
PORT_CAPACITY_T = {"klaipeda": 1_300_000.0, "ust_luga": 700_000.0, "zabaikalsk": 400_000.0}
LINK_CAPACITY_TRAINS = 300.0
TRAIN_T = 5_000.0
# The contract's columns are restated here on purpose rather than imported from potashsim, so
# that the fixtures check the loader against the contract and not against itself.
MONEY = (
    "revenue_usd",
    "discount_usd",
    "rail_cost_usd",
    "port_cost_usd",
    "freight_cost_usd",
    "logistics_cost_usd",
    "netback_usd",
)
SUMMARY_KEYS = (
    "produced_t",
    "curtailed_t",
    "exported_t",
    "domestic_t",
    "initial_stock_t",
    "end_stock_t",
    "in_transit_t",
    *MONEY,
)


def _flows(scenario: str, month: pd.Timestamp) -> dict[tuple[str, str], float]:
    """Planned tonnes per (route, market) in one month, before replication noise."""
    if scenario == "lithuania_ban" and month >= BAN_START:
        return {
            ("ust_luga", "brazil"): 300_000.0,
            ("ust_luga", "india"): 200_000.0,
            ("zabaikalsk", "china"): 200_000.0,
        }
    return {
        ("klaipeda", "brazil"): 500_000.0,
        ("klaipeda", "india"): 400_000.0,
        ("zabaikalsk", "china"): 50_000.0,
    }


def _discount_usd_t(scenario: str, month: pd.Timestamp) -> float:
    return DISCOUNT_USD_T if scenario == "lithuania_ban" and month >= BAN_START else 0.0


def monthly_table(scenario: str, replication: int, seed: int = 7) -> pd.DataFrame:
    """The ``monthly.csv`` rows of one replication, deterministic per scenario/replication/seed."""
    rng = np.random.default_rng([seed, replication])
    rows = []
    for month in MONTHS:
        for (route, market), tonnes in _flows(scenario, month).items():
            t = round(tonnes * (1.0 + rng.normal(0.0, 0.05)))
            list_price = t * PRICE_USD_T[market]
            discount = t * _discount_usd_t(scenario, month)
            revenue = list_price - discount
            rail, port, freight = (
                t * RAIL_USD_T[route],
                t * PORT_USD_T[route],
                t * FREIGHT_USD_T[market],
            )
            logistics = rail + port + freight
            rows.append(
                {
                    "month": month.date().isoformat(),
                    "route": route,
                    "market": market,
                    "exported_t": float(t),
                    "revenue_usd": revenue,
                    "discount_usd": discount,
                    "rail_cost_usd": rail,
                    "port_cost_usd": port,
                    "freight_cost_usd": freight,
                    "logistics_cost_usd": logistics,
                    "netback_usd": revenue - logistics,
                }
            )
    return pd.DataFrame(rows)


def _totals(frame: pd.DataFrame, *, with_stock: bool) -> dict[str, float]:
    exported = float(frame["exported_t"].sum())
    out = dict.fromkeys(SUMMARY_KEYS, 0.0)
    out.update({k: float(frame[k].sum()) for k in MONEY})
    out["exported_t"] = exported
    if with_stock:
        domestic = round(exported * 0.05)
        out.update(
            initial_stock_t=500_000.0,
            end_stock_t=400_000.0,
            domestic_t=float(domestic),
            in_transit_t=0.0,
            produced_t=exported + domestic + 400_000.0 - 500_000.0,
        )
    else:
        out["produced_t"] = 0.0
    return out


def _summary(scenario: str, seed: int, monthly: pd.DataFrame) -> dict[str, object]:
    months = pd.to_datetime(monthly["month"])
    return {
        "scenario": scenario,
        "seed": seed,
        "horizon_start": HORIZON_START,
        "horizon_end": HORIZON_END,
        "totals": _totals(monthly, with_stock=True),
        "by_year": {
            str(y): _totals(g, with_stock=True) for y, g in monthly.groupby(months.dt.year)
        },
        "by_route": {r: _totals(g, with_stock=False) for r, g in monthly.groupby("route")},
        "by_market": {m: _totals(g, with_stock=False) for m, g in monthly.groupby("market")},
    }


def _utilisation(scenario: str, monthly: pd.DataFrame) -> pd.DataFrame:
    """Trains per link and tonnes per port/border each month; capacity 0 while closed."""
    per_route = monthly.groupby(["month", "route"])["exported_t"].sum()
    rows = []
    for month in MONTHS:
        iso = month.date().isoformat()
        closed = scenario == "lithuania_ban" and month >= BAN_START
        route_t = {r: float(per_route.get((iso, r), 0.0)) for r in ROUTES}
        for link in (lnk["id"] for lnk in NETWORK["links"]):
            used = sum(t for r, t in route_t.items() if link in ROUTE_LINKS[r]) / TRAIN_T
            cap = 0.0 if closed and link == "vil_kla" else LINK_CAPACITY_TRAINS
            rows.append(_util_row(iso, "link", link, used, cap, wait=0.2 + used / 100.0))
        for port in ("klaipeda", "ust_luga"):
            cap = 0.0 if closed and port == "klaipeda" else PORT_CAPACITY_T[port]
            rows.append(
                _util_row(
                    iso, "port", port, route_t[port], cap, wait=1.0 + route_t[port] / 200_000.0
                )
            )
        rows.append(
            _util_row(
                iso,
                "border",
                "zabaikalsk",
                route_t["zabaikalsk"],
                PORT_CAPACITY_T["zabaikalsk"],
                wait=0.5,
            )
        )
    return pd.DataFrame(rows)


def _util_row(
    month: str, kind: str, facility: str, used: float, capacity: float, *, wait: float
) -> dict[str, object]:
    return {
        "month": month,
        "kind": kind,
        "facility": facility,
        "used": used,
        "capacity": capacity,
        "utilisation": used / capacity if capacity else None,
        "mean_wait_days": wait if used else 0.0,
    }


def _timeline(scenario: str) -> pd.DataFrame:
    rows: list[dict[str, object]] = [
        {
            "kind": "link",
            "target": lnk["id"],
            "start": HORIZON_START,
            "end": HORIZON_END,
            "state": "open",
            "value": None,
            "actor": None,
            "action": None,
            "source": "network",
        }
        for lnk in NETWORK["links"]
    ]
    if scenario == "lithuania_ban":
        ban = {
            "start": "2022-02-01",
            "end": HORIZON_END,
            "actor": "lithuania",
            "action": "transit ban",
            "source": "R14",
        }
        rows += [
            {"kind": "link", "target": "vil_kla", "state": "closed", "value": None, **ban},
            {"kind": "port", "target": "klaipeda", "state": "closed", "value": None, **ban},
            {
                "kind": "market",
                "target": "all",
                "start": "2022-02-01",
                "end": HORIZON_END,
                "state": "discount",
                "value": DISCOUNT_USD_T,
                "actor": "eu",
                "action": "buyer discount",
                "source": "M1",
            },
            {
                "kind": "port",
                "target": "ust_luga",
                "start": "2022-03-01",
                "end": "2022-09-30",
                "state": "capacity",
                "value": 700_000.0,
                "actor": "russia",
                "action": "terminal quota",
                "source": "R21",
            },
        ]
    return pd.DataFrame(
        rows,
        columns=["kind", "target", "start", "end", "state", "value", "actor", "action", "source"],
    )


def scenario_hash(scenario: str) -> str:
    """A stable stand-in for the resolved-scenario SHA-256."""
    return hashlib.sha256(scenario.encode()).hexdigest()


def write_run(folder: Path, scenario: str, *, replication: int = 0, seed: int = 7) -> Path:
    """Write one complete run folder for ``scenario`` into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    monthly = monthly_table(scenario, replication, seed)
    monthly.to_csv(folder / "monthly.csv", index=False)
    _utilisation(scenario, monthly).to_csv(folder / "utilisation.csv", index=False)
    _timeline(scenario).to_csv(folder / "timeline.csv", index=False)
    (folder / "summary.json").write_text(json.dumps(_summary(scenario, seed, monthly), indent=1))
    (folder / "network.json").write_text(json.dumps(NETWORK, indent=1))
    manifest = {
        "scenario": scenario,
        "scenario_sha256": scenario_hash(scenario),
        "seed": seed,
        "overrides": [],
        "command": f"potashsim run scenarios/{scenario}.yaml --seed {seed}",
        "versions": {"potashsim": "0.1.0", "python": "3.11.7"},
        "wall_time_s": 0.42,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (folder / "scenario.resolved.yaml").write_text(f"name: {scenario}\n")
    return folder


def write_folders(root: Path) -> dict[str, Path]:
    """A comparison folder and a separate ``lithuania_ban`` run folder under ``root``."""
    return {
        "compare": write_comparison(root / "compare" / "abc123"),
        "run": write_run(root / "lithuania_ban" / "r1", "lithuania_ban"),
    }


def _t_interval(diffs: np.ndarray) -> tuple[float, float, float]:
    mean = float(diffs.mean())
    half = T_975_DF2 * float(diffs.std(ddof=1)) / np.sqrt(len(diffs))
    return mean, mean - half, mean + half


def write_comparison(folder: Path, *, replications: int = 3, seed: int = 7) -> Path:
    """Write a complete comparison folder of :data:`SCENARIOS` (base first) and return it."""
    assert replications == 3, "the t quantile above is for 3 replications"
    folder.mkdir(parents=True, exist_ok=True)
    base = SCENARIOS[0]
    tables = {(s, r): monthly_table(s, r, seed) for s in SCENARIOS for r in range(replications)}
    metrics = ("exported_t", "revenue_usd", "netback_usd", "logistics_cost_usd")
    totals = {
        s: pd.DataFrame([tables[s, r][list(metrics)].sum() for r in range(replications)])
        for s in SCENARIOS
    }
    stats: dict[str, dict[str, dict[str, float]]] = {}
    csv_rows = []
    for s in SCENARIOS:
        stats[s] = {}
        for m in metrics:
            mean_d, low, high = _t_interval((totals[s][m] - totals[base][m]).to_numpy())
            entry = {
                "mean": float(totals[s][m].mean()),
                "diff_mean": mean_d,
                "diff_ci_low": low,
                "diff_ci_high": high,
            }
            stats[s][m] = entry
            csv_rows.append(
                {"scenario": s, "metric": m, **entry, "unit": "t" if m.endswith("_t") else "USD"}
            )
    decomposition = {s: _decompose(totals[s].mean(), totals[base].mean()) for s in SCENARIOS}
    meta = {
        "base": base,
        "scenarios": list(SCENARIOS),
        "replications": replications,
        "seed": seed,
        "command": "potashsim compare scenarios/baseline.yaml scenarios/lithuania_ban.yaml -n 3",
        "potashsim_version": "0.1.0",
        "scenario_hashes": {s: scenario_hash(s) for s in SCENARIOS},
        "stats": stats,
        "decomposition": decomposition,
    }
    (folder / "comparison.json").write_text(json.dumps(meta, indent=1))
    pd.DataFrame(csv_rows).to_csv(folder / "comparison.csv", index=False)
    _replication_tables(tables).to_csv(folder / "replications.csv", index=False)
    revenue = pd.concat(
        [
            t.groupby("month", as_index=False)[["revenue_usd", "exported_t"]]
            .sum()
            .assign(scenario=s, replication=r)
            for (s, r), t in tables.items()
        ]
    )[["scenario", "replication", "month", "revenue_usd", "exported_t"]]
    revenue.to_csv(folder / "monthly_revenue.csv", index=False)
    routes = (
        pd.concat(
            [
                t.groupby(["month", "route"], as_index=False)["exported_t"].sum().assign(scenario=s)
                for (s, _), t in tables.items()
            ]
        )
        .groupby(["scenario", "month", "route"], as_index=False)["exported_t"]
        .sum()
    )
    routes["exported_t"] /= replications
    routes[["scenario", "month", "route", "exported_t"]].to_csv(
        folder / "monthly_routes.csv", index=False
    )
    for s in SCENARIOS:
        write_run(folder / "runs" / s, s, replication=0, seed=seed)
    return folder


def _decompose(scen: pd.Series, base: pd.Series) -> dict[str, float]:
    """Volume valued at the base revenue per tonne, price as the rest of the revenue change."""
    base_rev_t = base["revenue_usd"] / base["exported_t"]
    volume = (scen["exported_t"] - base["exported_t"]) * base_rev_t
    price = (scen["revenue_usd"] - base["revenue_usd"]) - volume
    logistics = -(scen["logistics_cost_usd"] - base["logistics_cost_usd"])
    return {
        "volume_usd": float(volume),
        "price_usd": float(price),
        "logistics_usd": float(logistics),
        "total_usd": float(volume + price + logistics),
    }


def _replication_tables(tables: dict[tuple[str, int], pd.DataFrame]) -> pd.DataFrame:
    cols = ["exported_t", "revenue_usd", "netback_usd", "logistics_cost_usd", "discount_usd"]
    frames = []
    for (s, r), t in tables.items():
        year = pd.to_datetime(t["month"]).dt.year.rename("year")
        frames.append(t.groupby(year)[cols].sum().reset_index().assign(scenario=s, replication=r))
    return pd.concat(frames)[["scenario", "replication", "year", *cols]]
