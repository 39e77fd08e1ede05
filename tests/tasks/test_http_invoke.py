"""`arn:aws:states:::http:invoke` against a tiny HTTP server on loopback (AWS call-https-apis:
ApiEndpoint, Method, Headers, QueryParameters, RequestBody; result Headers/ResponseBody/
StatusCode/StatusText; States.Http.Socket when nothing listens)."""

from __future__ import annotations

from typing import Iterator

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import echo_server, free_port, run_with

LOOPBACK_ALLOWED = TaskConfig(http_allow=("127.0.0.1",))  # loopback is refused unless allowed


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    with echo_server() as url:
        yield url


def _definition(endpoint: str) -> dict:
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint": endpoint, "Method": "POST", "Headers": {"X-Token": "t1"},
                       "QueryParameters": {"q": "1"}, "RequestBody": {"order.$": "$.order"}},
        "End": True}}}


def test_http_invoke_returns_status_and_parsed_body(http_server: str) -> None:
    result = run_with(LOOPBACK_ALLOWED, _definition(http_server + "/orders"), {"order": 9})
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["StatusCode"], result.output["StatusText"]) == (200, "OK")
    echoed = result.output["ResponseBody"]
    assert (echoed["path"], echoed["body"], echoed["headers"]["x-token"]) == ("/orders?q=1", {"order": 9}, "t1")


def test_http_error_status_fails_the_task(http_server: str) -> None:
    result = run_with(LOOPBACK_ALLOWED, _definition(http_server + "/missing"), {"order": 1})
    assert (result.status, result.error) == ("FAILED", "States.Http.StatusCode.404")


def test_nothing_listening_is_a_socket_error() -> None:
    result = run_with(LOOPBACK_ALLOWED, _definition(f"http://127.0.0.1:{free_port()}/"), {"order": 1})
    assert (result.status, result.error) == ("FAILED", "States.Http.Socket")
