"""Several servers on one PostgreSQL database through a database outage (README "Running several
servers": "a lost connection is a passing failure").

Real `asl-engine serve` processes on a PostgreSQL cluster of the test's own (tests/postgres_server.py),
which is restarted under them (`pg_ctl restart -m fast`: every connection dropped, as in a
failover). The lease is long, so no server takes another's executions over meanwhile: what is
checked is that each server keeps hearing the others, and keeps running what it parked.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from postgres_server import PostgresServer, postgres_database
from processes import ROLE, Server

ENV = {"ASL_ENGINE_LEASE_SECONDS": "20"}  # no takeover during the test: each server keeps its own
CALLBACK = {"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token"}}, "End": True}}}


def _busy(client: Any, machine_arn: str) -> None:
    """Concurrent reads: the server's pool holds several connections, which an outage leaves stale."""
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda _: client.list_executions(stateMachineArn=machine_arn), range(400)))


@pytest.fixture
def database() -> Iterator[PostgresServer]:
    postgres_database()  # skips without PostgreSQL
    server = PostgresServer()  # a cluster of its own: the session's is not restarted under others
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _servers(tmp_path: Path, url: str, count: int) -> list[Server]:
    servers = [Server(tmp_path, f"asl-{index}", env=ENV, db=url) for index in range(count)]
    for server in servers:
        server.start()
    return servers


def _retrying(action: Callable[[], Any], seconds: float = 60) -> Any:
    """A call made while the servers reconnect: a 503 (or a refused connection) is tried again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except (ClientError, BotoCoreError) as exc:
            status = exc.response["ResponseMetadata"].get("HTTPStatusCode", 0) if isinstance(exc, ClientError) else 503
            if status < 500 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _status(client: Any, arn: str, seconds: float = 60) -> str:
    """The execution's status once it has ended, or RUNNING after `seconds`."""
    deadline = time.monotonic() + seconds
    while (status := _retrying(lambda: client.describe_execution(executionArn=arn))["status"]) == "RUNNING":
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return str(status)


def test_a_token_answered_on_another_server_completes_the_execution_after_postgresql_restarts(
        tmp_path: Path, database: PostgresServer) -> None:
    """After PostgreSQL restarts, each server listens to the others again: a task token answered
    on server B reaches the execution waiting on server A (README "Running several servers": any
    server answers a task token). Before the fix, A's LISTEN task ended on the store's
    ServiceUnavailable while catching up, and the execution stayed RUNNING for good."""
    servers = _servers(tmp_path, database.create_database(), 2)
    try:
        a, b = servers[0].client(attempts=1), servers[1].client(attempts=1)
        machine = a.create_state_machine(name="callback", definition=json.dumps(CALLBACK), roleArn=ROLE)
        for _ in range(2):  # a second outage: the listener that came back must come back again
            for client in (a, b):
                _busy(client, machine["stateMachineArn"])
            database.restart()  # every connection dropped, as in a failover
            time.sleep(3)  # no call meanwhile: each server finds its stale connections by itself
        arn = _retrying(lambda: a.start_execution(stateMachineArn=machine["stateMachineArn"]))["executionArn"]
        token = servers[0].token_events()[0]["token"]
        _retrying(lambda: b.send_task_success(taskToken=token, output=json.dumps({"approved": True})))
        assert _status(a, arn) == "SUCCEEDED"
        assert json.loads(a.describe_execution(executionArn=arn)["output"]) == {"approved": True}
    finally:
        for server in servers:
            server.stop()


WAIT = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
                                      "Done": {"Type": "Pass", "Result": "done", "End": True}}}
OUTAGE = 14.0  # seconds: past the pool's wait for a connection (store/postgres.py CONNECT_SECONDS), within the lease


def test_a_parked_execution_whose_load_back_fails_in_an_outage_ends_once_the_database_is_back(
        tmp_path: Path, database: PostgresServer) -> None:
    """Executions parked on a Wait (out of memory, service/parking.py) whose Wait ends while
    PostgreSQL is down: loading them back fails, and is tried again until the database is back.
    All of them succeed; none is left RUNNING, and StopExecution answers (README "Durability":
    a lost connection is a passing failure). Before the fix, a failed load back was logged and
    dropped: the execution stayed RUNNING for good and StopExecution hung."""
    servers = _servers(tmp_path, database.create_database(), 1)
    try:
        client = servers[0].client(attempts=1)
        machine = client.create_state_machine(name="wait", definition=json.dumps(WAIT), roleArn=ROLE)
        arns = [client.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"] for _ in range(10)]
        hold = client.create_state_machine(name="hold", definition=json.dumps(
            {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3, "End": True}}}), roleArn=ROLE)
        stopped = client.start_execution(stateMachineArn=hold["stateMachineArn"])["executionArn"]
        database._pg_ctl("stop", "-m", "fast")  # the Waits end while it is down
        time.sleep(OUTAGE)
        database._pg_ctl("start")
        _retrying(lambda: client.stop_execution(executionArn=stopped))  # answers, once it is loaded back
        assert _status(client, stopped) in ("ABORTED", "SUCCEEDED")  # it may have ended before the stop
        assert [_status(client, arn) for arn in arns] == ["SUCCEEDED"] * len(arns)
    finally:
        for server in servers:
            server.stop()


def _health(server: Server) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(server.url + "/health", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _health_becomes(server: Server, status: int, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while (health := _health(server))[0] != status:
        assert time.monotonic() < deadline, f"GET /health still answers {health}"
        time.sleep(0.2)
    return health[1]


def test_health_answers_503_while_the_database_is_unreachable(tmp_path: Path, database: PostgresServer) -> None:
    """GET /health is what HAProxy routes by (deploy/postgres/haproxy.cfg): a server cut off from
    PostgreSQL answers 503 there, so calls go to the others, and 200 again once it is back."""
    servers = [Server(tmp_path, "asl-health", env={"ASL_ENGINE_LEASE_SECONDS": "4"}, db=database.create_database())]
    servers[0].start()
    try:
        assert _health(servers[0]) == (200, {"status": "ok", "version": _health(servers[0])[1]["version"]})
        database._pg_ctl("stop", "-m", "fast")
        try:
            body = _health_becomes(servers[0], 503)
        finally:
            database._pg_ctl("start")
        assert body["status"] == "unavailable" and body["reason"], body
        _health_becomes(servers[0], 200)
    finally:
        servers[0].stop()
