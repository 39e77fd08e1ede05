"""POST /: every SDK call, from the request to one `Reply` (status, headers, body).

Why one function instead of ASGI middleware around an endpoint: under `serve`, uvicorn's request
cycle calls `answer` itself (api/http_protocol.py) and writes the reply at once; any other ASGI
server reaches the same `answer` through `__call__`. Either way a request meets, in order, the
guard's checks (api/guard.py `Gate`: Host, body size, SigV4 when configured), the action
(api/protocol.py), and the error net: a `ServiceError` or `ApiError` becomes AWS's
`{"__type", "message"}`, anything else a 500 `InternalFailure` whose body says nothing of our
internals while the log gets the traceback and the request id to match. Every answer carries
`x-amzn-RequestId`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from asl_engine.aws_errors import ServiceError
from asl_engine.config import Config

from . import protocol
from .actions import ACTIONS
from .errors import ApiError, as_api_error, encode_json, internal_failure
from .guard import MAX_BODY_BYTES, Gate
from .http_protocol import Reader, Reply

log = logging.getLogger("asl_engine.api")
_CONTENT_TYPE = (b"content-type", protocol.CONTENT_TYPE.encode())


class AwsJsonApi:
    """POST /, answered as a `Reply` (`answer`), or as a plain ASGI app."""

    def __init__(self, state: Any, config: Config) -> None:
        self.endpoint = protocol.AwsJsonEndpoint(state, ACTIONS)
        self.gate = Gate(config)

    async def answer(self, scope: Scope, read: Reader) -> Reply | None:
        """The request's reply; None when the client left before its body was read."""
        request_id = protocol.request_id()
        started = time.perf_counter()
        try:
            self.gate.check_host(scope["headers"])
            body = await read(MAX_BODY_BYTES)
            if self.gate.credentials:
                self.gate.verify(scope, body)
            status, payload = 200, await self.endpoint.answer(scope["headers"], body)
        except ClientDisconnect:
            return None
        except (ServiceError, ApiError) as exc:
            error = as_api_error(exc)
            status, payload = error.status, encode_json(error.body())
        except Exception:
            log.exception("request %s failed with an unexpected error", request_id)
            error = internal_failure()
            status, payload = error.status, encode_json(error.body())
        protocol.log_request(scope, status, started, request_id)
        return Reply(status, (_CONTENT_TYPE, (b"content-length", b"%d" % len(payload)),
                              (b"x-amzn-requestid", request_id.encode())), payload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = await self.answer(scope, lambda limit: protocol.read_body(receive, limit))
        if reply is None:
            return
        await send({"type": "http.response.start", "status": reply.status, "headers": list(reply.headers)})
        await send({"type": "http.response.body", "body": reply.body})
