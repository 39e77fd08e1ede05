"""Several servers serving one PostgreSQL database at once (issue 19, README "Running several servers").

Real processes on a real PostgreSQL (tests/postgres_server.py), killed with SIGKILL or paused with
SIGSTOP. What is checked is what a user sees through boto3: every execution ends once, with the
output it was given, its history numbered 1..n with one ExecutionStarted and one end; any server
answers a task token, an activity poll or a StopExecution for an execution another server runs;
a server paused past its lease writes nothing once it wakes up.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from postgres_server import postgres_database
from processes import ROLE, ROOT, Server, free_port, history, wait_for_event

from asl_engine.service.cluster import execution_of

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
LEASE = "2"  # seconds: a killed server's executions move within about 2.5 s
ENV = {"ASL_ENGINE_LEASE_SECONDS": LEASE}
CALLBACK = {"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "ResultPath": "$.answer",
            "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
            "Next": "Ship"},
    "Ship": {"Type": "Task", "Resource": LAMBDA + "ship", "Parameters": {"order.$": "$.n"},
             "ResultPath": "$.shipped", "End": True}}}
WAIT = {"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 2, "Next": "Ship"},
    "Ship": {"Type": "Task", "Resource": LAMBDA + "ship", "Parameters": {"order.$": "$.n"},
             "ResultPath": "$.shipped", "End": True}}}


def _activity_machine(activity: str) -> dict[str, Any]:
    # An activity task whose GetActivityTask answer a kill cut off is lost to its worker, as on AWS:
    # the task times out and is retried.
    return {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 5, "ResultPath": "$.answer",
                 "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 5}],
                 "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": LAMBDA + "ship", "Parameters": {"order.$": "$.n"},
             "ResultPath": "$.shipped", "End": True}}}


@dataclass
class Cluster:
    """Servers on one database; `call` goes to a random live one, and to another if it is killed."""

    servers: list[Server]
    clients: dict[int, Any] = field(default_factory=dict)
    down: set[int] = field(default_factory=set)
    kills: list[tuple[float, int]] = field(default_factory=list)  # (time, server index)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, index: int) -> Any:
        if index not in self.clients:
            self.clients[index] = boto3.client(
                "stepfunctions", endpoint_url=self.servers[index].url, region_name="us-east-1",
                aws_access_key_id="testing", aws_secret_access_key="testing",
                config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=20))
        return self.clients[index]

    def call(self, action: Callable[[Any], Any], exclude: int | None = None) -> Any:
        deadline = time.monotonic() + 60
        while True:
            with self.lock:
                live = [i for i in range(len(self.servers)) if i not in self.down and i != exclude]
            index = random.choice(live)
            try:
                return action(self.client(index))
            except BotoCoreError:  # killed under the call, or not listening yet: another server
                assert time.monotonic() < deadline, "no server answered for a minute"
                time.sleep(0.05)
            except ClientError as exc:
                if exc.response["ResponseMetadata"].get("HTTPStatusCode", 0) < 500:
                    raise
                time.sleep(0.05)

    def kill(self, index: int) -> None:
        with self.lock:
            self.down.add(index)
            self.kills.append((time.time(), index))
        self.servers[index].kill()

    def restart(self, index: int) -> None:
        self.servers[index].start()
        with self.lock:
            self.down.discard(index)

    def calls(self, handler: str) -> list[tuple[int, dict[str, Any]]]:
        return [(index, call) for index, server in enumerate(self.servers) for call in server.calls()
                if call["handler"] == handler]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    url = postgres_database()
    servers = [Server(tmp_path, f"asl-{index}", env=ENV, db=url) for index in (1, 2, 3)]
    try:
        for server in servers:
            server.start()
        yield Cluster(servers)
    finally:
        for server in servers:
            server.stop()


def _machine(cluster: Cluster, name: str, definition: dict[str, Any]) -> str:
    return str(cluster.call(lambda c: c.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE))["stateMachineArn"])


def _answered(action: Callable[[], Any]) -> None:
    """SendTask* whose earlier try a kill may have answered: an ended task is no failure."""
    try:
        action()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("TaskDoesNotExist", "TaskTimedOut"):
            raise


def _history(client: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = client.get_execution_history(**kwargs)
        assert "events" in page, (arn, page)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def _ended_once(client: Any, arn: str, seconds: float = 90) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    deadline = time.monotonic() + seconds
    while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still RUNNING"
        time.sleep(0.1)
    events = _history(client, arn)
    assert [event["id"] for event in events] == list(range(1, len(events) + 1)), arn
    types = Counter(event["type"] for event in events)
    ends = sum(types[t] for t in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"))
    assert types["ExecutionStarted"] == 1 and ends == 1 and events[-1]["type"].startswith("Execution"), (arn, types)
    return dict(described), events


COUNT = int(os.environ.get("ASL_ENGINE_CLUSTER_COUNT", "500"))
START_PAUSE = 15 / COUNT


def test_three_servers_run_executions_exactly_once_while_one_is_killed_every_few_seconds(cluster: Cluster) -> None:
    """Issue 19: 500 executions (Wait states, callbacks whose tokens are answered through a random
    server, activity tasks polled on random servers), while a server is killed with SIGKILL every
    few seconds and started again. Every execution succeeds once with the answer it was given,
    its history 1..n; its Lambda side effect ('ship') happened, and happened again only after the
    server that had made it was killed (never on two servers at once)."""
    activity = cluster.call(lambda c: c.create_activity(name="churn"))["activityArn"]
    time.sleep(0.5)  # every server has heard of the new activity
    machines = [_machine(cluster, "wait", WAIT), _machine(cluster, "callback", CALLBACK),
                _machine(cluster, "activity", _activity_machine(activity))]
    done = threading.Event()
    failures: list[BaseException] = []
    answered: set[str] = set()

    def answer_tokens() -> None:
        for _, call in cluster.calls("token"):
            token = call["event"]["token"]
            if token not in answered:
                output = json.dumps({"approved": call["event"]["n"]})
                cluster.call(lambda c: _answered(lambda: c.send_task_success(taskToken=token, output=output)))
                answered.add(token)
        time.sleep(0.1)

    def work() -> None:
        task = cluster.call(lambda c: c.get_activity_task(activityArn=activity, workerName="churn"))
        if task.get("taskToken"):
            output = json.dumps({"done": json.loads(task["input"])["n"]})
            cluster.call(lambda c: _answered(lambda: c.send_task_success(taskToken=task["taskToken"], output=output)))

    def until_done(step: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                while not done.is_set():
                    step()
            except BaseException as exc:  # reported by the test's thread
                if not done.is_set():
                    failures.append(exc)
        return run

    def churn() -> None:
        while not done.wait(2.5):
            victim = random.randrange(len(cluster.servers))
            cluster.kill(victim)
            time.sleep(0.5)
            cluster.restart(victim)

    helpers = [threading.Thread(target=until_done(step), daemon=True) for step in (answer_tokens, work, work)]
    churner = threading.Thread(target=churn, daemon=True)
    helpers.append(churner)
    for helper in helpers:
        helper.start()
    try:
        names = [f"run-{n}" for n in range(COUNT)]
        arns = []
        for n, name in enumerate(names):  # over about 15 s, so that kills find executions in every phase
            started = cluster.call(lambda c: _start(c, machines[n % 3], name, {"n": n}))
            arns.append(started)
            time.sleep(START_PAUSE)
        for n, arn in enumerate(arns):
            assert not failures, failures
            described, _ = cluster.call(lambda c: _ended_once(c, arn))
            shipped = {"n": n, "shipped": {"order": n, "shipped": True}}
            expected = [shipped, {**shipped, "answer": {"approved": n}}, {**shipped, "answer": {"done": n}}][n % 3]
            assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == expected, arn
    finally:
        done.set()
        churner.join(timeout=60)  # it may be restarting a server: let it finish before the servers stop
    assert len(cluster.kills) >= 3, "the servers were not killed often enough to test anything"
    assert not failures, failures
    # Every execution's side effect happened; a repeat comes from another server, after the one
    # that made the earlier call was killed (the kill cut off its record).
    ships: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for index, call in cluster.calls("ship"):
        ships[call["event"]["order"]].append((call["at"], index))
    assert sorted(ships) == list(range(COUNT))
    for order, made in ships.items():
        made.sort()
        for (at, index), (later, _) in itertools.pairwise(made):
            assert any(index == killed and at <= when <= later for when, killed in cluster.kills), (order, made)


def _start(client: Any, machine: str, name: str, value: dict[str, Any]) -> str:
    """StartExecution by name: the same name and input again (after a kill cut off the answer)
    returns the same execution, or ExecutionAlreadyExists once it has ended."""
    try:
        return str(client.start_execution(stateMachineArn=machine, name=name, input=json.dumps(value))["executionArn"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return machine.replace(":stateMachine:", ":execution:") + ":" + name


def test_any_server_answers_for_an_execution_another_server_runs(cluster: Cluster) -> None:
    """A task token answered (and heartbeat) on a server that does not run the execution completes
    it; an activity task queued by one server goes to a worker polling another, once; a
    StopExecution sent to another server aborts it (AWS's API reference: SendTaskSuccess,
    GetActivityTask, StopExecution: any endpoint of the Region answers them)."""
    owner, other = cluster.client(0), cluster.client(1)
    callback = str(owner.create_state_machine(name="callback", definition=json.dumps(CALLBACK),
                                              roleArn=ROLE)["stateMachineArn"])
    activity = owner.create_activity(name="queue")["activityArn"]
    time.sleep(0.5)  # every server has heard of the new activity
    working = str(owner.create_state_machine(name="activity", roleArn=ROLE,
                                             definition=json.dumps(_activity_machine(activity)))["stateMachineArn"])
    asked = str(owner.start_execution(stateMachineArn=callback, input=json.dumps({"n": 7}))["executionArn"])
    token = cluster.servers[0].token_events(1)[0]["token"]
    assert execution_of(token) == asked
    other.send_task_heartbeat(taskToken=token)
    other.send_task_success(taskToken=token, output=json.dumps({"approved": 7}))
    described, events = _ended_once(other, asked)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"n": 7, "answer": {"approved": 7}, "shipped": {"order": 7, "shipped": True}}
    succeeded = next(e for e in events if e["type"] == "TaskSucceeded")
    assert json.loads(succeeded["taskSucceededEventDetails"]["output"]) == {"approved": 7}
    with pytest.raises(ClientError) as again:  # answered: closed, on every server
        cluster.client(2).send_task_success(taskToken=token, output="{}")
    assert again.value.response["Error"]["Code"] == "TaskTimedOut"

    polls: dict[int, Any] = {}  # two workers long-polling two servers that do not run the executions
    pollers = [threading.Thread(target=lambda i=index: polls.__setitem__(i, cluster.client(i).get_activity_task(
        activityArn=activity, workerName=f"w{i}")), daemon=True) for index in (1, 2)]
    for poller in pollers:
        poller.start()
    time.sleep(0.5)
    for n in (8, 9):  # each task goes to one of them, the next one to the other
        worked = str(owner.start_execution(stateMachineArn=working, input=json.dumps({"n": n}))["executionArn"])
        deadline = time.monotonic() + 30
        while len(polls) < n - 7:
            assert time.monotonic() < deadline, "no worker got the activity task"
            time.sleep(0.05)
        assert len(polls) == n - 7, "one task was handed to two workers"
        worker, task = next((index, poll) for index, poll in polls.items() if json.loads(poll["input"]) == {"n": n})
        started = next(e for e in history(owner, worked) if e["type"] == "ActivityStarted")
        assert started["activityStartedEventDetails"]["workerName"] == f"w{worker}"
        cluster.client(3 - worker).send_task_success(taskToken=task["taskToken"], output=json.dumps({"done": n}))
        assert json.loads(_ended_once(other, worked)[0]["output"])["answer"] == {"done": n}

    stopped = str(owner.start_execution(stateMachineArn=callback, input=json.dumps({"n": 9}))["executionArn"])
    wait_for_event(owner, stopped, "TaskSubmitted")
    other.stop_execution(executionArn=stopped, error="Halt", cause="asked of another server")
    described, events = _ended_once(owner, stopped)
    assert described["status"] == "ABORTED"
    aborted = events[-1]
    assert aborted["type"] == "ExecutionAborted"
    assert aborted["executionAbortedEventDetails"] == {"error": "Halt", "cause": "asked of another server"}


def test_a_server_paused_past_its_lease_writes_nothing_when_it_wakes(cluster: Cluster) -> None:
    """No execution runs on two servers, even across a pause longer than the lease: the paused
    server's executions move to the others; woken up, its writes for them are refused by the
    fence, it gives them up, and each history stays 1..n with one end."""
    owner = cluster.servers[0]
    client = cluster.client(0)
    waiting = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
                                             "Done": {"Type": "Pass", "End": True}}}
    machine = str(client.create_state_machine(name="hold", definition=json.dumps(waiting), roleArn=ROLE)["stateMachineArn"])
    arns = [str(client.start_execution(stateMachineArn=machine)["executionArn"]) for _ in range(5)]
    for arn in arns:
        wait_for_event(client, arn, "WaitStateEntered")
    assert owner.process is not None
    owner.process.send_signal(signal.SIGSTOP)
    try:
        for arn in arns:  # taken over and ended by the others while the owner sleeps
            assert _ended_once(cluster.client(1), arn)[0]["status"] == "SUCCEEDED"
    finally:
        owner.process.send_signal(signal.SIGCONT)
    time.sleep(3)  # the owner's own Wait timers fire now: their writes must be refused
    for arn in arns:
        _, events = _ended_once(client, arn)
        assert [event["type"] for event in events].count("WaitStateExited") == 1, arn
    assert client.describe_execution(executionArn=arns[0])["status"] == "SUCCEEDED"  # it serves on
    later = str(client.start_execution(stateMachineArn=machine)["executionArn"])
    assert _ended_once(cluster.client(2), later)[0]["status"] == "SUCCEEDED"


# Debian installs it in /usr/sbin, which a user's PATH may lack.
HAPROXY = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin")


def test_three_servers_behind_the_compose_files_proxy_lose_one(cluster: Cluster, tmp_path: Path) -> None:
    """deploy/postgres/haproxy.cfg (HAProxy on loopback, the compose file's service names mapped to
    the servers): calls spread over the three servers; one is killed, and every execution started
    through the proxy ends once with its answer, the tokens answered through the proxy too."""
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (apt-get install haproxy; .ci/run does)")
    port = free_port()
    text = (ROOT / "deploy" / "postgres" / "haproxy.cfg").read_text().replace("bind :8083", f"bind 127.0.0.1:{port}")
    for index, server in enumerate(cluster.servers, start=1):
        text = text.replace(f"asl-{index}:8083", f"127.0.0.1:{server.port}")
    (tmp_path / "haproxy.cfg").write_text(text)
    proxy = subprocess.Popen([str(HAPROXY), "-db", "-f", str(tmp_path / "haproxy.cfg")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The SDK's own retries (standard mode: 503s, refused connections) carry a call over the
        # moment between the kill and the proxy's next health check.
        client = boto3.client("stepfunctions", endpoint_url=f"http://localhost:{port}", region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing",
                              config=Config(retries={"max_attempts": 20, "mode": "standard"}, read_timeout=70))
        deadline = time.monotonic() + 30
        while True:  # until the proxy's first health checks have found the servers
            try:
                client.list_activities()
                break
            except (BotoCoreError, ClientError):
                assert time.monotonic() < deadline, "the proxy never reached a server"
                time.sleep(0.2)
        callback = str(client.create_state_machine(name="callback", definition=json.dumps(CALLBACK),
                                                   roleArn=ROLE)["stateMachineArn"])
        arns = [str(client.start_execution(stateMachineArn=callback, input=json.dumps({"n": n}))["executionArn"])
                for n in range(12)]
        for arn in arns:  # the token is in the history: a kill cannot cut its record off
            wait_for_event(client, arn, "TaskSubmitted")
        owners = {index for index, _ in cluster.calls("token")}
        assert len(owners) > 1, "the proxy sent every start to one server"
        cluster.kill(0)
        tokens = {call["event"]["n"]: call["event"]["token"] for _, call in cluster.calls("token")}
        for n, token in tokens.items():
            _answered(lambda: client.send_task_success(taskToken=token, output=json.dumps({"approved": n})))
        for n, arn in enumerate(arns):
            described, _ = _ended_once(client, arn)
            assert json.loads(described["output"])["answer"] == {"approved": n}
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)



def _item_map(activity: str, concurrency: int) -> dict[str, Any]:
    return {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "Label": "waiting", "MaxConcurrency": concurrency,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}},
        "End": True}}}


def _map_run(client: Any, execution: str) -> str:
    deadline = time.monotonic() + 30
    while not (runs := client.list_map_runs(executionArn=execution)["mapRuns"]):
        assert time.monotonic() < deadline, "no map run"
        time.sleep(0.05)
    return str(runs[0]["mapRunArn"])


def test_a_distributed_map_and_its_children_move_together_when_their_server_is_killed(cluster: Cluster) -> None:
    """A Distributed Map's parent and its child executions run on one server; killed, another
    server takes the parent over and its Map resumes the children there (not on a third server,
    which would have its writes refused): every child and the parent end once."""
    owner = cluster.client(0)
    activity = owner.create_activity(name="children")["activityArn"]
    time.sleep(0.5)  # every server has heard of the new activity
    machine = str(owner.create_state_machine(name="map", definition=json.dumps(_item_map(activity, 4)),
                                             roleArn=ROLE)["stateMachineArn"])
    execution = str(owner.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3, 4]))["executionArn"])
    arn = _map_run(owner, execution)
    deadline = time.monotonic() + 30
    while len(children := owner.list_executions(mapRunArn=arn)["executions"]) < 4:
        assert time.monotonic() < deadline, children
        time.sleep(0.05)
    for child in children:
        wait_for_event(owner, child["executionArn"], "ActivityScheduled")
    cluster.kill(0)
    answers = 0
    while answers < 4:
        task = cluster.call(lambda c: c.get_activity_task(activityArn=activity, workerName="w"))
        if task.get("taskToken"):
            cluster.call(lambda c: c.send_task_success(taskToken=task["taskToken"], output=task["input"]))
            answers += 1
    described, _ = cluster.call(lambda c: _ended_once(c, execution))
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == [1, 2, 3, 4]
    for child in children:
        assert cluster.call(lambda c: _ended_once(c, child["executionArn"]))[0]["status"] == "SUCCEEDED"


def test_update_map_run_on_another_server_reaches_the_running_map(cluster: Cluster) -> None:
    """UpdateMapRun sent to a server that does not run the Distributed Map: the map takes the new
    maxConcurrency at once, as on one server (API_UpdateMapRun: "Updates an in-progress Map Run's
    configuration"), and DescribeMapRun on any server shows the stored settings and, within a
    quarter of a lease, the live item counts."""
    owner, other = cluster.client(0), cluster.client(1)
    activity = owner.create_activity(name="items")["activityArn"]
    time.sleep(0.5)  # every server has heard of the new activity
    machine = str(owner.create_state_machine(name="map", definition=json.dumps(_item_map(activity, 1)),
                                             roleArn=ROLE)["stateMachineArn"])
    execution = str(owner.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3, 4]))["executionArn"])
    arn = _map_run(owner, execution)
    deadline = time.monotonic() + 30
    other.update_map_run(mapRunArn=arn, maxConcurrency=3)
    while (counts := owner.describe_map_run(mapRunArn=arn)["itemCounts"])["running"] != 3:
        assert time.monotonic() < deadline, counts
        time.sleep(0.05)
    assert cluster.client(2).describe_map_run(mapRunArn=arn)["maxConcurrency"] == 3
    while (counts := cluster.client(2).describe_map_run(mapRunArn=arn)["itemCounts"])["running"] != 3:
        assert time.monotonic() < deadline, counts  # the owner saves its live counts a few times a lease
        time.sleep(0.05)
    for _ in range(4):
        task = other.get_activity_task(activityArn=activity, workerName="w")
        other.send_task_success(taskToken=task["taskToken"], output="1")
    assert _ended_once(other, execution)[0]["status"] == "SUCCEEDED"
