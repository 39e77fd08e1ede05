"""The console's only writes: start an execution, stop one. Same service calls as the API.

A write must come from the console's own pages. A browser sends `Origin` (and `Sec-Fetch-Site`)
with every POST it makes with `fetch`; another site's page can reach us only through a form or
a "simple" request, which cannot have the JSON content type required here without a CORS
preflight that this server never grants. So: JSON only, and a cross-site origin is refused.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse

from asl_engine import arns
from asl_engine.service import Service

from ..errors import ApiError, serialization


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
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise serialization("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise serialization("The request body must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError("ValidationException", f"'{key}' must be a string")
    return value or None


async def start_execution(request: Request) -> JSONResponse:
    """StartExecution on the machine (`#<TestCase>` runs a test case of the mock file)."""
    body = await _body(request)
    machine_arn = _text(body, "stateMachineArn") or ""
    test_case = _text(body, "testCase")
    scope = arns.parse_arn(machine_arn.partition("#")[0]).scope
    target = f"{machine_arn}#{test_case}" if test_case else machine_arn
    record = await _service(request).start_execution(scope, target, _text(body, "name"), _text(body, "input"))
    return JSONResponse({"executionArn": record.arn, "startDate": record.start_date})


async def stop_execution(request: Request) -> JSONResponse:
    body = await _body(request)
    arn = _text(body, "executionArn") or ""
    stop_date = await _service(request).executions.stop(arns.parse_arn(arn).scope, arn, None, None)
    return JSONResponse({"stopDate": stop_date})
