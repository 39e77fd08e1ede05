"""Map Runs of Distributed Map states through real boto3 against the server.

Docs: guide:concepts-examine-map-run
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html), plus the
API reference pages named in each test.
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError
from sfn_support import create, error_of, unique, wait_done

ITEMS = [1, 2, 3, 4]


def distributed(label: str = "doubler", fail_on: int | None = None) -> str:
    processor: dict = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "End": True}},
    }
    if fail_on is not None:
        processor["StartAt"] = "Check"
        processor["States"] = {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": fail_on, "Next": "Boom"}],
                      "Default": "Double"},
            "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "item failed"},
            "Double": {"Type": "Pass", "End": True},
        }
    return json.dumps({"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "Label": label, "MaxConcurrency": 2, "ToleratedFailureCount": 1,
        "ItemProcessor": processor, "End": True,
    }}})


def run_map(sfn, definition: str) -> tuple[str, str, dict]:
    """(machine ARN, execution ARN, ended execution) of one run over ITEMS."""
    machine = create(sfn, distributed() if definition is None else definition)
    started = sfn.start_execution(stateMachineArn=machine, name=unique("mr"), input=json.dumps(ITEMS))
    return machine, started["executionArn"], wait_done(sfn, started["executionArn"])


def test_list_and_describe_map_run(sfn):
    """API_ListMapRuns / API_DescribeMapRun: the execution's one map run, SUCCEEDED, with the
    map's settings and an item count per item; its ARN is the one MapRunStarted carries."""
    machine, execution, ended = run_map(sfn, distributed())
    assert ended["status"] == "SUCCEEDED"
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1
    run = runs[0]
    name = machine.rsplit(":", 1)[-1]
    assert run["executionArn"] == execution
    assert run["mapRunArn"].startswith(machine.replace(":stateMachine:", ":mapRun:") + "/doubler:")
    assert run["stateMachineArn"] == f"{machine}/doubler" and name in run["stateMachineArn"]
    assert "startDate" in run and "stopDate" in run
    history = sfn.get_execution_history(executionArn=execution)["events"]
    started = [e for e in history if e["type"] == "MapRunStarted"]
    assert started[0]["mapRunStartedEventDetails"]["mapRunArn"] == run["mapRunArn"]

    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert described["status"] == "SUCCEEDED"
    assert described["executionArn"] == execution
    assert described["maxConcurrency"] == 2
    assert described["toleratedFailureCount"] == 1
    assert described["toleratedFailurePercentage"] == 0
    counts = described["itemCounts"]
    assert counts["total"] == counts["succeeded"] == len(ITEMS)
    assert counts["failed"] == counts["pending"] == counts["running"] == counts["aborted"] == 0
    assert described["executionCounts"]["succeeded"] == len(ITEMS)
    assert described["stopDate"] >= described["startDate"]


def test_a_labelled_arn_is_refused_where_aws_refuses_it(sfn):
    """API_StartExecution: "If you provide a qualified state machine ARN that refers to a
    Distributed Map state, the request fails with ValidationException" (the model's reason
    API_DOES_NOT_SUPPORT_LABELED_ARNS); DescribeStateMachine, UpdateStateMachine and
    DeleteStateMachine say the same.
    StartExecution answered StateMachineDoesNotExist, and DeleteStateMachine 200."""
    machine, execution, _ = run_map(sfn, distributed())
    labelled = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["stateMachineArn"]
    assert labelled == f"{machine}/doubler"
    for call in (lambda: sfn.start_execution(stateMachineArn=labelled),
                 lambda: sfn.describe_state_machine(stateMachineArn=labelled),
                 lambda: sfn.update_state_machine(stateMachineArn=labelled, definition=distributed()),
                 lambda: sfn.delete_state_machine(stateMachineArn=labelled)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == "ValidationException"
        assert excinfo.value.response["reason"] == "API_DOES_NOT_SUPPORT_LABELED_ARNS"
    assert sfn.describe_state_machine(stateMachineArn=machine)["status"] == "ACTIVE"


def test_failed_map_run_counts(sfn):
    """API_DescribeMapRun: items beyond the tolerated failures fail the map run (FAILED)."""
    definition = json.loads(distributed(fail_on=2))
    definition["States"]["Map"]["ToleratedFailureCount"] = 0
    definition["States"]["Map"]["MaxConcurrency"] = 1
    machine = create(sfn, json.dumps(definition))
    started = sfn.start_execution(stateMachineArn=machine, input=json.dumps(ITEMS))
    assert wait_done(sfn, started["executionArn"])["status"] == "FAILED"
    run = sfn.list_map_runs(executionArn=started["executionArn"])["mapRuns"][0]
    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert described["status"] == "FAILED"
    counts = described["itemCounts"]
    # The items never started stay pending: `aborted` counts children "started by a Map Run and were
    # running" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunItemCounts.html).
    assert (counts["succeeded"], counts["failed"], counts["aborted"], counts["pending"], counts["total"]) == (
        1, 1, 0, 2, 4)


def test_update_map_run_refuses_a_completed_one(sfn):
    """API_UpdateMapRun "Updates an in-progress Map Run's configuration"; the model's
    ValidationException reasons include CANNOT_UPDATE_COMPLETED_MAP_RUN. A completed Map Run's
    settings stay as they ran (updates of running ones: the tests below)."""
    _, execution, _ = run_map(sfn, distributed())
    arn = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
    before = sfn.describe_map_run(mapRunArn=arn)
    with pytest.raises(ClientError) as excinfo:
        sfn.update_map_run(mapRunArn=arn, maxConcurrency=7, toleratedFailurePercentage=12.5)
    assert error_of(excinfo)[0] == "ValidationException"
    assert excinfo.value.response["reason"] == "CANNOT_UPDATE_COMPLETED_MAP_RUN"
    described = sfn.describe_map_run(mapRunArn=arn)
    assert (described["maxConcurrency"], described["toleratedFailurePercentage"]) == (
        before["maxConcurrency"], before["toleratedFailurePercentage"])


def test_unknown_map_run(sfn):
    """API_DescribeMapRun / API_UpdateMapRun: an unknown map run is ResourceNotFound; an ARN of
    another kind is InvalidArn. API_ListMapRuns: an unknown execution is ExecutionDoesNotExist."""
    machine = create(sfn)
    unknown = machine.replace(":stateMachine:", ":mapRun:") + "/nothing:0b6e1f6c-1a5e-4a8e-9f1e-0d4f8c1b2a3d"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_map_run(mapRunArn=unknown)
    assert error_of(excinfo)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sfn.update_map_run(mapRunArn=unknown, maxConcurrency=1)
    assert error_of(excinfo)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_map_run(mapRunArn=machine)
    assert error_of(excinfo)[0] == "InvalidArn"
    execution = machine.replace(":stateMachine:", ":execution:") + ":missing"
    with pytest.raises(ClientError) as excinfo:
        sfn.list_map_runs(executionArn=execution)
    assert error_of(excinfo)[0] == "ExecutionDoesNotExist"


def test_list_map_runs_pages(sfn):
    """API_ListMapRuns: maxResults pages with nextToken, newest first; an execution without a
    Distributed Map has none."""
    definition = json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Map", "Label": "first", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "Next": "B"},
        "B": {"Type": "Map", "Label": "second", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": True}}}, "End": True},
    }})
    _, execution, ended = run_map(sfn, definition)
    assert ended["status"] == "SUCCEEDED"
    first = sfn.list_map_runs(executionArn=execution, maxResults=1)
    assert len(first["mapRuns"]) == 1 and "/second:" in first["mapRuns"][0]["mapRunArn"]
    second = sfn.list_map_runs(executionArn=execution, maxResults=1, nextToken=first["nextToken"])
    assert len(second["mapRuns"]) == 1 and "/first:" in second["mapRuns"][0]["mapRunArn"]
    assert "nextToken" not in second
    _, plain, _ = run_map(sfn, json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    assert sfn.list_map_runs(executionArn=plain)["mapRuns"] == []


def _activity_map(activity: str, concurrency: int, tolerated: int) -> str:
    """A Distributed Map whose items each wait on an activity task, so it stays running."""
    return json.dumps({"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "Label": "waiting", "MaxConcurrency": concurrency, "ToleratedFailureCount": tolerated,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}},
        "End": True,
    }}})


def _until(sfn, arn: str, running: int) -> dict:
    """Poll DescribeMapRun until `running` children run (the map is asynchronous)."""
    described: dict = {}
    for _ in range(500):
        described = sfn.describe_map_run(mapRunArn=arn)
        if described["itemCounts"]["running"] == running:
            return described
        time.sleep(0.01)
    raise AssertionError(f"map run never had {running} running: {described['itemCounts']}")


def _map_run_of(sfn, execution: str) -> str:
    for _ in range(500):
        runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
        if runs:
            return str(runs[0]["mapRunArn"])
        time.sleep(0.01)
    raise AssertionError("no map run")


def test_update_running_map_run_concurrency(tasks_sfn):
    """API_UpdateMapRun (https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateMapRun.html):
    "Updates an in-progress Map Run's configuration to include changes to the settings that control
    maximum concurrency and Map Run failure": raising maxConcurrency of a running Map Run from 1 to
    3 starts two more children at once, and the stored settings outlive its end."""
    activity = tasks_sfn.create_activity(name=unique("mrw"))["activityArn"]
    machine = create(tasks_sfn, _activity_map(activity, 1, 0))
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input=json.dumps(ITEMS))["executionArn"]
    arn = _map_run_of(tasks_sfn, execution)
    _until(tasks_sfn, arn, 1)
    tasks_sfn.update_map_run(mapRunArn=arn, maxConcurrency=3)
    described = _until(tasks_sfn, arn, 3)
    assert described["itemCounts"]["pending"] == 1 and described["maxConcurrency"] == 3
    for _ in ITEMS:
        task = tasks_sfn.get_activity_task(activityArn=activity)
        tasks_sfn.send_task_success(taskToken=task["taskToken"], output="1")
    assert wait_done(tasks_sfn, execution)["status"] == "SUCCEEDED"
    described = tasks_sfn.describe_map_run(mapRunArn=arn)
    assert described["status"] == "SUCCEEDED" and described["maxConcurrency"] == 3
    assert described["itemCounts"]["succeeded"] == len(ITEMS)


def test_update_running_map_run_tolerance(tasks_sfn):
    """API_UpdateMapRun: toleratedFailureCount of a running Map Run is checked against the new value:
    a map that tolerated no failure, raised to 2, survives two failed items (their error outputs in
    its result, as
    https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html describes)."""
    activity = tasks_sfn.create_activity(name=unique("mrt"))["activityArn"]
    machine = create(tasks_sfn, _activity_map(activity, 1, 0))
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input=json.dumps(ITEMS))["executionArn"]
    arn = _map_run_of(tasks_sfn, execution)
    _until(tasks_sfn, arn, 1)
    tasks_sfn.update_map_run(mapRunArn=arn, toleratedFailureCount=2)
    for index, _ in enumerate(ITEMS):
        task = tasks_sfn.get_activity_task(activityArn=activity)
        if index < 2:
            tasks_sfn.send_task_failure(taskToken=task["taskToken"], error="Boom", cause="no")
        else:
            tasks_sfn.send_task_success(taskToken=task["taskToken"], output="1")
    ended = wait_done(tasks_sfn, execution)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == [{"Error": "Boom", "Cause": "no"}] * 2 + [1, 1]
    described = tasks_sfn.describe_map_run(mapRunArn=arn)
    assert (described["itemCounts"]["failed"], described["toleratedFailureCount"]) == (2, 2)


def test_stop_execution_aborts_map_run(tasks_sfn):
    """StopExecution of the parent aborts its Map Run: DescribeMapRun shows ABORTED (MapRunStatus,
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html) with
    the running items aborted, and the parent's history records MapRunAborted (an event type of
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html, with no
    details) just before ExecutionAborted, the run's last event."""
    activity = tasks_sfn.create_activity(name=unique("mra"))["activityArn"]
    machine = create(tasks_sfn, _activity_map(activity, 2, 0))
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input=json.dumps(ITEMS))["executionArn"]
    arn = _map_run_of(tasks_sfn, execution)
    _until(tasks_sfn, arn, 2)
    tasks_sfn.stop_execution(executionArn=execution, error="Halt", cause="enough")
    assert wait_done(tasks_sfn, execution)["status"] == "ABORTED"
    types = [event["type"] for event in tasks_sfn.get_execution_history(executionArn=execution)["events"]]
    assert types[-2:] == ["MapRunAborted", "ExecutionAborted"]
    assert types.count("MapRunAborted") == 1 and "MapRunSucceeded" not in types
    described = tasks_sfn.describe_map_run(mapRunArn=arn)
    assert described["status"] == "ABORTED" and "stopDate" in described
    counts = described["itemCounts"]
    assert (counts["aborted"], counts["running"], counts["pending"], counts["total"]) == (2, 0, 2, 4)  # 2 never started
