"""The ASGI application: both APIs over one `Service`, and the one error net around them.

Why a single outer net: every failure must reach the client in AWS's error shape, and an
unexpected exception must cost one request, never the server. A `ServiceError` or `ApiError`
becomes `{"__type", "message"}`; anything else becomes a 500 `InternalFailure` whose body says
nothing about our internals, while the log gets the traceback and the request id to match.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asl_engine.clock import Clock
from asl_engine.config import Config
from asl_engine.offload import use_workers
from asl_engine.service import Service
from asl_engine.service.cluster import join_cluster
from asl_engine.aws_errors import ServiceError
from asl_engine.store import Store
from asl_engine.store.postgres import PostgresStore, is_url, redact
from asl_engine.store.sqlite import SqliteStore
from asl_engine.version import VERSION

from . import protocol, rest, ui
from .aws_json import AwsJsonApi
from .errors import ApiError, as_api_error, encode_json, internal_failure
from .guard import Guard
from .http_protocol import Direct

log = logging.getLogger("asl_engine.api")


def create_app(config: Config, clock: Clock | None = None, store: Store | None = None) -> FastAPI:
    """The app; its store and service are opened by the lifespan, inside the server's loop.
    Task states go where `config.tasks` says (mock file, local Lambda handlers, endpoints).
    A `clock` given replaces the configured one (asl_engine.testing: time moves when a test says)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # `--db postgresql://...` is a PostgreSQL database (asl_engine/store/postgres.py), else a file;
        # `serve` gives the PostgreSQL store it has connected (an unreachable database stops it first).
        db = store or (PostgresStore(config.db_path) if is_url(config.db_path) else SqliteStore(config.db_path))
        await db.open()
        try:
            use_workers()  # JSONata that outgrows its slice leaves the loop (asl_engine/offload.py)
            app.state.service = Service(db, clock or config.make_clock(), config)
            # Several servers on one PostgreSQL database: leases, and calls to the others (before
            # anything queues an activity task or resumes an execution).
            cluster = await join_cluster(app.state.service, db)
            await app.state.service.activities.load()  # before any execution queues on an activity
            resumed = await app.state.service.executions.recover()
            if cluster is not None:
                await cluster.start()
        except BaseException:
            await db.close()  # the store's thread would keep a failed start-up alive
            raise
        log.info("database %s open, %d running executions resumed", redact(config.db_path), resumed)
        try:
            yield
        finally:
            if cluster is not None:
                await cluster.close()
            await app.state.service.shutdown()
            await db.close()

    app = App(
        config,
        title="asl-engine",
        summary="AWS Step Functions on your own machine",
        description="`POST /` speaks AWS's JSON 1.0 protocol (boto3, the aws CLI); "
        "the other routes are a REST API for uploading and running state machines.",
        lifespan=lifespan,
        exception_handlers=rest.EXCEPTION_HANDLERS,  # 404, 405, 422 in AWS's error shape
    )
    app.include_router(rest.router)
    app.router.routes.append(Route("/health", _health, methods=["GET"]))
    # The web console (api/ui): its pages under /ui/, and GET / sends a browser there.
    app.router.routes.extend([ui.console, Route("/", ui.root, methods=["GET"])])
    app.add_middleware(Guard, config=config)  # Host check, and SigV4 when credentials are configured
    app.add_middleware(ErrorNet)
    return app


class App(FastAPI):
    """FastAPI for the REST API, the console and /health; every SDK call (POST /, AWS's JSON
    protocol) is answered before FastAPI's own middleware stack and router, by api/aws_json.py
    alone: those layers cost a DescribeExecution a fifth of its CPU and do nothing for it."""

    def __init__(self, config: Config, **settings: Any) -> None:
        super().__init__(**settings)
        self.aws = AwsJsonApi(self.state, config)

    def direct(self, scope: Scope) -> Direct | None:
        """What answers this request without ASGI under `serve` (api/http_protocol.py): every
        SDK call; None for the other routes."""
        return self.aws.answer if scope["path"] == "/" and scope["method"] == "POST" else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            await self.aws(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


async def _health(request: Request) -> Response:
    """For a CI step or a container health check: the server is up and its database open. On
    PostgreSQL, 503 while this server cannot reach the database or holds no lease on it, so a
    load balancer (deploy/postgres/haproxy.cfg) sends calls to the other servers meanwhile."""
    store = request.app.state.service.store
    trouble = store.trouble() if isinstance(store, PostgresStore) else None
    if trouble is not None:
        return Response(encode_json({"status": "unavailable", "reason": trouble, "version": VERSION}),
                        status_code=503, media_type="application/json")
    return Response(encode_json({"status": "ok", "version": VERSION}), media_type="application/json")


class ErrorNet:
    """The error net of the REST API, the console and /health, as plain ASGI middleware (no
    per-request task group, unlike `BaseHTTPMiddleware`): adds `x-amzn-RequestId`, turns errors
    into AWS's shape with the REST API's status codes, logs a line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = protocol.request_id()
        id_header = (b"x-amzn-requestid", request_id.encode())
        started = time.perf_counter()
        status = 500
        response_started = False

        def send_with_id(message: Message) -> Awaitable[None]:  # the server's own awaitable, not one more
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            return send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except (ServiceError, ApiError) as exc:
            if not response_started:
                await _error_response(as_api_error(exc))(scope, receive, send_with_id)
        except Exception:
            log.exception("request %s failed with an unexpected error", request_id)
            if not response_started:
                await _error_response(internal_failure())(scope, receive, send_with_id)
        protocol.log_request(scope, status, started, request_id)


def _error_response(error: ApiError) -> Response:
    return Response(encode_json(error.body()), status_code=error.rest_status(), media_type="application/json")
