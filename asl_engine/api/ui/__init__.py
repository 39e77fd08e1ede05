"""The web console: `/ui/`, pages over the same `Service` as the APIs, working offline.

Pages are rendered on the server (Jinja2 templates); one small script draws the graphs with
dagre (vendored in static/, MIT, see static/dagre.LICENSE) and polls a running execution.
Nothing is fetched from anywhere but this server.
"""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import actions, pages

routes = [
    Route("/", pages.overview, methods=["GET"]),
    Route("/state-machines/{arn:path}", pages.state_machine, methods=["GET"]),
    Route("/executions/{arn:path}", pages.execution, methods=["GET"]),
    Route("/actions/start-execution", actions.start_execution, methods=["POST"]),
    Route("/actions/stop-execution", actions.stop_execution, methods=["POST"]),
    Mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static"),
]
console = Mount("/ui", routes=routes)
root = pages.root
