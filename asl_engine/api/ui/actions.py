"""The console's only writes: start an execution, stop one. Same service calls as the API.

A write must come from the console's own pages. A browser sends `Origin` (and `Sec-Fetch-Site`)
with every POST it makes with `fetch`; another site's page can reach us only through a form or
a "simple" request, which cannot have the JSON content type required here without a CORS
preflight that this server never grants. So: JSON only, and a cross-site origin is refused.

The body is read as the AWS protocol reads its own (`parse_body`: depth, NaN, numbers beyond a
double, unpaired surrogates refused with a 4xx), and every refusal is answered here, in AWS's
error shape, so that it carries the console's no-framing headers like any other answer.
"""

from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from asl_engine import arns
from asl_engine.aws_errors import ServiceError
from asl_engine.service import Service

from ..errors import ApiError, as_api_error, encode_json
from ..protocol import parse_body

Action = Callable[[Request], Awaitable[Response]]


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _body(request: Request) -> dict[str, Any]:
    """The JSON body of a same-origin request (see the module's docstring)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError("UnsupportedMediaType", "The console's actions take application/json", 415)
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if site not in (None, "same-origin", "none") or (
            origin is not None and urlsplit(origin).netloc != request.headers.get("host")):
        raise ApiError("AccessDeniedException", "Cross-site requests to the console are refused", 403)
    return parse_body(await request.body())


def _answers_errors(action: Action) -> Action:
    @functools.wraps(action)
    async def answered(request: Request) -> Response:
        try:
            return await action(request)
        except (ServiceError, ApiError) as exc:
            error = as_api_error(exc)
            return Response(encode_json(error.body()), status_code=error.rest_status(), media_type="application/json")

    return answered


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError("ValidationException", f"'{key}' must be a string")
    return value or None


@_answers_errors
async def start_execution(request: Request) -> Response:
    """StartExecution on the machine (`#<TestCase>` runs a test case of the mock file)."""
    body = await _body(request)
    machine_arn = _text(body, "stateMachineArn") or ""
    test_case = _text(body, "testCase")
    scope = arns.parse_arn(machine_arn.partition("#")[0]).scope
    target = f"{machine_arn}#{test_case}" if test_case else machine_arn
    record = await _service(request).start_execution(scope, target, _text(body, "name"), _text(body, "input"))
    return JSONResponse({"executionArn": record.arn, "startDate": record.start_date})


@_answers_errors
async def stop_execution(request: Request) -> Response:
    body = await _body(request)
    arn = _text(body, "executionArn") or ""
    stop_date = await _service(request).executions.stop(arns.parse_arn(arn).scope, arn, None, None)
    return JSONResponse({"stopDate": stop_date})
