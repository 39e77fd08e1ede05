"""The wire protocol itself, spoken by hand: what a non-boto3 client sees."""

from __future__ import annotations

import json

import httpx
import pytest
from postgres_server import fresh_db
from serving import ServerThread
from sfn_support import PASS, ROLE, unique

from asl_engine.api.app import create_app
from asl_engine.config import Config

HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def call(server, action: str, body: bytes | dict, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        server.url + "/", content=content,
        headers={**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{action}", **headers},
    )


def test_unknown_action(server):
    response = call(server, "LaunchRockets", {})
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    assert response.headers["x-amzn-RequestId"]


def test_malformed_json_is_a_serialization_error(server):
    response = call(server, "ListStateMachines", b"{not json")
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"


def test_missing_required_member(server):
    response = call(server, "DescribeStateMachine", {})
    assert response.status_code == 400
    assert response.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy "
        "constraint: Member must not be null",
    }


@pytest.mark.parametrize("number", ["-9999999999999999999", "18446744073709551616"])
def test_an_integer_beyond_64_bits_keeps_its_value(server, number):
    """orjson reads request bodies first (asl_engine/json_read.py parse_json) and would read these as
    floats; the exact parser keeps them integers, so maxResults is out of its range (a
    ValidationException naming the value), not a value of the wrong type."""
    response = call(server, "ListStateMachines", f'{{"maxResults": {number}}}'.encode())
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"
    assert f"'{number}'" in response.json()["message"]


def test_an_execution_input_keeps_its_numbers_as_written(server):
    """orjson reads an execution's input first (asl_engine/json_read.py parse_json); an integer
    beyond 64 bits (which it would make a float) goes to the exact parser, so a Pass state's
    output gives every number back as the input wrote it (JSON text compared as values)."""
    text = ('{"big": 18446744073709551616, "negative": -9223372036854775809, "max": 18446744073709551615, '
            '"tiny": 5e-324, "zero": -0.0, "float": 0.1, "nested": [[1.5e300, -7]]}')
    machine = call(server, "CreateStateMachine", {"name": unique("numbers"), "definition": PASS, "roleArn": ROLE})
    started = call(server, "StartExecution", {"stateMachineArn": machine.json()["stateMachineArn"], "input": text})
    for _ in range(200):
        described = call(server, "DescribeExecution", {"executionArn": started.json()["executionArn"]}).json()
        if described["status"] != "RUNNING":
            break
    assert described["status"] == "SUCCEEDED"
    assert described["input"] == text
    output = json.loads(described["output"])
    assert output == json.loads(text) and isinstance(output["big"], int) and isinstance(output["negative"], int)
    assert str(output["zero"]) == "-0.0"


def test_a_sync_host_prefix_is_served_and_timestamps_are_epoch_seconds(server):
    """botocore prefixes StartSyncExecution's and TestState's host with `sync-` (the Host check,
    tests/api/test_hostile_guard.py, refuses names the server does not serve)."""
    name = unique("host")
    created = call(server, "CreateStateMachine", {"name": name, "definition": PASS, "roleArn": ROLE},
                   Host="sync-localhost")
    assert created.status_code == 200
    assert created.headers["content-type"] == "application/x-amz-json-1.0"
    assert isinstance(created.json()["creationDate"], float)


def test_an_answer_names_no_server(server):
    """The test server (asl_engine.testing) answers with AWS's headers and no Server header, as
    `asl-engine serve` does (tests/cli/test_startup.py, where the recording is cited)."""
    response = call(server, "ListStateMachines", {})
    assert response.status_code == 200 and response.headers["date"] and "server" not in response.headers


def test_region_comes_from_the_sigv4_credential_scope(server):
    auth = "AWS4-HMAC-SHA256 Credential=AKID/20240101/ap-south-1/states/aws4_request, SignedHeaders=host, Signature=x"
    name = unique("sig")
    created = call(server, "CreateStateMachine", {"name": name, "definition": PASS, "roleArn": ROLE},
                   Authorization=auth)
    assert created.json()["stateMachineArn"].startswith("arn:aws:states:ap-south-1:123456789012:")


def test_an_unexpected_error_is_a_500_without_internals_and_the_server_lives_on(tmp_path, caplog):
    app = create_app(Config(db_path=fresh_db(tmp_path, "x.db")))

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom, methods=["POST"])
    server = ServerThread(app)
    server.start()
    try:
        response = httpx.post(f"{server.url}/boom")
        assert response.status_code == 500
        assert response.json()["__type"] == "InternalFailure"
        assert "secret" not in response.text and "Traceback" not in response.text
        request_id = response.headers["x-amzn-RequestId"]
        assert any(request_id in record.getMessage() for record in caplog.records)
        after = call(server, "ListStateMachines", {})
        assert after.status_code == 200
    finally:
        server.stop()
