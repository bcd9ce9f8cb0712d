"""The Dash page: pickers, the policy panel by actor, the levers, and the results, with the
callbacks that tie them to :class:`potashsim.app.compute.Workspace`.

Every user's state lives in their own browser (component values and ``dcc.Store``), never in the
server, so concurrent sessions cannot see one another's choices; the server keeps only the
cache of results, keyed by the resolved scenarios.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html, no_update

from potashsim.app.compute import (
    DEFAULT_REPLICATIONS,
    MAX_REPLICATIONS,
    MAX_UPLOAD_BYTES,
    Outcome,
    Upload,
    Workspace,
    horizon_end,
    problem_lines,
    shipped,
)
from potashsim.app.levers import levers_for
from potashsim.app.scenario_file import Choices, policy_by_actor
from potashsim.errors import PotashsimError, ScenarioError
from potashsim.report.sections import Section
from potashsim.scenario.schema import Scenario

__all__ = ["GRAPH_CONFIG", "TOPOJSON_URL", "layout", "register"]

#: Where the page's maps fetch ``world_110m.json``: served by this app from the vendored file.
TOPOJSON_URL = "/_potashsim/topojson/"
GRAPH_CONFIG: Any = {"topojsonURL": TOPOJSON_URL, "displaylogo": False}
_DEFAULT = "us_eu_lifted_lithuania_holds"
_BOX = {"border": "1px solid #ccc", "padding": "6px 10px", "margin": "4px 0"}
_NOTE = {"fontSize": "0.85em", "color": "#555"}


def layout() -> html.Div:
    """The page: the same for every visitor; what they choose stays in their browser."""
    names = shipped()
    first = _DEFAULT if _DEFAULT in names else names[0]
    return html.Div(
        style={"fontFamily": "sans-serif", "maxWidth": "1200px", "margin": "auto"},
        children=[
            html.H1("potashsim: what is a policy worth?"),
            html.P(
                "Pick a scenario and a base, switch measures off, move the levers and press "
                "Run: the change is compared with the base over paired replications, with the "
                "report's own charts."
            ),
            html.P(
                "Every run here is at the fast granularity (trains moved in daily batches: "
                "about ten times faster than the train-level model of record, within about 2% a "
                "year). One replication answers fastest; 2-5 give a 95% interval, and the "
                "runs already made are reused, so asking for more after a first answer costs "
                "only the new ones. The base's runs are kept while you move a lever, so a "
                "change simulates only your scenario. The summary says how many replications "
                "stand behind its numbers.",
                style=_NOTE,
            ),
            dcc.Store(id="upload-store", storage_type="memory"),
            html.Div(
                style={"display": "flex", "gap": "16px", "flexWrap": "wrap"},
                children=[
                    html.Label(
                        [
                            "Scenario",
                            dcc.Dropdown(
                                id="scenario",
                                options=names,
                                value=first,
                                clearable=False,
                                style={"width": "340px"},
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            "Base",
                            dcc.Dropdown(
                                id="base",
                                options=names,
                                value=first,
                                clearable=False,
                                style={"width": "340px"},
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            "Horizon ends (31 Dec)",
                            dcc.Dropdown(
                                id="horizon-end", clearable=False, style={"width": "200px"}
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            f"Replications (1-{MAX_REPLICATIONS}; 2+ for an interval)",
                            dcc.Input(
                                id="replications",
                                type="number",
                                min=1,
                                max=MAX_REPLICATIONS,
                                step=1,
                                value=DEFAULT_REPLICATIONS,
                                style={"width": "80px", "display": "block"},
                            ),
                        ]
                    ),
                ],
            ),
            dcc.Upload(
                id="upload",
                children=html.Div(
                    [f"Upload a scenario (YAML, at most {MAX_UPLOAD_BYTES // 1000:,} kB)"]
                ),
                max_size=MAX_UPLOAD_BYTES,
                style={**_BOX, "borderStyle": "dashed", "textAlign": "center", "cursor": "pointer"},
            ),
            html.Pre(id="upload-problems", style={"color": "#b00020", "whiteSpace": "pre-wrap"}),
            html.Div(
                style={"display": "flex", "gap": "24px", "alignItems": "flex-start"},
                children=[
                    html.Div(
                        [html.H3("Policy by actor"), html.Div(id="policy")], style={"flex": "1"}
                    ),
                    html.Div([html.H3("Levers"), html.Div(id="levers")], style={"flex": "1"}),
                ],
            ),
            html.Div(
                [
                    html.Button("Run", id="run", n_clicks=0),
                    html.Button(
                        "Download this scenario",
                        id="download-button",
                        n_clicks=0,
                        style={"marginLeft": "12px"},
                    ),
                    dcc.Download(id="download"),
                ],
                style={"margin": "12px 0"},
            ),
            dcc.Store(id="answer", storage_type="memory"),
            dcc.Loading(
                id="running",
                type="default",
                children=html.Div(
                    [
                        html.Pre(
                            id="run-problems", style={"color": "#b00020", "whiteSpace": "pre-wrap"}
                        ),
                        html.P(id="summary", style={"fontWeight": "bold"}),
                        html.P(id="one-run", style={"fontFamily": "monospace"}),
                        html.P(id="timing", style=_NOTE),
                        # how many runs this page has had answered (for tests and benchmarks)
                        html.Span(id="answered", hidden=True),
                    ]
                ),
            ),
            # the charts follow the numbers: drawing them takes longer than the run itself
            dcc.Loading(
                id="drawing",
                type="dot",
                children=html.Div(
                    [
                        html.Pre(
                            id="chart-problems",
                            style={"color": "#b00020", "whiteSpace": "pre-wrap"},
                        ),
                        html.P(id="charts-timing", style=_NOTE),
                        html.Div(id="results"),
                        # how many answers this page has had drawn (for tests and benchmarks)
                        html.Span(id="charted", hidden=True),
                    ]
                ),
            ),
        ],
    )


def _policy_panel(scenario: Scenario) -> list[Any]:
    groups = []
    for actor, events in policy_by_actor(scenario).items():
        options = [
            {
                "label": f" {e['date']} {e['action']} {e['target']}"
                + (f" ({e['id']})" if e["id"] else " (no id: cannot be switched off)"),
                "value": e["id"] or f"#{i}",
                "disabled": not e["id"],
            }
            for i, e in enumerate(events)
        ]
        groups.append(
            html.Details(
                [
                    html.Summary(f"{actor} ({len(events)} event(s))"),
                    dcc.Checklist(
                        id={"type": "events", "actor": actor},
                        options=options,
                        value=[o["value"] for o in options],
                        labelStyle={"display": "block"},
                    ),
                ],
                open=actor in ("Lithuania", "EU", "US"),
                style=_BOX,
            )
        )
    return groups or [html.P("This scenario has no policy measures.")]


def _lever_panel(scenario: Scenario) -> list[Any]:
    groups: dict[str, list[Any]] = {}
    for lever in levers_for(scenario):
        control = dcc.Input(
            id={"type": "lever", "key": lever.key},
            type="text" if lever.kind == "date" else "number",
            value=lever.current,
            min=lever.minimum,
            max=lever.maximum,
            step=lever.step,
            debounce=True,
            style={"width": "130px"},
        )
        groups.setdefault(lever.group, []).append(
            html.Div(
                [
                    html.Span(f"{lever.label} ", style={"fontSize": "0.9em"}),
                    control,
                    html.Span(f" {lever.unit}"),
                ],
                style={"margin": "4px 0"},
            )
        )
    main = groups.pop("", [])
    return main + [
        html.Details([html.Summary(title), *rows], style=_BOX) for title, rows in groups.items()
    ]


def _upload_of(store: dict[str, str] | None) -> Upload | None:
    return Upload(store["filename"], store["text"]) if store else None


_MAP = "-map-"


def _map_slider(section: Section) -> html.Div:
    """A section's period maps as one map and a slider over its periods: one map is drawn at a
    time, and the others wait in the browser (switched by a clientside callback)."""
    key = section.charts[0].slug.split(_MAP)[0]
    periods = [c.slug.split(_MAP)[1] for c in section.charts]
    return html.Div(
        [
            dcc.Store(
                id={"type": "maps", "key": key},
                data=[c.figure_dict() for c in section.charts],
            ),
            dcc.Slider(
                id={"type": "map-period", "key": key},
                min=0,
                max=len(periods) - 1,
                step=1,
                value=0,
                marks={i: p for i, p in enumerate(periods)},
            ),
            dcc.Graph(
                id={"type": "map", "key": key},
                figure=section.charts[0].figure,
                config=GRAPH_CONFIG,
            ),
        ]
    )


def _sections(outcome: Outcome) -> list[Any]:
    out: list[Any] = []
    for section in outcome.sections or []:
        out.append(html.H3(section.title))
        out.append(html.P(section.caption, style={"fontSize": "0.9em", "color": "#444"}))
        if len(section.charts) > 1 and all(_MAP in c.slug for c in section.charts):
            out.append(_map_slider(section))
            continue
        out += [
            dcc.Graph(id=f"chart-{chart.slug}", figure=chart.figure, config=GRAPH_CONFIG)
            for chart in section.charts
        ]
    return out


def register(app: Dash, workspace: Workspace) -> None:
    """Attach the page's callbacks to ``app``."""

    # the map of the period the slider picks, from the figures already in the page
    app.clientside_callback(  # type: ignore[no-untyped-call]
        "function(i, figures) { return figures[i]; }",
        Output({"type": "map", "key": MATCH}, "figure"),
        Input({"type": "map-period", "key": MATCH}, "value"),
        State({"type": "maps", "key": MATCH}, "data"),
        prevent_initial_call=True,
    )

    def picked(name: str, store: dict[str, str] | None) -> Scenario:
        scenario, _ = workspace.picked(name, _upload_of(store))
        return scenario

    @app.callback(
        Output("upload-problems", "children"),
        Output("upload-store", "data"),
        Output("scenario", "options"),
        Output("scenario", "value"),
        Output("base", "options"),
        Input("upload", "contents"),
        State("upload", "filename"),
        prevent_initial_call=True,
    )
    def on_upload(contents: str | None, filename: str | None) -> tuple[Any, ...]:
        names = shipped()
        if not contents or not filename:
            return "", None, names, no_update, names
        try:
            data = base64.b64decode(contents.split(",", 1)[1], validate=True)
            text = data.decode("utf-8")
        except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
            return f"{filename}: not a UTF-8 text file", None, names, no_update, names
        upload = Upload(filename, text)
        scenario, problems = workspace.validate_upload(upload)
        if scenario is None:
            return "\n".join(problems), None, names, no_update, names
        with_upload = [*names, filename]
        store = {"filename": filename, "text": text}
        return f"{filename}: ok ({scenario.name})", store, with_upload, filename, with_upload

    @app.callback(
        Output("policy", "children"),
        Output("levers", "children"),
        Output("horizon-end", "options"),
        Output("horizon-end", "value"),
        Input("scenario", "value"),
        State("upload-store", "data"),
    )
    def on_pick(name: str, store: dict[str, str] | None) -> tuple[Any, ...]:
        try:
            scenario = picked(name, store)
        except ScenarioError as err:
            return [html.Pre("\n".join(problem_lines(workspace, err)))], [], [], None
        start, end = scenario.horizon.start, scenario.horizon.end
        ends = [dt.date(y, 12, 31) for y in range(start.year, end.year)] + [end]
        options = [{"label": str(d), "value": d.isoformat()} for d in ends]
        return _policy_panel(scenario), _lever_panel(scenario), options, end.isoformat()

    def choices(
        name: str,
        base: str,
        ticked: list[list[str]],
        ids: list[dict[str, str]],
        end: str | None,
        reps: Any,
        store: dict[str, str] | None,
    ) -> Choices:
        scenario = picked(name, store)
        on = {v for values in ticked for v in values or []}
        # no checklists yet (the panel is still being drawn): nothing is switched off
        excluded = tuple(e.id for e in scenario.events if e.id and e.id not in on) if ids else ()
        return Choices(
            scenario=name,
            base=base,
            excluded=excluded,
            horizon_end=horizon_end(end),
            replications=int(reps) if isinstance(reps, int | float) else DEFAULT_REPLICATIONS,
        )

    common = [
        State("scenario", "value"),
        State("base", "value"),
        State({"type": "events", "actor": ALL}, "value"),
        State({"type": "events", "actor": ALL}, "id"),
        State("horizon-end", "value"),
        State("replications", "value"),
        State("upload-store", "data"),
        State({"type": "lever", "key": ALL}, "value"),
        State({"type": "lever", "key": ALL}, "id"),
    ]

    @app.callback(
        Output("run-problems", "children"),
        Output("summary", "children"),
        Output("one-run", "children"),
        Output("timing", "children"),
        Output("answered", "children"),
        Output("answer", "data"),
        Output("results", "children"),
        Output("charts-timing", "children"),
        Input("run", "n_clicks"),
        *common,
        prevent_initial_call=True,
    )
    def on_run(clicks: int, *state: Any) -> tuple[Any, ...]:
        name, base, ticked, ids, end, reps, store, values, keys = state
        levers = {k["key"]: v for k, v in zip(keys, values, strict=True)}
        try:
            outcome = workspace.outcome(
                choices(name, base, ticked, ids, end, reps, store), _upload_of(store), levers
            )
        except ScenarioError as err:
            problems = "\n".join(problem_lines(workspace, err))
            return problems, "", "", "", str(clicks), None, [], ""
        except PotashsimError as err:
            return f"error: {err}", "", "", "", str(clicks), None, [], ""
        answer = {"key": outcome.key, "run": clicks}
        timing = f"Answered at the fast granularity: {outcome.timing}."
        # the old charts go at once: they answered another question
        return "", outcome.summary, outcome.one_run, timing, str(clicks), answer, [], ""

    @app.callback(
        Output("chart-problems", "children"),
        Output("results", "children", allow_duplicate=True),
        Output("charts-timing", "children", allow_duplicate=True),
        Output("charted", "children"),
        Input("answer", "data"),
        prevent_initial_call=True,
    )
    def on_answer(answer: dict[str, Any] | None) -> tuple[Any, ...]:
        if not answer:
            return "", [], "", no_update
        try:
            outcome = workspace.sections(str(answer["key"]))
        except PotashsimError as err:
            return f"error: {err}", [], "", str(answer["run"])
        timing = f"Charts: {outcome.charts_timing}." if outcome.charts_timing else ""
        return "", _sections(outcome), timing, str(answer["run"])

    @app.callback(
        Output("download", "data"),
        Output("run-problems", "children", allow_duplicate=True),
        Input("download-button", "n_clicks"),
        *common,
        prevent_initial_call=True,
    )
    def on_download(_clicks: int, *state: Any) -> tuple[Any, ...]:
        name, base, ticked, ids, end, reps, store, values, keys = state
        levers = {k["key"]: v for k, v in zip(keys, values, strict=True)}
        try:
            upload = _upload_of(store)
            _, variant, text, _ = workspace.prepare(
                choices(name, base, ticked, ids, end, reps, store), upload, levers
            )
        except ScenarioError as err:
            return no_update, "\n".join(problem_lines(workspace, err))
        return dict(content=text, filename=f"{variant.name}.yaml"), ""
