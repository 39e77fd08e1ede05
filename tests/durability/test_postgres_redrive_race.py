"""RedriveExecution of one execution sent to two servers at once (PostgreSQL, several servers).

AWS: RedriveExecution redrives an execution that ended FAILED, TIMED_OUT or ABORTED; for one that
runs, it is ExecutionNotRedrivable
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html).
Two redrives racing on two servers: exactly one is accepted, the other finds the execution
RUNNING (ExecutionNotRedrivable, never a 500), and the history holds one ExecutionRedriven.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from postgres_server import postgres_database
from processes import ROLE, Server, history, wait_for_event, wait_until_ended

HOLD = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}
COUNT = 12


def _redrive(client: Any, arn: str, barrier: threading.Barrier, outcomes: list[str]) -> None:
    barrier.wait()
    try:
        client.redrive_execution(executionArn=arn)
        outcomes.append("redriven")
    except ClientError as exc:
        outcomes.append(exc.response["Error"]["Code"])
    except Exception as exc:  # a timeout (a redrive that hangs), a dropped connection: a failure too
        outcomes.append(repr(exc))


def test_two_servers_redriving_one_execution_at_once_redrive_it_once(tmp_path: Path) -> None:
    url = postgres_database()
    servers = [Server(tmp_path, f"asl-{index}", db=url) for index in (1, 2)]
    try:
        for server in servers:
            server.start()
        a, b = (server.client(attempts=1) for server in servers)
        machine = a.create_state_machine(name="hold", definition=json.dumps(HOLD), roleArn=ROLE)["stateMachineArn"]
        arns = []
        for _ in range(COUNT):
            arn = a.start_execution(stateMachineArn=machine)["executionArn"]
            wait_for_event(a, arn, "WaitStateEntered")
            a.stop_execution(executionArn=arn)
            assert wait_until_ended(a, arn)["status"] == "ABORTED"
            arns.append(arn)
        for arn in arns:
            outcomes: list[str] = []
            barrier = threading.Barrier(2)
            threads = [threading.Thread(target=_redrive, args=(client, arn, barrier, outcomes)) for client in (a, b)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["ExecutionNotRedrivable", "redriven"], (arn, outcomes)
            described = b.describe_execution(executionArn=arn)
            assert (described["status"], described["redriveCount"]) == ("RUNNING", 1), described
            types = Counter(event["type"] for event in history(a, arn))
            assert types["ExecutionRedriven"] == 1 and types["WaitStateEntered"] <= 2, (arn, types)
    finally:
        for server in servers:
            server.stop()
