"""lambda:invoke honours Invoke's InvocationType, Qualifier, LogType and ClientContext
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html,
https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html): Event answers 202 with an
empty payload without waiting, DryRun 204 and runs nothing, ExecutedVersion and LogResult come from
Lambda's answer; a payload holding NaN fails the task. The remote endpoint is a stub speaking the Invoke API on loopback.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import run_with

TAIL = base64.b64encode(b"START RequestId: r\nEND RequestId: r\n").decode()


class _Lambda(BaseHTTPRequestHandler):
    """Lambda's Invoke API as API_Invoke.html words its answers; records each request's headers."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {key.lower(): value for key, value in self.headers.items()}
        type(self).seen.append({**headers, "path": self.path})
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        code, body = {"Event": (202, b""), "DryRun": (204, b"")}.get(kind, (200, b'{"ran":true}'))
        if self.path.split("/")[3].endswith("nan"):  # name or ARN; what Python's json writes for a float NaN
            body = b'{"v":NaN}'
        self.send_response(code)
        if kind == "RequestResponse":
            self.send_header("X-Amz-Executed-Version", "7" if "Qualifier=live" in self.path else "$LATEST")
            if headers.get("x-amz-log-type") == "Tail":
                self.send_header("X-Amz-Log-Result", TAIL)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def lambda_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    _Lambda.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Lambda)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _invoke(**parameters: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                             "Parameters": {"FunctionName": "f", **parameters}, "End": True}}}


def test_remote_event_is_202_with_an_empty_payload(lambda_endpoint: str) -> None:
    result = run_with(TaskConfig(endpoints={"lambda": lambda_endpoint}), _invoke(InvocationType="Event"), {})
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["StatusCode"], result.output["Payload"]) == (202, "")
    assert _Lambda.seen[0]["x-amz-invocation-type"] == "Event"


def test_remote_dry_run_is_204(lambda_endpoint: str) -> None:
    result = run_with(TaskConfig(endpoints={"lambda": lambda_endpoint}), _invoke(InvocationType="DryRun"), {})
    assert (result.output["StatusCode"], result.output["Payload"]) == (204, "")


def test_remote_qualifier_log_tail_and_client_context(lambda_endpoint: str) -> None:
    context = base64.b64encode(json.dumps({"custom": {"a": 1}}).encode()).decode()
    definition = _invoke(Qualifier="live", LogType="Tail", ClientContext=context)
    result = run_with(TaskConfig(endpoints={"lambda": lambda_endpoint}), definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ExecutedVersion"] == "7"
    assert result.output["LogResult"] == TAIL
    assert result.output["Payload"] == {"ran": True} and result.output["StatusCode"] == 200
    assert _Lambda.seen[0]["x-amz-client-context"] == context


def test_local_event_does_not_wait_and_dry_run_does_not_run() -> None:
    started, release, calls = threading.Event(), threading.Event(), []

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        started.set()
        release.wait(30)  # held until the execution has ended: the task must not wait for it
        return "done"

    config = TaskConfig(lambda_handlers={"f": handler})
    dry = run_with(config, _invoke(InvocationType="DryRun", Payload={"n": 0}), {})
    assert (dry.status, dry.output["StatusCode"], dry.output["Payload"], calls) == ("SUCCEEDED", 204, "", [])
    event = run_with(config, _invoke(InvocationType="Event", Payload={"n": 1}), {})
    release.set()
    assert (event.status, event.output["StatusCode"], event.output["Payload"]) == ("SUCCEEDED", 202, "")
    assert started.wait(30) and calls == [{"n": 1}]


def _nan(event: Any, context: Any) -> Any:
    return {"v": float("nan")}


@pytest.mark.parametrize("resource", ["arn:aws:states:::lambda:invoke",
                                      "arn:aws:lambda:us-east-1:123456789012:function:nan"])
@pytest.mark.parametrize("local", [True, False])
def test_nan_from_a_function_fails_the_task(lambda_endpoint: str, resource: str, local: bool) -> None:
    """NaN is not JSON (RFC 8259) and never reaches an execution's output; AWS documents no error for
    it, so the task fails with States.TaskFailed, which Catch takes."""
    config = TaskConfig(lambda_handlers={"nan": _nan}) if local else TaskConfig(endpoints={"lambda": lambda_endpoint})
    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": resource, "End": True,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    if resource.endswith("lambda:invoke"):
        definition["States"]["T"]["Parameters"] = {"FunctionName": "nan"}
    result = run_with(config, definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Error"] == "States.TaskFailed"
    assert result.output["Cause"].startswith("The Lambda function's response payload is not valid JSON: ")
    assert "NaN and Infinity are not JSON numbers" in result.output["Cause"]


def test_local_handler_gets_the_client_context() -> None:
    """python-context.html: context.client_context.client / .custom / .env."""
    seen = []

    def handler(event: Any, context: Any) -> Any:
        seen.append(context.client_context)
        return None

    encoded = base64.b64encode(json.dumps({"client": {"app_title": "shop"}, "custom": {"a": 1},
                                           "env": {"locale": "fr"}}).encode()).decode()
    result = run_with(TaskConfig(lambda_handlers={"f": handler}), _invoke(ClientContext=encoded), {})
    assert result.status == "SUCCEEDED", result.cause
    assert (seen[0].client.app_title, seen[0].custom, seen[0].env) == ("shop", {"a": 1}, {"locale": "fr"})
    bad = run_with(TaskConfig(lambda_handlers={"f": handler}), _invoke(ClientContext="not base64!"), {})
    assert (bad.status, bad.error) == ("FAILED", "States.TaskFailed")
    assert bad.cause.startswith("ClientContext is not base64-encoded JSON")


def test_remote_invoke_is_signed_as_the_task_role(lambda_endpoint: str, aws_env: str) -> None:
    """Credentials.RoleArn: the Invoke carries the session token of STS AssumeRole (moto's STS)
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html)."""
    definition = _invoke()
    definition["States"]["T"]["Credentials"] = {"RoleArn": "arn:aws:iam::111122223333:role/target"}
    result = run_with(TaskConfig(endpoints={"lambda": lambda_endpoint}, default_endpoint=aws_env), definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert "x-amz-security-token" in _Lambda.seen[0]
    assert "Credential=testing/" not in _Lambda.seen[0]["authorization"]
