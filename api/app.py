"""The ASGI application: both APIs over one `Service`, and the one error net around them.

Why a single outer net: every failure must reach the client in AWS's error shape, and an
unexpected exception must cost one request, never the server. A `ServiceError` or `ApiError`
becomes `{"__type", "message"}`; anything else becomes a 500 `InternalFailure` whose body says
nothing about our internals, while the log gets the traceback and the request id to match.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from asl_engine.config import Config
from asl_engine.service import Service
from asl_engine.service_errors import ServiceError
from asl_engine.store.sqlite import SqliteStore

from . import protocol, rest
from .actions import ACTIONS
from .errors import ApiError, internal_failure

log = logging.getLogger("asl_engine.api")


def create_app(config: Config) -> FastAPI:
    """The app; its store and service are opened by the lifespan, inside the server's loop.
    Task states go where `config.tasks` says (mock file, local Lambda handlers, endpoints)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = SqliteStore(config.db_path)
        await store.open()
        app.state.service = Service(store, config.make_clock(), config)
        await app.state.service.activities.load()  # before any execution queues on an activity
        resumed = await app.state.service.executions.recover()
        log.info("asl-engine ready: db %s, account %s, region %s, %d running executions resumed",
                 config.db_path, config.account_id, config.region, resumed)
        try:
            yield
        finally:
            await app.state.service.shutdown()
            await store.close()

    app = FastAPI(
        title="asl-engine",
        summary="AWS Step Functions on your own machine",
        description="`POST /` speaks AWS's JSON 1.0 protocol (boto3, the aws CLI); "
        "the other routes are a REST API for uploading and running state machines.",
        lifespan=lifespan,
    )
    app.middleware("http")(_error_net)
    app.include_router(rest.router)
    app.add_api_route("/", _aws_protocol, methods=["POST"], summary="AWS JSON 1.0 protocol (X-Amz-Target)")
    return app


async def _aws_protocol(request: Request) -> Response:
    result = await protocol.dispatch(request.app.state.service, ACTIONS, request)
    return JSONResponse(result, media_type=protocol.CONTENT_TYPE)


async def _error_net(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    request_id = str(uuid.uuid4())
    started = time.perf_counter()
    aws = request.url.path == "/" and request.method == "POST"
    try:
        response = await call_next(request)
    except (ServiceError, ApiError) as exc:
        error = exc if isinstance(exc, ApiError) else ApiError.from_service(exc)
        response = _error_response(error, aws)
    except Exception:
        log.exception("request %s failed with an unexpected error", request_id)
        response = _error_response(internal_failure(), aws)
    response.headers["x-amzn-RequestId"] = request_id
    log.info(
        "%s %s %s -> %d in %.1f ms [%s]", request.method, request.url.path,
        request.headers.get("x-amz-target", ""), response.status_code,
        (time.perf_counter() - started) * 1000, request_id,
    )
    return response


def _error_response(error: ApiError, aws: bool) -> JSONResponse:
    status = error.status if aws else error.rest_status()
    media_type = protocol.CONTENT_TYPE if aws else "application/json"
    return JSONResponse(error.body(), status_code=status, media_type=media_type)
