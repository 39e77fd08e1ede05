"""A Distributed Map's child executions survive SIGKILL like any execution: the restarted server
resumes the parent, whose Map finds its children again (same ARNs) and resumes those still running
through the restart path; DescribeMapRun's counts are exact afterwards.

AWS: a Distributed Map runs each item as a child workflow execution of its own
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html), listed by
ListExecutions(mapRunArn) (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from processes import ROLE, Server, history, wait_until_ended

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
ITEMS = 6
MACHINE = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "Label": "each", "MaxConcurrency": 2, "End": True,
    "ItemSelector": {"item.$": "$$.Map.Item.Value"},
    "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Hold", "States": {
            "Hold": {"Type": "Wait", "Seconds": 100, "Next": "Work"},  # one second with WAIT_TIME_SCALE
            "Work": {"Type": "Task", "Resource": LAMBDA + "item", "End": True}}}}}}


def test_children_running_at_a_kill_resume_and_the_counts_stay_exact(tmp_path: Path) -> None:
    server = Server(tmp_path, "children", {"WAIT_TIME_SCALE": "0.01"})
    server.start()
    try:
        arn, map_run_arn = _killed_once(server, "children-kill", MACHINE, ITEMS, lambda children: any(
            child["status"] == "RUNNING" for child in children))
        sfn = server.client()
        described = wait_until_ended(sfn, arn)
        assert described["status"] == "SUCCEEDED", described.get("cause")
        assert json.loads(described["output"]) == [{"item": i, "double": 2 * i} for i in range(ITEMS)]
        children = sfn.list_executions(mapRunArn=map_run_arn)["executions"]
        assert len(children) == ITEMS and {child["status"] for child in children} == {"SUCCEEDED"}
        for child in children:
            events = history(sfn, child["executionArn"])
            assert [event["id"] for event in events] == list(range(1, len(events) + 1))
            kinds = [event["type"] for event in events]
            assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
            assert kinds.count("ExecutionStarted") == 1
        run = sfn.describe_map_run(mapRunArn=map_run_arn)
        assert run["status"] == "SUCCEEDED"
        assert (run["executionCounts"]["succeeded"], run["executionCounts"]["total"]) == (ITEMS, ITEMS)
        assert (run["itemCounts"]["succeeded"], run["itemCounts"]["failed"]) == (ITEMS, 0)
        assert sorted({call["event"]["item"] for call in server.calls()}) == list(range(ITEMS))
        parent = [event["type"] for event in history(sfn, arn)]
        assert parent.count("MapRunStarted") == 1 and "WaitStateEntered" not in parent
    finally:
        server.stop()


def test_express_children_that_ended_before_a_kill_do_not_run_again(tmp_path: Path) -> None:
    """README "Durability": Map iterations that finished are not run again after kill -9; an
    Express child (which has no history of its own) is no exception. With MaxConcurrency 2, a
    child starts only once an earlier one ended and its end was handed to the store before that
    start: once 6 of 8 children have started, at least 4 ended durably, and only the 2 still in
    flight may call their Lambda again (at-least-once, like any task cut short)."""
    express = json.loads(json.dumps(MACHINE).replace('"STANDARD"', '"EXPRESS"'))
    items = 8
    server = Server(tmp_path, "express", {"WAIT_TIME_SCALE": "0.01"})
    server.start()
    try:
        arn, _ = _killed_once(server, "express-kill", express, items, lambda children: len(children) >= 6)
        sfn = server.client()
        described = wait_until_ended(sfn, arn)
        assert described["status"] == "SUCCEEDED", described.get("cause")
        assert json.loads(described["output"]) == [{"item": i, "double": 2 * i} for i in range(items)]
        calls = [call["event"]["item"] for call in server.calls()]
        assert sorted(set(calls)) == list(range(items))
        assert len(calls) <= items + 2, sorted(calls)
    finally:
        server.stop()


def _killed_once(server: Server, name: str, machine: dict, items: int,
                 ready: Callable[[list[dict]], bool]) -> tuple[str, str]:
    """Start `machine` on `items` items, SIGKILL the server once its Map Run's children are
    `ready`, start it again; the parent's and the Map Run's ARNs."""
    sfn = server.client()
    created = sfn.create_state_machine(name=name, definition=json.dumps(machine), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=created["stateMachineArn"],
                              input=json.dumps(list(range(items))))["executionArn"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
        if runs and ready(sfn.list_executions(mapRunArn=runs[0]["mapRunArn"])["executions"]):
            break
        time.sleep(0.02)
    server.kill()
    server.start()
    return arn, runs[0]["mapRunArn"]
