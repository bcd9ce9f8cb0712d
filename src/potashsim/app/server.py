"""The Dash app and the server that runs it: waitress, a production WSGI server, bound to
127.0.0.1 unless told otherwise.

Nothing the page needs comes from the internet: Dash serves its own JavaScript and CSS
(``serve_locally``), and the maps' geography is the vendored topojson the offline report uses,
served by this app at :data:`potashsim.app.page.TOPOJSON_URL`.
"""

from __future__ import annotations

from pathlib import Path

import flask
from dash import Dash

from potashsim.app import page
from potashsim.app.compute import MAX_UPLOAD_BYTES, Workspace
from potashsim.report.html import topojson_dir

__all__ = ["MAX_REQUEST_BYTES", "THREADS", "create_app", "serve"]

#: Largest request body: an upload travels base64-encoded (4/3 of its size) inside the JSON of
#: a callback, with the page's other values.
MAX_REQUEST_BYTES = 2 * MAX_UPLOAD_BYTES
#: Requests served at once; the simulations among them are capped by compute.MAX_BUSY.
THREADS = 8


def create_app(workspace: Workspace | None = None) -> Dash:
    """The Dash app of ``potashsim serve`` (its Flask server is ``app.server``)."""
    app = Dash(
        __name__,
        title="potashsim",
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title="running…",
    )
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    topojson = topojson_dir()

    def _topojson(name: str) -> flask.Response:
        return flask.send_from_directory(Path(topojson), name)

    app.server.add_url_rule(f"{page.TOPOJSON_URL}<path:name>", "topojson", _topojson)

    app.layout = page.layout
    page.register(app, workspace or Workspace())
    return app


def serve(host: str = "127.0.0.1", port: int = 8050) -> None:
    """Serve the app with waitress until interrupted."""
    import waitress  # type: ignore[import-untyped]

    waitress.serve(
        create_app().server,
        host=host,
        port=port,
        threads=THREADS,
        # a request that waits longer than this for its socket is dropped, not queued forever
        channel_timeout=300,
        ident="potashsim",
    )
