"""A standby server on the same PostgreSQL database takes over when the active one is killed.

Until executions have leases (issue 19's several active servers), one server uses a database and
any other started on it waits as its standby (README "PostgreSQL"), without listening, so a proxy
with health checks sends every call to the one that serves. Here the active server is killed with
SIGKILL while executions wait on task tokens, an activity and a Wait state; the standby starts
listening, resumes them from their saved positions as after a restart, tokens handed out by the
dead server are answered on the standby, and every execution ends once, its history 1..n.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from postgres_server import postgres_database
from processes import ROLE, ROOT, Server, history, wait_for_event, wait_until_ended

CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
    "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}}}}}
WAIT = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
                                      "Done": {"Type": "Pass", "End": True}}}
COUNT = 5


def _listening(server: Server) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=0.2):
            return True
    except OSError:
        return False


def _machine(client: Any, name: str, definition: dict[str, Any]) -> str:
    return str(client.create_state_machine(name=name, definition=json.dumps(definition),
                                           roleArn=ROLE)["stateMachineArn"])


def _ended_once(client: Any, arn: str) -> dict[str, Any]:
    described = wait_until_ended(client, arn)
    events = history(client, arn)
    assert [event["id"] for event in events] == list(range(1, len(events) + 1)), arn
    types = Counter(event["type"] for event in events)
    assert types["ExecutionStarted"] == 1 and types["ExecutionSucceeded"] == 1, (arn, types)
    return described


def test_the_standby_takes_over_the_executions_of_a_killed_server(tmp_path: Path) -> None:
    url = postgres_database()
    active, standby = Server(tmp_path, "active", db=url), Server(tmp_path, "standby", db=url)
    try:
        active.start()
        standby.process = subprocess.Popen(standby.command(), cwd=ROOT, env=standby.env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = active.client()
        callback, waiting = _machine(client, "callback", CALLBACK), _machine(client, "wait", WAIT)
        activity = client.create_activity(name="queue")["activityArn"]
        working = _machine(client, "activity", {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": activity, "End": True}}})
        callbacks = [client.start_execution(stateMachineArn=callback, input=json.dumps({"n": n}))["executionArn"]
                     for n in range(COUNT)]
        waits = [client.start_execution(stateMachineArn=waiting)["executionArn"] for _ in range(COUNT)]
        activities = [client.start_execution(stateMachineArn=working, input=json.dumps({"n": n}))["executionArn"]
                      for n in range(COUNT)]
        tokens = {event["n"]: event["token"] for event in active.token_events(COUNT)}
        for arn in activities:
            wait_for_event(client, arn, "ActivityScheduled")
        assert standby.process.poll() is None and not _listening(standby), "the standby serves already"
        active.kill()  # SIGKILL: its connection ends, and with it the lock the standby waits for

        deadline = time.monotonic() + 60
        while not _listening(standby):
            assert standby.process.poll() is None, "the standby exited"
            assert time.monotonic() < deadline, "the standby never took over"
            time.sleep(0.05)
        client = standby.client()
        for n, token in tokens.items():  # handed out by the killed server
            client.send_task_success(taskToken=token, output=json.dumps({"approved": n}))
        for _ in range(COUNT):
            task = client.get_activity_task(activityArn=activity, workerName="w")
            client.send_task_success(taskToken=task["taskToken"],
                                     output=json.dumps({"done": json.loads(task["input"])["n"]}))
        for n, arn in enumerate(callbacks):
            assert json.loads(_ended_once(client, arn)["output"]) == {"approved": n}
        for n, arn in enumerate(activities):
            assert json.loads(_ended_once(client, arn)["output"]) == {"done": n}
        for arn in waits:
            assert _ended_once(client, arn)["status"] == "SUCCEEDED"
    finally:
        active.stop()
        standby.stop()
