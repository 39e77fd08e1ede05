"""`arn:aws:states:::http:invoke` against a tiny HTTP server on loopback (AWS call-https-apis:
ApiEndpoint, Method, Headers, QueryParameters, RequestBody; result Headers/ResponseBody/
StatusCode/StatusText; States.Http.Socket when nothing listens)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import free_port, run_with

LOOPBACK_ALLOWED = TaskConfig(http_allow=("127.0.0.1",))  # loopback is refused unless allowed


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"null")
        status = 404 if self.path.startswith("/missing") else 200
        payload = json.dumps({"path": self.path, "body": body, "token": self.headers.get("X-Token")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


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
    assert result.output["ResponseBody"] == {"path": "/orders?q=1", "body": {"order": 9}, "token": "t1"}


def test_http_error_status_fails_the_task(http_server: str) -> None:
    result = run_with(LOOPBACK_ALLOWED, _definition(http_server + "/missing"), {"order": 1})
    assert (result.status, result.error) == ("FAILED", "States.Http.StatusCode.404")


def test_nothing_listening_is_a_socket_error() -> None:
    result = run_with(LOOPBACK_ALLOWED, _definition(f"http://127.0.0.1:{free_port()}/"), {"order": 1})
    assert (result.status, result.error) == ("FAILED", "States.Http.Socket")
