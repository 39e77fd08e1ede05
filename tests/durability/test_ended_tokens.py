"""A token whose task ended keeps its answer across a SIGKILL: a late SendTask* is TaskTimedOut.

Issue "Nothing acknowledged is lost" (README "Durability"): before it, a token that timed out
before a restart answered TaskDoesNotExist after it, while AWS, and this server without a
restart, answer TaskTimedOut. AWS's API reference for SendTaskSuccess, SendTaskFailure and
SendTaskHeartbeat lists TaskTimedOut as "The task token has either expired or the task associated
with the token has already been closed", and TaskDoesNotExist for a token with no task:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from botocore.exceptions import ClientError
from postgres_server import STORES
from processes import ROLE, Server, server_on, wait_until_ended


def _callback(**timeouts: int) -> dict[str, Any]:
    return {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True, **timeouts,
        "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}}}}}


@pytest.fixture(params=STORES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    server = server_on(request.param, tmp_path, "ended")
    yield server
    server.stop()


def _sends(client: Any) -> list[Callable[[str], object]]:
    return [lambda t: client.send_task_success(taskToken=t, output="{}"),
            lambda t: client.send_task_failure(taskToken=t, error="Late"),
            lambda t: client.send_task_heartbeat(taskToken=t)]


def _error(send: Callable[[str], object], token: str) -> str:
    with pytest.raises(ClientError) as caught:
        send(token)
    return str(caught.value.response["Error"]["Code"])


def test_a_token_that_timed_out_or_was_answered_is_task_timed_out_after_a_kill(server: Server) -> None:
    server.start()
    client = server.client()
    machines = {name: client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"] for name, definition in (("timeout", _callback(TimeoutSeconds=1)),
                                                     ("heartbeat", _callback(HeartbeatSeconds=1)),
                                                     ("answered", _callback()))}
    arns = {name: client.start_execution(stateMachineArn=machine, input=json.dumps({"n": name}))["executionArn"]
            for name, machine in machines.items()}
    tokens = {event["n"]: event["token"] for event in server.token_events(len(arns))}
    client.send_task_success(taskToken=tokens["answered"], output='{"ok": true}')
    ended = {name: wait_until_ended(client, arn) for name, arn in arns.items()}
    assert [ended[name]["status"] for name in ("timeout", "heartbeat", "answered")] == ["FAILED", "FAILED", "SUCCEEDED"]
    assert ended["timeout"]["error"] == ended["heartbeat"]["error"] == "States.Timeout"
    before = {name: [_error(send, token) for send in _sends(client)] for name, token in tokens.items()}
    server.kill()

    server.start()
    client = server.client()
    after = {name: [_error(send, token) for send in _sends(client)] for name, token in tokens.items()}
    assert after == before == {name: ["TaskTimedOut"] * 3 for name in tokens}
    never_issued = tokens["timeout"][:-4] + ("AAAA" if not tokens["timeout"].endswith("AAAA") else "BBBB")
    assert [_error(send, never_issued) for send in _sends(client)] == ["TaskDoesNotExist"] * 3


def test_a_token_answered_while_its_call_still_ran_is_not_sent_again_after_a_kill(server: Server) -> None:
    """A `.waitForTaskToken` Lambda sends its token and goes on working; the token is answered
    (committed) and the server killed before the Lambda returns. The restart called the Lambda
    again, sending the message a second time, although its answer was on disk: now the execution
    takes that answer and the Lambda was called once."""
    server.start()
    client = server.client()
    definition = _callback()
    definition["States"]["Ask"]["Parameters"]["FunctionName"] = "token_slow"
    machine = client.create_state_machine(name="slow-callback", definition=json.dumps(definition),
                                          roleArn=ROLE)["stateMachineArn"]
    arn = client.start_execution(stateMachineArn=machine, input=json.dumps({"n": 1}))["executionArn"]
    token = server.token_events(1)[0]["token"]
    client.send_task_success(taskToken=token, output='{"answered": "before the kill"}')
    server.kill()
    server.start()
    ended = wait_until_ended(server.client(), arn)
    assert (ended["status"], json.loads(ended["output"])) == ("SUCCEEDED", {"answered": "before the kill"})
    assert len([call for call in server.calls() if call["handler"] == "token"]) == 1
