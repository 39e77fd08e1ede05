"""A poisoned request beside 16 normal clients hurts nobody, and the server restarts on the file.

Issue "Nothing acknowledged is lost, and no request can hurt another": one write that could not
be stored (a lone surrogate such as "\\ud800" in an input, an output or a tag) rolled back the
whole group commit: under load, other clients got 500s (103 of 12,139 in 20 s), 80 histories had
holes and 33 executions stayed RUNNING. Here 16 clients start executions and read them back
while a 17th sends poison: tags and inputs with lone surrogates (refused with a 4xx, as AWS
refuses text that is not Unicode), and executions whose state output becomes a lone surrogate
through States.StringToJson (valid JSON text, so it is accepted; the output cannot be stored, so
the execution ends FAILED with States.Runtime and a cause that says why, its history closed).
Every normal request must answer correctly, every history must be 1..n without holes, and after
a SIGKILL the server must start again on the same file and serve it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from processes import ROLE, Server, history, wait_until_ended

CLIENTS = 16
ROUNDS = 8
NORMAL = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"client.$": "$.client", "round.$": "$.round"}, "Next": "B"},
    "B": {"Type": "Pass", "Result": "done", "ResultPath": "$.status", "End": True}}}
POISON = {"StartAt": "Decode", "States": {
    "Decode": {"Type": "Pass", "Parameters": {"v.$": "States.StringToJson($.s)"}, "Next": "After"},
    "After": {"Type": "Pass", "End": True}}}
SURROGATE_TEXT = json.dumps({"s": json.dumps("\ud800")})  # '{"s": "\"\\ud800\""}': ASCII, valid JSON


@pytest.fixture
def server(tmp_path: Path) -> Any:
    server = Server(tmp_path, "poison")
    yield server
    server.stop()


def test_a_poisoned_request_beside_16_clients(server: Server) -> None:
    server.start()
    setup = server.client()
    normal = setup.create_state_machine(name="normal", definition=json.dumps(NORMAL), roleArn=ROLE)["stateMachineArn"]
    poison = setup.create_state_machine(name="poison", definition=json.dumps(POISON), roleArn=ROLE)["stateMachineArn"]
    problems: list[str] = []
    finished: dict[str, dict[str, Any]] = {}
    poisoned: list[str] = []
    stop = threading.Event()

    def normal_client(number: int) -> None:
        client = server.client(attempts=1)
        try:
            for round_ in range(ROUNDS):
                arn = client.start_execution(stateMachineArn=normal, name=f"c{number}-r{round_}",
                                             input=json.dumps({"client": number, "round": round_}))["executionArn"]
                described = wait_until_ended(client, arn)
                expected = {"client": number, "round": round_, "status": "done"}
                if described["status"] != "SUCCEEDED" or json.loads(described["output"]) != expected:
                    problems.append(f"{arn}: {described['status']} {described.get('output')}")
                events = history(client, arn)
                if [event["id"] for event in events] != list(range(1, len(events) + 1)):
                    problems.append(f"{arn}: history ids {[event['id'] for event in events]}")
                finished[arn] = expected
                client.tag_resource(resourceArn=normal, tags=[{"key": f"c{number}", "value": str(round_)}])
        except Exception as exc:  # any error of a normal request is a failure of the test
            problems.append(f"client {number}: {exc!r}")

    def poison_client() -> None:
        client = server.client(attempts=1)
        while not stop.is_set():
            poisoned.append(client.start_execution(stateMachineArn=poison, input=SURROGATE_TEXT)["executionArn"])
            for call in (lambda: client.tag_resource(resourceArn=normal, tags=[{"key": "bad", "value": "\ud800"}]),
                         lambda: client.start_execution(stateMachineArn=normal, input='{"a": "\\udfff"}')):
                try:
                    call()
                    problems.append("a lone surrogate was accepted")
                except ClientError as exc:
                    if exc.response["ResponseMetadata"]["HTTPStatusCode"] >= 500:
                        problems.append(f"poison answered {exc.response['ResponseMetadata']['HTTPStatusCode']}")

    threads = [threading.Thread(target=normal_client, args=(n,)) for n in range(CLIENTS)]
    poisoner = threading.Thread(target=poison_client)
    poisoner.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    poisoner.join(timeout=30)
    assert problems == []
    assert len(finished) == CLIENTS * ROUNDS and poisoned

    client = server.client()
    for arn in poisoned:
        described = wait_until_ended(client, arn)
        assert (described["status"], described["error"]) == ("FAILED", "States.Runtime"), arn
        assert "lone surrogate" in described["cause"]
        events = history(client, arn)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        assert events[-1]["type"] == "ExecutionFailed"

    server.kill()
    server.start()  # the same file serves again
    client = server.client()
    for arn, expected in finished.items():
        described = client.describe_execution(executionArn=arn)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == expected
    for arn in poisoned:
        assert client.describe_execution(executionArn=arn)["status"] == "FAILED"
    again = client.start_execution(stateMachineArn=normal, input=json.dumps({"client": -1, "round": -1}))
    assert wait_until_ended(client, again["executionArn"])["status"] == "SUCCEEDED"
