"""Executions parked out of memory survive a restart and kill -9 (issue 20, parked executions).

A server unloads an execution waiting on a Wait, a task token or an activity task (only its row,
its position and a small index entry remain); restarted, gracefully or by SIGKILL, it resumes
them from the same committed positions, and each one ends as if the server had never stopped:
SUCCEEDED with its answer, event ids 1..N without a gap, each state entered once, a callback's
token sent once (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token).
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
from processes import ROLE, Server, history, wait_for_event, wait_until_ended

CALLBACK = {"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
            "ResultPath": "$.answer", "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}
HOLD = {"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}}
RETRYING = {"StartAt": "Ask", "States": {
    "Ask": {**CALLBACK["States"]["Ask"],
            "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n",
                                                                "retry.$": "$$.State.RetryCount"}},
            "Retry": [{"ErrorEquals": ["Rejected"], "IntervalSeconds": 4, "MaxAttempts": 1}]},
    "Done": {"Type": "Pass", "End": True}}}
COUNT = 5


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path, "parked", {"WAIT_TIME_SCALE": "0.002"})  # the hour of waiting takes 7.2 s
    yield server
    server.stop()


def _activity_machine(activity: str) -> dict[str, Any]:
    return {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "ResultPath": "$.answer", "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}}


def _start(client: Any, name: str, definition: dict[str, Any]) -> list[str]:
    machine = client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    return [client.start_execution(stateMachineArn=machine["stateMachineArn"], name=f"{name}-{n}",
                                   input=json.dumps({"n": n}))["executionArn"] for n in range(COUNT)]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_parked_executions_resume_after_the_server_stops(server: Server, how: int) -> None:
    server.start()
    client = server.client()
    activity = client.create_activity(name="parked-work")["activityArn"]
    holds = _start(client, "hold", HOLD)
    callbacks = _start(client, "callback", CALLBACK)
    workers = _start(client, "worker", _activity_machine(activity))
    for arn in holds:
        wait_for_event(client, arn, "WaitStateEntered")
    for arn in workers:
        wait_for_event(client, arn, "ActivityScheduled")
    sent = server.token_events(COUNT)
    for arn in callbacks:
        wait_for_event(client, arn, "TaskSubmitted")
    time.sleep(0.3)  # parked: their positions are on disk, their runs gone

    server.kill(how)
    server.start()
    client = server.client()
    for event in sent:
        client.send_task_success(taskToken=event["token"], output=json.dumps({"for": event["n"]}))
    for _ in workers:
        task = client.get_activity_task(activityArn=activity, workerName="w")
        client.send_task_success(taskToken=task["taskToken"], output=task["input"])

    for arn in holds + callbacks + workers:
        described = wait_until_ended(client, arn, seconds=60)
        n = json.loads(described["input"])["n"]
        assert described["status"] == "SUCCEEDED", arn
        if arn in holds:
            expected: dict[str, Any] = {"n": n}
        else:  # a callback's answer names its input; a worker answers with the task's input
            expected = {"n": n, "answer": {"for": n} if arn in callbacks else {"n": n}}
        assert json.loads(described["output"]) == expected
        events = history(client, arn)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        entered = Counter(event["type"] for event in events if event["type"].endswith("StateEntered"))
        assert set(entered.values()) == {1}, f"{arn}: a state entered twice: {entered}"
    assert len(server.token_events(COUNT)) == COUNT  # no callback sent its token twice
    assert len([call for call in server.calls() if call["handler"] == "token"]) == COUNT


def test_a_retry_interval_spent_out_of_memory_survives_kill_9(server: Server) -> None:
    """Killed while its executions wait out a Retry interval out of memory, the restarted server
    makes each next attempt once the interval ends, and only then: the token handler is called
    once per attempt, and the history is the one AWS shows for a retried task
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    server.start()
    client = server.client()
    arns = _start(client, "retrying", RETRYING)
    for event in server.token_events(COUNT):
        client.send_task_failure(taskToken=event["token"], error="Rejected", cause="first attempt")
    for arn in arns:
        wait_for_event(client, arn, "TaskFailed")
    time.sleep(0.3)  # parked: the interval's end is on disk, the runs gone

    server.kill(signal.SIGKILL)
    server.start()
    client = server.client()
    for event in server.token_events(2 * COUNT)[COUNT:]:  # the second attempts, once their interval ended
        client.send_task_success(taskToken=event["token"], output=json.dumps({"for": event["n"]}))

    attempt = ["TaskScheduled", "TaskStarted", "TaskSubmitted"]
    for arn in arns:
        described = wait_until_ended(client, arn, seconds=60)
        n = json.loads(described["input"])["n"]
        assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"n": n, "answer": {"for": n}})
        events = history(client, arn)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        assert [event["type"] for event in events] == [
            "ExecutionStarted", "TaskStateEntered", *attempt, "TaskFailed", *attempt, "TaskSucceeded",
            "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        failed, again = (next(event["timestamp"] for event in events[i:] if event["type"] == kind)
                         for i, kind in ((0, "TaskFailed"), (6, "TaskScheduled")))
        assert (again - failed).total_seconds() >= 4  # the whole interval, across the restart
    attempts = Counter((event["n"], event["retry"]) for event in server.token_events(2 * COUNT))
    assert attempts == {(n, retry): 1 for n in range(COUNT) for retry in (0, 1)}  # each attempt made once
    assert len([call for call in server.calls() if call["handler"] == "token"]) == 2 * COUNT  # and no third one


def test_activity_tasks_workers_took_survive_kill_9_out_of_memory(server: Server) -> None:
    """Executions whose activity task a worker has taken leave memory while they wait for its
    answer; killed then, the restarted server hands no task out again and each worker's answer
    to its token ends its execution, ActivityStarted recorded once
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-activities.html)."""
    server.start()
    client = server.client()
    activity = client.create_activity(name="taken-work")["activityArn"]
    workers = _start(client, "taken", _activity_machine(activity))
    for arn in workers:
        wait_for_event(client, arn, "ActivityScheduled")
    taken = [client.get_activity_task(activityArn=activity, workerName=f"w{n}") for n in range(COUNT)]
    time.sleep(1.5)  # past the moment a task just taken waits for its answer in memory: parked

    server.kill(signal.SIGKILL)
    server.start()
    client = server.client()
    for task in taken:
        client.send_task_success(taskToken=task["taskToken"], output=json.dumps({"did": json.loads(task["input"])}))
    took = {json.loads(task["input"])["n"]: f"w{index}" for index, task in enumerate(taken)}
    for arn in workers:
        described = wait_until_ended(client, arn, seconds=60)
        n = json.loads(described["input"])["n"]
        assert (described["status"], json.loads(described["output"])) == (
            "SUCCEEDED", {"n": n, "answer": {"did": {"n": n}}})
        events = history(client, arn)
        assert [event["type"] for event in events] == [
            "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
            "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        assert events[3]["activityStartedEventDetails"]["workerName"] == took[n]  # who took it, before the kill


def test_sync_parents_waiting_out_of_memory_survive_kill_9(server: Server) -> None:
    """`startExecution.sync:2` parents out of memory while their children wait on a callback:
    killed, the restarted server resumes parents and children, and each child's end loads its
    parent back; every child started once, its token sent once
    (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html)."""
    server.start()
    client = server.client()
    child = client.create_state_machine(name="asked", definition=json.dumps(CALLBACK), roleArn=ROLE)["stateMachineArn"]
    parents = _start(client, "parent", {"StartAt": "Delegate", "States": {
        "Delegate": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                     "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}}, "ResultPath": "$.child",
                     "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}})
    for arn in parents:
        wait_for_event(client, arn, "TaskSubmitted")
    sent = server.token_events(COUNT)
    time.sleep(0.5)  # parked: parents and children alike

    server.kill(signal.SIGKILL)
    server.start()
    client = server.client()
    for event in sent:
        client.send_task_success(taskToken=event["token"], output=json.dumps({"for": event["n"]}))
    for arn in parents:
        described = wait_until_ended(client, arn, seconds=60)
        n = json.loads(described["input"])["n"]
        assert described["status"] == "SUCCEEDED", described.get("cause")
        answer = json.loads(described["output"])["child"]
        assert (answer["Status"], answer["Output"]) == ("SUCCEEDED", {"n": n, "answer": {"for": n}})
        events = history(client, arn)
        assert [event["type"] for event in events] == [
            "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
            "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert len(client.list_executions(stateMachineArn=child)["executions"]) == COUNT  # each child started once
    assert len([call for call in server.calls() if call["handler"] == "token"]) == COUNT
