"""A standby server on the same PostgreSQL database takes over when the active one is killed.

Until executions have leases (issue 19's several active servers), one server uses a database and
any other started on it waits as its standby (README "PostgreSQL"), without listening, so a proxy
with health checks sends every call to the one that serves. Here the active server is killed with
SIGKILL while executions wait on task tokens, an activity and a Wait state; the standby starts
listening, resumes them from their saved positions as after a restart, tokens handed out by the
dead server are answered on the standby, and every execution ends once, its history 1..n. Then
the same through deploy/postgres's HAProxy configuration with three servers and two kills.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from postgres_server import postgres_database
from processes import ROLE, ROOT, Server, free_port, history, wait_for_event, wait_until_ended

CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
    "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}}}}}
WAIT = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
                                      "Done": {"Type": "Pass", "End": True}}}
COUNT = 5
CHURN, KILLS = 40, 3  # executions, and kills of the serving server while they run
# Debian installs it in /usr/sbin, which a user's PATH may lack.
HAPROXY = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin")


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
        _launch(standby)
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


def test_a_waiting_standby_stops_at_once_on_sigterm(tmp_path: Path) -> None:
    """A standby waits before it listens, where a signal still stops it (docker stop, Ctrl-C),
    and the server it waits for serves on."""
    url = postgres_database()
    active, standby = Server(tmp_path, "active", db=url), Server(tmp_path, "standby", db=url)
    try:
        active.start()
        standby.process = subprocess.Popen(standby.command(), cwd=ROOT, env=standby.env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert standby.process.stderr is not None
        while "waits as its standby" not in standby.process.stderr.readline():
            assert standby.process.poll() is None, "the standby exited"
        standby.process.send_signal(signal.SIGTERM)
        assert standby.process.wait(timeout=30) == -signal.SIGTERM
        assert active.client().list_activities()["activities"] == []
    finally:
        active.stop()
        standby.stop()
        if standby.process is not None and standby.process.stderr is not None:
            standby.process.stderr.close()


def _launch(server: Server) -> None:
    """Start a server that may have to wait as a standby (it listens only once it serves)."""
    server.process = subprocess.Popen(server.command(), cwd=ROOT, env=server.env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class Cluster:
    """deploy/postgres on loopback: three servers on one database behind its HAProxy configuration."""

    servers: list[Server]
    client: Any  # boto3, through the proxy

    def serving(self) -> Server:
        """The one server that listens, once a standby has taken over."""
        deadline = time.monotonic() + 60
        while not (listening := [server for server in self.servers if _listening(server)]):
            assert time.monotonic() < deadline, "no standby took over"
            time.sleep(0.05)
        assert len(listening) == 1, "two servers serve one database at once"
        return listening[0]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """deploy/postgres/haproxy.cfg with loopback addresses for the compose file's service names."""
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (apt-get install haproxy; .ci/run does)")
    url = postgres_database()
    servers = [Server(tmp_path, f"asl-{index}", db=url) for index in (1, 2, 3)]
    port = free_port()
    text = (ROOT / "deploy" / "postgres" / "haproxy.cfg").read_text().replace("bind :8083", f"bind 127.0.0.1:{port}")
    for index, server in enumerate(servers, start=1):
        text = text.replace(f"asl-{index}:8083", f"127.0.0.1:{server.port}")
    (tmp_path / "haproxy.cfg").write_text(text)
    proxy: subprocess.Popen[bytes] | None = None
    try:
        servers[0].start()
        for server in servers[1:]:
            _launch(server)
        proxy = subprocess.Popen([str(HAPROXY), "-db", "-f", str(tmp_path / "haproxy.cfg")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The SDK's own retries (standard mode: 503s and refused connections) carry a request
        # over the moment between a kill and the proxy's next health check.
        client = boto3.client("stepfunctions", endpoint_url=f"http://localhost:{port}", region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing",
                              config=Config(retries={"max_attempts": 20, "mode": "standard"}, read_timeout=70))
        deadline = time.monotonic() + 30
        while True:  # until the proxy's first health check has found the serving server
            try:
                client.list_activities()
                break
            except ClientError:
                assert time.monotonic() < deadline, "the proxy never reached the serving server"
                time.sleep(0.2)
        yield Cluster(servers, client)
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=30)
        for server in servers:
            server.stop()


def test_three_servers_behind_the_compose_files_proxy_survive_two_kills(cluster: Cluster) -> None:
    """The serving server is killed twice; each time a standby takes over, the proxy finds it by
    its health check, and the executions started through the proxy before the kills end once."""
    client = cluster.client
    callback = _machine(client, "callback", CALLBACK)
    arns = [client.start_execution(stateMachineArn=callback, input=json.dumps({"n": n}))["executionArn"]
            for n in range(2 * COUNT)]
    tokens = {event["n"]: event["token"] for event in cluster.servers[0].token_events(2 * COUNT)}
    for arn in arns:  # the token is in the history: a task whose record a kill cut off is re-invoked
        wait_for_event(client, arn, "TaskSubmitted")  # after the takeover, under a token of its own
    serving = cluster.servers[0]
    for kill in range(2):
        serving.kill()
        serving = cluster.serving()
        for n in range(kill * COUNT, (kill + 1) * COUNT):
            client.send_task_success(taskToken=tokens[n], output=json.dumps({"approved": n}))
            assert json.loads(_ended_once(client, arns[n])["output"]) == {"approved": n}


def test_executions_complete_once_while_the_serving_server_is_killed_again_and_again(cluster: Cluster) -> None:
    """Issue 19's kill test on what is built (one server serving, two standing by): executions
    with Wait states, callbacks and activity tasks, started through the proxy, while the serving
    server is killed with SIGKILL every two seconds and started again (it comes back as a
    standby); a worker answers every token it sees and polls the activity, through the proxy.
    Each execution ends once, its history 1..n, its output the answer it was given. (An activity
    task whose GetActivityTask answer a kill cut off is lost to its worker, as on AWS: the task
    times out after 10 s and is retried.)"""
    client = cluster.client
    activity = client.create_activity(name="churn")["activityArn"]
    machines = [_machine(client, "wait", WAIT), _machine(client, "callback", CALLBACK),
                _machine(client, "activity", {"StartAt": "Work", "States": {"Work": {
                    "Type": "Task", "Resource": activity, "TimeoutSeconds": 10, "End": True,
                    "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 3}]}}})]
    arns = [client.start_execution(stateMachineArn=machines[n % 3], input=json.dumps({"n": n}))["executionArn"]
            for n in range(CHURN)]
    answered: set[str] = set()
    done = threading.Event()

    def answer_tokens() -> None:
        events = [call["event"] for server in cluster.servers for call in server.calls() if call["handler"] == "token"]
        for event in events:
            if event["token"] not in answered:
                _answer(event["token"], {"approved": event["n"]})
                answered.add(event["token"])
        time.sleep(0.1)

    def work() -> None:
        task = client.get_activity_task(activityArn=activity, workerName="churn")
        if task.get("taskToken"):
            _answer(task["taskToken"], {"done": json.loads(task["input"])["n"]})

    def _answer(token: str, output: dict[str, int]) -> None:
        try:
            client.send_task_success(taskToken=token, output=json.dumps(output))
        except ClientError as exc:  # answered before a kill cut the reply off: the task has ended
            if exc.response["Error"]["Code"] not in ("TaskDoesNotExist", "TaskTimedOut"):
                raise

    def until_done(step: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            while not done.is_set():
                try:
                    step()
                except (BotoCoreError, ClientError):
                    if not done.is_set():  # once the test is over, the servers it calls are going
                        raise
        return run

    workers = [threading.Thread(target=until_done(step), daemon=True) for step in (answer_tokens, work)]
    for worker in workers:
        worker.start()
    for _ in range(KILLS):
        time.sleep(2)
        victim = cluster.serving()
        victim.kill()
        _launch(victim)
    try:
        for n, arn in enumerate(arns):
            described = _ended_once(client, arn)
            expected = [None, {"approved": n}, {"done": n}][n % 3]
            if expected is not None:
                assert json.loads(described["output"]) == expected, arn
    finally:
        done.set()
