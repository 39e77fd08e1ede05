"""The web console: `/ui/`, pages over the same `Service` as the APIs, working offline.

Pages are rendered on the server (Jinja2 templates); one small script draws the graphs with
dagre (vendored in static/, MIT, see static/dagre.LICENSE) and polls a running execution.
Nothing is fetched from anywhere but this server.

No page of the console may be shown inside another site's frame: a framed page's Start and Stop
buttons are this origin's own, so a click lured through a transparent frame (clickjacking) would
pass the actions' same-origin check. Every answer under /ui/ says so to the browser, in both
vocabularies (`X-Frame-Options` for old browsers, CSP `frame-ancestors` for current ones).
"""

from __future__ import annotations

from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import actions, pages

routes = [
    Route("/", pages.overview, methods=["GET"]),
    Route("/state-machines/{arn:path}", pages.state_machine, methods=["GET"]),
    Route("/executions/{arn:path}", pages.execution, methods=["GET"]),
    Route("/actions/start-execution", actions.start_execution, methods=["POST"]),
    Route("/actions/stop-execution", actions.stop_execution, methods=["POST"]),
    Mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static"),
]
FRAME_HEADERS = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'")]


class NoFraming:
    """Adds FRAME_HEADERS to every answer of the app it wraps (pages, error pages, actions' answers
    and refusals, static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def framed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *FRAME_HEADERS]
            await send(message)

        await self.app(scope, receive, framed)


console = Mount("/ui", app=NoFraming(Router(routes)))
root = pages.root
