"""Nothing acknowledged is lost: SIGKILL right after each acknowledged call, then a restart.

Issue "Nothing acknowledged is lost, and no request can hurt another": before it, SendTaskSuccess
answered 200 before anything was committed, and a kill right after lost 9 answers in 10. Each
test here kills the server (SIGKILL) the moment the last acknowledged call returns, starts it
again on the same file, and checks that the acknowledged effect is there and happened exactly
once: one TaskSucceeded/TaskFailed/ActivityStarted/ExecutionAborted/ExecutionStarted per
execution, event ids 1..n, and the execution ends as the acknowledged call said.

AWS documents these calls as the change itself (the API reference's SendTaskSuccess "Used by
activity workers, Task states using the callback pattern... to report that the task identified
by the taskToken completed successfully"; GetActivityTask "Used by workers to retrieve a task");
a 200 from them is the service's promise: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from postgres_server import STORES
from processes import ROLE, Server, history, server_on, wait_for_event, wait_until_ended

CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
    "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}}}}}
WAIT = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}
WORK = {"StartAt": "Breathe", "States": {
    "Breathe": {"Type": "Wait", "Seconds": 1, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:item", "End": True}}}
COUNT = 6  # executions per test: the last answers are the ones a late commit would lose


@pytest.fixture(params=STORES)  # the PostgreSQL store makes the same promises (README "PostgreSQL")
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    server = server_on(request.param, tmp_path, "acknowledged")
    yield server
    server.stop()


def _machine(client: Any, name: str, definition: dict[str, Any]) -> str:
    return str(client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"])


def _ended_once(client: Any, arn: str, event_type: str) -> tuple[dict[str, Any], Counter[str]]:
    """The ended execution and its event types; its history is 1..n and has `event_type` once."""
    described = wait_until_ended(client, arn)
    events = history(client, arn)
    assert [event["id"] for event in events] == list(range(1, len(events) + 1)), arn
    types = Counter(event["type"] for event in events)
    assert types[event_type] == 1, (arn, types)
    assert types["ExecutionStarted"] == 1, (arn, types)
    return described, types


def _start_callbacks(server: Server) -> tuple[Any, dict[int, str], dict[int, str]]:
    client = server.client()
    machine = _machine(client, "callback", CALLBACK)
    arns = {n: client.start_execution(stateMachineArn=machine, name=f"cb-{n}", input=json.dumps({"n": n}))["executionArn"]
            for n in range(COUNT)}
    return client, arns, {event["n"]: event["token"] for event in server.token_events(COUNT)}


def test_send_task_success_and_failure_survive_a_kill_right_after_they_answer(server: Server) -> None:
    server.start()
    client, arns, tokens = _start_callbacks(server)
    for n in range(COUNT):
        if n % 2:
            client.send_task_failure(taskToken=tokens[n], error="Rejected", cause=f"no {n}")
        else:
            client.send_task_success(taskToken=tokens[n], output=json.dumps({"approved": n}))
    server.kill()

    server.start()
    client = server.client()
    for n in range(COUNT):
        if n % 2:
            described, _ = _ended_once(client, arns[n], "TaskFailed")
            assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Rejected", f"no {n}")
        else:
            described, _ = _ended_once(client, arns[n], "TaskSucceeded")
            assert described["status"] == "SUCCEEDED"
            assert json.loads(described["output"]) == {"approved": n}
        with pytest.raises(ClientError):  # the task ended: the token answers nothing a second time
            client.send_task_success(taskToken=tokens[n], output="{}")


def test_a_task_token_that_went_out_is_the_one_waited_for_after_a_kill_in_that_instant(server: Server) -> None:
    """The callback's message (holding $$.Task.Token) goes out and the server dies in that instant:
    after the restart, the execution waits for that very token, so the worker's answer completes it.
    Before, the token was committed only after the call had gone out: the restart made a new one,
    sent it again, and the first token answered TaskDoesNotExist. AWS's callback pattern, "Wait for
    a Callback with Task Token": the task "pauses until it receives that task token back"
    (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token)."""
    server.start()
    client = server.client()
    definition = json.loads(json.dumps(CALLBACK))
    definition["States"]["Ask"]["Parameters"]["FunctionName"] = "token_then_die"
    arn = client.start_execution(stateMachineArn=_machine(client, "callback-dies", definition),
                                 input=json.dumps({"n": 1}))["executionArn"]
    assert server.process is not None
    server.process.wait(timeout=30)  # the handler killed it (SIGKILL) right after its message went out
    [sent] = server.token_events(1)

    server.start()
    client = server.client()
    client.send_task_success(taskToken=sent["token"], output=json.dumps({"approved": True}))
    described, _ = _ended_once(client, arn, "TaskSucceeded")
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"approved": True})
    # The call may be made again after the restart (at least once), but only ever with that token.
    assert {event["token"] for event in server.token_events(1)} == {sent["token"]}
    assert {call["event"]["token"] for call in server.calls() if call["handler"] == "token"} == {sent["token"]}


def test_send_task_heartbeat_is_recorded_and_the_deadline_counts_from_it(tmp_path: Path) -> None:
    """HeartbeatSeconds 8: a heartbeat 4 s after the hand-out, then a kill. The task is answered
    9 s after the hand-out: past the window from the hand-out, inside the one from the recorded
    heartbeat (the restart may take up to 8 s). A heartbeat lost in the kill would make that
    answer TaskTimedOut."""
    server = Server(tmp_path, "heartbeat")
    try:
        server.start()
        client = server.client()
        activity = client.create_activity(name="beating")["activityArn"]
        machine = _machine(client, "beating", {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": activity, "HeartbeatSeconds": 8, "End": True}}})
        arn = client.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        token = client.get_activity_task(activityArn=activity, workerName="w")["taskToken"]
        handed_out = time.monotonic()
        time.sleep(4)
        client.send_task_heartbeat(taskToken=token)
        server.kill()

        server.start()
        client = server.client()
        time.sleep(max(0.0, handed_out + 9 - time.monotonic()))
        client.send_task_success(taskToken=token, output='{"beat": true}')
        described, types = _ended_once(client, arn, "ActivityStarted")
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"beat": True}
        assert types["ActivityTimedOut"] == 0 and types["ActivitySucceeded"] == 1
    finally:
        server.stop()


def test_get_activity_task_hands_out_once_and_the_token_outlives_a_kill(server: Server) -> None:
    server.start()
    client = server.client()
    activity = client.create_activity(name="worker-queue")["activityArn"]
    machine = _machine(client, "activity", {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "End": True}}})
    arns = [client.start_execution(stateMachineArn=machine, input=json.dumps({"n": n}))["executionArn"]
            for n in range(COUNT)]
    tasks = [client.get_activity_task(activityArn=activity, workerName="w1") for _ in range(COUNT)]
    server.kill()

    server.start()
    with pytest.raises(ReadTimeoutError):  # every task was handed out before the kill: none is left
        server.client(attempts=1, read_timeout=1.5).get_activity_task(activityArn=activity, workerName="late")
    client = server.client()
    for task in tasks:
        n = json.loads(task["input"])["n"]
        client.send_task_success(taskToken=task["taskToken"], output=json.dumps({"done": n}))
    for n, arn in enumerate(arns):
        described, _ = _ended_once(client, arn, "ActivityStarted")
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"done": n}
        started = next(e for e in history(client, arn) if e["type"] == "ActivityStarted")
        assert started["activityStartedEventDetails"]["workerName"] == "w1"


def test_stop_execution_survives_a_kill_right_after_it_answers(server: Server) -> None:
    server.start()
    client = server.client()
    machine = _machine(client, "hold", WAIT)
    arns = [client.start_execution(stateMachineArn=machine, name=f"hold-{n}")["executionArn"] for n in range(COUNT)]
    for arn in arns:
        wait_for_event(client, arn, "WaitStateEntered")
    for arn in arns:
        client.stop_execution(executionArn=arn, error="Halt", cause="by the test")
    server.kill()

    server.start()
    client = server.client()
    for arn in arns:
        described, _ = _ended_once(client, arn, "ExecutionAborted")
        assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "by the test")
        assert history(client, arn)[-1]["type"] == "ExecutionAborted"


def test_start_execution_survives_a_kill_right_after_it_answers(server: Server) -> None:
    server.start()
    client = server.client()
    machine = _machine(client, "work", WORK)
    arns = {n: client.start_execution(stateMachineArn=machine, name=f"work-{n}", input=json.dumps({"item": n}))["executionArn"]
            for n in range(COUNT)}
    server.kill()

    server.start()
    client = server.client()
    for n, arn in arns.items():
        described, _ = _ended_once(client, arn, "ExecutionStarted")
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"]) == {"item": n, "double": 2 * n}
    listed = client.list_executions(stateMachineArn=machine)["executions"]
    assert sorted(execution["name"] for execution in listed) == sorted(f"work-{n}" for n in range(COUNT))

