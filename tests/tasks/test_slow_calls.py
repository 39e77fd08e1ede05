"""Slow Task calls do not hold up the others (asl_engine/tasks/aws.py, TASK_CALL_THREADS).

A blocking call (boto3, a local Lambda handler) runs in a thread. On asyncio's default pool,
six threads on a 2-core machine, six slow Lambda calls left every other Task call of the server
waiting behind them: "one execution never takes another down" did not hold. Here twelve calls
block until the test lets them go, and a thirteenth execution still runs to its end meanwhile.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterator

import pytest
from postgres_server import fresh_db
from serving import ServerThread, boto_client, wait_until_ended

from asl_engine.api.app import create_app
from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig

SLOW = 12
RELEASE = threading.Event()
IN_FLIGHT = threading.Semaphore(0)


def slow(event: Any, context: Any) -> Any:
    IN_FLIGHT.release()
    RELEASE.wait(timeout=120)
    return {"slow": event["n"]}


def quick(event: Any, context: Any) -> Any:
    return {"quick": True}


@pytest.fixture
def sfn(tmp_path: Any) -> Iterator[Any]:
    tasks = TaskConfig(lambda_handlers={"slow": slow, "quick": quick})
    thread = ServerThread(create_app(Config(db_path=fresh_db(tmp_path, "slow.db"), clock="real", tasks=tasks)))
    thread.start()
    try:
        yield boto_client(thread.url)
    finally:
        RELEASE.set()
        thread.stop()


def machine(sfn: Any, function: str) -> str:
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
        "Parameters": {"FunctionName": function, "Payload.$": "$"}, "End": True}}}
    return str(sfn.create_state_machine(name=f"{function}-{time.time_ns()}", definition=json.dumps(definition),
                                        roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"])


def test_a_quick_call_runs_while_twelve_slow_ones_block(sfn: Any) -> None:
    RELEASE.clear()
    slow_machine, quick_machine = machine(sfn, "slow"), machine(sfn, "quick")
    blocked = [sfn.start_execution(stateMachineArn=slow_machine, input=json.dumps({"n": n}))["executionArn"]
               for n in range(SLOW)]
    for _ in range(SLOW):  # every slow call is in its handler, holding a thread
        assert IN_FLIGHT.acquire(timeout=60)
    done = wait_until_ended(sfn, sfn.start_execution(stateMachineArn=quick_machine)["executionArn"])
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"quick": True})
    assert {sfn.describe_execution(executionArn=arn)["status"] for arn in blocked} == {"RUNNING"}
    RELEASE.set()
    assert [json.loads(wait_until_ended(sfn, arn)["output"]) for arn in blocked] == [{"slow": n} for n in range(SLOW)]
