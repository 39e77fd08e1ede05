"""Kill the server at 30 random moments; every execution still ends as an uninterrupted run does.

Issue "Durable executions": a server subprocess runs a saga of local Lambda handlers around a
one-hour Wait (on a scaled clock), a Map of 200 items, a Parallel, and a callback awaiting a
task token. It is killed with SIGKILL at 30 seeded random moments and started again each time.
At the end every execution must have the status and output of an uninterrupted run (the same
workloads run first on a server nobody kills), event ids 1..N with no state entered twice for
finished work (the same count of each event type), and no handler called again for a task whose
success was recorded. Handlers log each call with its time; a call after the recorded success of
the same task would be a re-run.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
from processes import ROLE, Server, history
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"

SAGA = {"StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": LAMBDA + "charge", "ResultPath": "$.charge", "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Ship"},
    "Ship": {"Type": "Task", "Resource": LAMBDA + "ship", "Parameters": {"order.$": "$.order"},
             "ResultPath": "$.ship", "Next": "Done"},
    "Done": {"Type": "Succeed"}}}
MAP = {"StartAt": "Fan", "States": {"Fan": {
    "Type": "Map", "MaxConcurrency": 8, "ItemSelector": {"item.$": "$$.Map.Item.Value"}, "End": True,
    "ItemProcessor": {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": LAMBDA + "item", "Next": "Breathe"},
        "Breathe": {"Type": "Wait", "Seconds": 40, "End": True}}}}}}
PARALLEL = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": f"W{n}", "States": {
        f"W{n}": {"Type": "Wait", "Seconds": 600 * (n + 1), "Next": f"T{n}"},
        f"T{n}": {"Type": "Task", "Resource": LAMBDA + "item", "Parameters": {"item": 1000 + n}, "End": True}}}
    for n in range(3)]}}}
CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
    "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token"}}}}}
CHILD = {"StartAt": "Slow", "States": {
    "Slow": {"Type": "Wait", "Seconds": 1200, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": LAMBDA + "item", "Parameters": {"item.$": "$.item"}, "End": True}}}
SYNC = {"StartAt": "Child", "States": {"Child": {
    "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
    "Parameters": {"StateMachineArn": "CHILD_ARN", "Input": {"item": 2000}}, "OutputPath": "$.Output"}}}
WORKLOADS = {
    "saga-1": (SAGA, {"order": 1, "amount": 10}),
    "saga-2": (SAGA, {"order": 2, "amount": 20}),
    "map": (MAP, list(range(200))),
    "parallel": (PARALLEL, {}),
    "callback": (CALLBACK, {}),
    "sync-child": (SYNC, {}),
}


def _server(tmp: Path, name: str) -> Server:
    return Server(tmp, name, {"WAIT_TIME_SCALE": "0.0005"})  # the hour of waiting takes 1.8 s


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    reference, victim = _server(tmp_path, "reference"), _server(tmp_path, "victim")
    yield reference, victim
    for server in (reference, victim):
        if server.process is not None and server.process.poll() is None:
            server.kill()


def test_executions_survive_30_kills(servers: tuple[Server, Server]) -> None:
    reference, victim = servers
    reference.start()
    expected = _finish(reference, _start_all(reference), kills=0)
    reference.kill(signal.SIGTERM)

    victim.start()
    arns = _start_all(victim)
    actual = _finish(victim, arns, kills=30)
    _assert_no_rerun_after_recorded_success(victim)
    _assert_one_child_execution(victim)
    victim.kill(signal.SIGTERM)

    for name in WORKLOADS:
        status, output, types = actual[name]
        assert (status, output) == expected[name][:2], name
        assert types == expected[name][2], f"{name}: events differ from an uninterrupted run"


def _start_all(server: Server) -> dict[str, str]:
    client = server.client()
    child = client.create_state_machine(name="kill-child", definition=json.dumps(CHILD), roleArn=ROLE)
    arns = {}
    for name, (definition, value) in WORKLOADS.items():
        text = json.dumps(definition).replace("CHILD_ARN", child["stateMachineArn"])
        machine = client.create_state_machine(name=f"kill-{name}", definition=text, roleArn=ROLE)
        arns[name] = client.start_execution(stateMachineArn=machine["stateMachineArn"], name=name,
                                            input=json.dumps(value))["executionArn"]
    return arns


def _finish(server: Server, arns: dict[str, str], kills: int) -> dict[str, tuple[str, Any, Counter[str]]]:
    """Kill and restart the server `kills` times, answer the callback, wait for every execution."""
    chance = random.Random(20261123)
    for _ in range(kills):
        time.sleep(chance.uniform(0.05, 0.4))
        server.kill()
        server.start()
    token = _wait_for_token(server)
    server.client().send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    results = {}
    client = server.client()
    for name, arn in arns.items():
        deadline = time.monotonic() + 60
        while (description := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"{name} still RUNNING"
            time.sleep(0.1)
        events = history(client, arn)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1)), name
        output = json.loads(description["output"]) if "output" in description else None
        results[name] = (description["status"], output, Counter(event["type"] for event in events))
    return results


def _wait_for_token(server: Server) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tokens = [call["event"]["token"] for call in server.calls() if call["handler"] == "token"]
        if tokens:
            return str(tokens[-1])
        time.sleep(0.05)
    raise AssertionError("the callback task never sent its token")


def _assert_no_rerun_after_recorded_success(server: Server) -> None:
    """A call that started after the success recorded for the same task is a re-run."""
    client = server.client()
    succeeded: dict[str, float] = {}
    for summary in client.list_state_machines()["stateMachines"]:
        for execution in client.list_executions(stateMachineArn=summary["stateMachineArn"])["executions"]:
            if execution["status"] == "RUNNING":
                continue
            for event in history(client, execution["executionArn"]):
                details = event.get("lambdaFunctionSucceededEventDetails")
                if details:
                    key = json.dumps(json.loads(details["output"]), sort_keys=True)
                    succeeded[key] = event["timestamp"].timestamp()
    results = {"charge": lambda e: {"order": e["order"], "charged": e["amount"]},
               "ship": lambda e: {"order": e["order"], "shipped": True},
               "item": lambda e: {"item": e["item"], "double": e["item"] * 2}}
    for call in server.calls():
        if call["handler"] not in results:
            continue
        key = json.dumps(results[call["handler"]](call["event"]), sort_keys=True)
        assert key in succeeded, f"no recorded success for {key}"
        assert call["at"] <= succeeded[key] + 0.001, f"{call['handler']} ran again after its success was recorded"


def _assert_one_child_execution(server: Server) -> None:
    """The `.sync:2` parent re-attached to its child after each restart instead of starting another."""
    client = server.client()
    child = next(m for m in client.list_state_machines()["stateMachines"] if m["name"] == "kill-child")
    assert len(client.list_executions(stateMachineArn=child["stateMachineArn"])["executions"]) == 1


def test_sigterm_shuts_down_gracefully_and_the_next_start_resumes(tmp_path: Path) -> None:
    """Issue "Durable executions": SIGTERM stops the server within a few seconds without marking
    anything failed; the execution is RUNNING on disk and the next start finishes it."""
    server = _server(tmp_path, "graceful")
    server.start()
    try:
        client = server.client()
        machine = client.create_state_machine(name="graceful", definition=json.dumps(SAGA), roleArn=ROLE)
        arn = client.start_execution(stateMachineArn=machine["stateMachineArn"],
                                     input=json.dumps({"order": 7, "amount": 70}))["executionArn"]
        time.sleep(0.3)  # parked in the one-hour Wait (1.8 s on this scaled clock)
        started = time.monotonic()
        server.kill(signal.SIGTERM)
        assert time.monotonic() - started < 5
        # uvicorn finishes its graceful shutdown, then re-raises the signal it caught
        assert server.process is not None and server.process.returncode == -signal.SIGTERM
        with sqlite3.connect(server.db) as db:
            assert db.execute("SELECT status FROM executions WHERE arn = ?", (arn,)).fetchone() == ("RUNNING",)
        server.start()
        deadline = time.monotonic() + 30
        client = server.client()
        while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"])["ship"] == {"order": 7, "shipped": True}
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
