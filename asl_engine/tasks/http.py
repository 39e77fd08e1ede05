"""`arn:aws:states:::http:invoke`: call an HTTPS API (call-https-apis).

Parameters: `ApiEndpoint`, `Method`, `Headers`, `QueryParameters`, `RequestBody`,
`Transform.RequestBodyEncoding` (`URL_ENCODED` sends a form). `Authentication` names an
EventBridge connection, whose credentials we do not have: it is accepted and ignored. The result
is `{Headers, ResponseBody, StatusCode, StatusText}`; a status outside 2xx fails the task with
`States.Http.StatusCode.<code>`, and a connection failure with `States.Http.Socket`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..clock import Clock
from ..errors import HTTP_SOCKET, StatesError
from ..tasks_api import TaskRequest

Json = Any


def _request_arguments(params: dict[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "method": str(params.get("Method", "GET")).upper(),
        "url": params.get("ApiEndpoint", ""),
        "headers": {key: str(value) for key, value in (params.get("Headers") or {}).items()},
        "params": params.get("QueryParameters") or None,
    }
    body = params.get("RequestBody")
    encoding = (params.get("Transform") or {}).get("RequestBodyEncoding")
    if body is None:
        return arguments
    if encoding == "URL_ENCODED" and isinstance(body, dict):
        arguments["data"] = body
    elif isinstance(body, str):
        arguments["content"] = body
    else:
        arguments["content"] = json.dumps(body)
        arguments["headers"].setdefault("Content-Type", "application/json")
    return arguments


def _body(response: httpx.Response) -> Json:
    try:
        return response.json()
    except ValueError:
        return response.text


class HttpTasks:
    """Performs `http:invoke` with httpx; the clock is busy while the request is in flight."""

    def __init__(self, clock: Clock, timeout: float = 60.0) -> None:
        self.clock = clock
        self.timeout = timeout

    async def __call__(self, request: TaskRequest) -> Json:
        params = request.input if isinstance(request.input, dict) else {}
        arguments = _request_arguments(params)
        try:
            with self.clock.busy():
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.request(**arguments)
        except httpx.HTTPError as exc:
            raise StatesError(HTTP_SOCKET, f"Unable to reach {arguments['url']}: {exc}") from None
        result = {
            "Headers": {key: [value] for key, value in response.headers.items()},
            "ResponseBody": _body(response),
            "StatusCode": response.status_code,
            "StatusText": response.reason_phrase,
        }
        if not 200 <= response.status_code < 300:
            raise StatesError(f"States.Http.StatusCode.{response.status_code}", json.dumps(result))
        return result
