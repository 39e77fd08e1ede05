"""`http:invoke` with `Authentication.ConnectionArn`: the EventBridge connection's credentials and
invocation parameters are sent, the connection's values winning over the Task's, as AWS's
"Call HTTPS APIs in Step Functions workflows" page describes
(https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html, "Connectivity for an
HTTP Task" and "Merging EventBridge connection and HTTP Task definition data"; connection shape:
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateConnection.html).
A connection asl-engine cannot honour fails the task with a cause naming ASL_ENGINE_HTTP_CONNECTIONS
instead of calling without the credentials."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Iterator

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import echo_server, run_with

ARN = "arn:aws:events:us-east-1:123456789012:connection/orders/0f1e2d3c-aaaa-bbbb-cccc-000000000000"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with echo_server() as url:
        yield f"{url}/orders"


def _definition(endpoint: str, connection: str = ARN) -> dict:
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint": endpoint, "Method": "POST",
                       "Authentication": {"ConnectionArn": connection},
                       "Headers": {"X-Tenant": "from-task", "X-Trace": "1"},
                       "RequestBody": {"order": 7}},
        "End": True}}}


def _config(tmp_path: Path, connections: dict | None) -> TaskConfig:
    if connections is None:
        return TaskConfig(http_allow=("127.0.0.1",))
    path = tmp_path / "connections.json"
    path.write_text(json.dumps(connections))
    return TaskConfig(http_allow=("127.0.0.1",), http_connections=str(path))


def test_api_key_connection_sends_its_key_and_parameters(endpoint: str, tmp_path: Path) -> None:
    config = _config(tmp_path, {"orders": {"AuthorizationType": "API_KEY", "AuthParameters": {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
        "InvocationHttpParameters": {
            "HeaderParameters": [{"Key": "X-Tenant", "Value": "from-connection", "IsValueSecret": False}],
            "QueryStringParameters": [{"Key": "region", "Value": "eu"}],
            "BodyParameters": [{"Key": "source", "Value": "connection"}]}}}})
    result = run_with(config, _definition(endpoint))
    assert result.status == "SUCCEEDED", result.cause
    seen = result.output["ResponseBody"]
    assert seen["headers"]["x-api-key"] == "s3cret"
    assert (seen["headers"]["x-tenant"], seen["headers"]["x-trace"]) == ("from-connection", "1")
    assert seen["path"] == "/orders?region=eu"
    assert seen["body"] == {"order": 7, "source": "connection"}


def test_basic_connection_named_by_full_arn(endpoint: str, tmp_path: Path) -> None:
    config = _config(tmp_path, {ARN: {"AuthorizationType": "BASIC", "AuthParameters": {
        "BasicAuthParameters": {"Username": "ann", "Password": "pw"}}}})
    result = run_with(config, _definition(endpoint))
    assert result.status == "SUCCEEDED", result.cause
    expected = "Basic " + base64.b64encode(b"ann:pw").decode()
    assert result.output["ResponseBody"]["headers"]["authorization"] == expected


@pytest.mark.parametrize("connections, words", [
    (None, "set ASL_ENGINE_HTTP_CONNECTIONS"),
    ({"other": {"AuthorizationType": "API_KEY", "AuthParameters": {}}}, "is not in the ASL_ENGINE_HTTP_CONNECTIONS"),
    ({"orders": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {}}},
     "honours API_KEY and BASIC connections only"),
])
def test_a_connection_that_cannot_be_honoured_fails_the_task(
        endpoint: str, tmp_path: Path, connections: dict | None, words: str) -> None:
    result = run_with(_config(tmp_path, connections), _definition(endpoint))
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert words in (result.cause or "")
    assert ARN in (result.cause or "")
