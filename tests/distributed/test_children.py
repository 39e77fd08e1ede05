"""A Distributed Map's child executions, through real boto3 against a real server.

AWS: each item (or batch) runs as a child workflow execution of its own; the Map Run is
`arn:...:mapRun:<machine>/<label>:<id>`, its children `arn:...:execution:<machine>/<label>:<name>`
of the labelled state machine `arn:...:stateMachine:<machine>/<label>`
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html);
ListExecutions with `mapRunArn` lists them, "either a mapRunArn or a stateMachineArn, but not both"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html);
DescribeExecution of a child returns its `mapRunArn`
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html); the
parent's history keeps the MapRun* events only, each child has its own.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/test-role"


def processor(kind: str = "STANDARD", fail_on: int | None = None, wait: int | None = None) -> dict[str, Any]:
    states: dict[str, Any] = {"Double": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": True}}
    start = "Double"
    if fail_on is not None:
        start = "Check"
        states["Check"] = {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": fail_on,
                                                         "Next": "Boom"}], "Default": "Double"}
        states["Boom"] = {"Type": "Fail", "Error": "Boom", "Cause": "item failed"}
    if wait is not None:
        start = "Hold"
        states["Hold"] = {"Type": "Wait", "Seconds": wait, "Next": "Double"}
    return {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind}, "StartAt": start, "States": states}


def machine(sfn: Any, item_processor: dict[str, Any], **fields: Any) -> tuple[str, str]:
    name = f"dm-{uuid.uuid4().hex[:8]}"
    definition = {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "Label": "kids", "ItemProcessor": item_processor, "End": True, **fields}}}
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    return name, arn


def wait_for(check: Any, attempts: int = 500) -> Any:
    for _ in range(attempts):
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition never held")


def ended(sfn: Any, arn: str) -> dict[str, Any]:
    return wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d)


def map_run_of(sfn: Any, arn: str) -> str:
    return wait_for(lambda: sfn.list_map_runs(executionArn=arn)["mapRuns"])[0]["mapRunArn"]


def children(sfn: Any, map_run_arn: str, **filters: Any) -> list[dict[str, Any]]:
    return sfn.list_executions(mapRunArn=map_run_arn, **filters)["executions"]


def types(sfn: Any, arn: str) -> list[str]:
    return [event["type"] for event in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]


def test_standard_children_are_executions_of_their_own(sfn: Any) -> None:
    name, machine_arn = machine(sfn, processor())
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3]")["executionArn"]
    assert ended(sfn, arn)["status"] == "SUCCEEDED"
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"]) == [{"n": 1}, {"n": 2}, {"n": 3}]
    map_run_arn = map_run_of(sfn, arn)
    prefix = machine_arn.split(":stateMachine:")[0]
    assert map_run_arn.startswith(f"{prefix}:mapRun:{name}/kids:")
    listed = children(sfn, map_run_arn)
    assert len(listed) == 3
    for child in listed:
        assert child["executionArn"] == f"{prefix}:execution:{name}/kids:{child['name']}"
        assert child["stateMachineArn"] == f"{prefix}:stateMachine:{name}/kids"
        assert child["status"] == "SUCCEEDED" and child["mapRunArn"] == map_run_arn and child["itemCount"] == 1
        described = sfn.describe_execution(executionArn=child["executionArn"])
        assert described["mapRunArn"] == map_run_arn
        assert json.loads(described["output"]) == {"n": json.loads(described["input"])}
        assert types(sfn, child["executionArn"]) == [
            "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert sorted(json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"]) for c in listed) == [
        1, 2, 3]
    # The parent keeps the Map Run's events, not its children's.
    assert types(sfn, arn) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
                               "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine_arn)["executions"]] == [arn]
    counts = sfn.describe_map_run(mapRunArn=map_run_arn)
    assert counts["executionCounts"]["succeeded"] == counts["executionCounts"]["total"] == 3
    assert counts["itemCounts"]["succeeded"] == 3


def test_list_executions_takes_a_map_run_or_a_machine_not_both(sfn: Any) -> None:
    _, machine_arn = machine(sfn, processor())
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1]")["executionArn"]
    map_run_arn = map_run_of(sfn, arn)
    with pytest.raises(ClientError) as both:
        sfn.list_executions(stateMachineArn=machine_arn, mapRunArn=map_run_arn)
    assert both.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as unknown:
        sfn.list_executions(mapRunArn=map_run_arn.rsplit(":", 1)[0] + f":{uuid.uuid4()}")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFound"


def test_express_children_are_described_and_listed_but_have_no_history(sfn: Any) -> None:
    """"Executions of an EXPRESS state machine aren't supported by DescribeExecution unless a Map
    Run dispatched them" (API_DescribeExecution); GetExecutionHistory supports no Express execution
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html)."""
    name, machine_arn = machine(sfn, processor("EXPRESS"))
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2]")["executionArn"]
    assert ended(sfn, arn)["status"] == "SUCCEEDED"
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"]) == [{"n": 1}, {"n": 2}]
    map_run_arn = map_run_of(sfn, arn)
    assert sfn.describe_map_run(mapRunArn=map_run_arn)["executionCounts"]["succeeded"] == 2
    listed = children(sfn, map_run_arn)
    prefix = machine_arn.split(":stateMachine:")[0]
    assert len(listed) == 2
    for child in listed:
        assert child["executionArn"].startswith(f"{prefix}:express:{name}/kids:{child['name']}:")
        described = sfn.describe_execution(executionArn=child["executionArn"])
        assert (described["status"], described["mapRunArn"]) == ("SUCCEEDED", map_run_arn)
        assert json.loads(described["output"]) == {"n": json.loads(described["input"])}
        with pytest.raises(ClientError) as refused:
            sfn.get_execution_history(executionArn=child["executionArn"])
        assert refused.value.response["Error"]["Code"] == "InvalidArn"


def test_a_failed_child_fails_the_map_run_and_is_counted(sfn: Any) -> None:
    _, machine_arn = machine(sfn, processor(fail_on=2), MaxConcurrency=1)
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3]")["executionArn"]
    described = ended(sfn, arn)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Boom", "item failed")
    map_run_arn = map_run_of(sfn, arn)
    failed = children(sfn, map_run_arn, statusFilter="FAILED")
    assert len(failed) == 1 and json.loads(sfn.describe_execution(executionArn=failed[0]["executionArn"])["input"]) == 2
    assert types(sfn, failed[0]["executionArn"])[-1] == "ExecutionFailed"
    # Redriven only with its Map Run (API_DescribeExecution redriveStatus; redrive-map-run.html).
    assert sfn.describe_execution(executionArn=failed[0]["executionArn"])["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    with pytest.raises(ClientError) as alone:
        sfn.redrive_execution(executionArn=failed[0]["executionArn"])
    assert alone.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    run = sfn.describe_map_run(mapRunArn=map_run_arn)
    assert run["status"] == "FAILED"
    counts = run["executionCounts"]
    # Item 3 never started: it stays pending, `aborted` counts children "started by a Map Run and
    # were running" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunExecutionCounts.html).
    assert (counts["succeeded"], counts["failed"], counts["aborted"], counts["pending"], counts["total"]) == (
        1, 1, 0, 1, 3)
    assert types(sfn, arn)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_tolerated_failures_count_failed_children(sfn: Any) -> None:
    _, machine_arn = machine(sfn, processor(fail_on=2), ToleratedFailureCount=1)
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3]")["executionArn"]
    described = ended(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])[1] == {"Error": "Boom", "Cause": "item failed"}
    counts = sfn.describe_map_run(mapRunArn=map_run_of(sfn, arn))["executionCounts"]
    assert (counts["succeeded"], counts["failed"]) == (2, 1)


@pytest.mark.parametrize("kind", ["STANDARD", "EXPRESS"])
def test_stopping_the_parent_aborts_its_running_children(live: Any, kind: str) -> None:
    _, machine_arn = machine(live, processor(kind, wait=3600), MaxConcurrency=2)
    arn = live.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3]")["executionArn"]
    map_run_arn = map_run_of(live, arn)
    running = wait_for(lambda: len(children(live, map_run_arn, statusFilter="RUNNING")) == 2)
    assert running
    live.stop_execution(executionArn=arn, error="Enough", cause="stopped by the test")
    assert ended(live, arn)["status"] == "ABORTED"
    listed = children(live, map_run_arn)
    assert [child["status"] for child in listed] == ["ABORTED", "ABORTED"]
    if kind == "STANDARD":
        assert types(live, listed[0]["executionArn"])[-1] == "ExecutionAborted"
    run = live.describe_map_run(mapRunArn=map_run_arn)
    assert run["status"] == "ABORTED"
    counts = run["executionCounts"]  # the third child never started (API_MapRunExecutionCounts)
    assert (counts["aborted"], counts["pending"], counts["running"], counts["total"]) == (2, 1, 0, 3)
    assert types(live, arn)[-2:] == ["MapRunAborted", "ExecutionAborted"]


def test_update_map_run_starts_more_children(live: Any) -> None:
    """UpdateMapRun's maxConcurrency applies to a running Map Run
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateMapRun.html)."""
    _, machine_arn = machine(live, processor(wait=3600), MaxConcurrency=1)
    arn = live.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3, 4]")["executionArn"]
    map_run_arn = map_run_of(live, arn)
    wait_for(lambda: len(children(live, map_run_arn, statusFilter="RUNNING")) == 1)
    live.update_map_run(mapRunArn=map_run_arn, maxConcurrency=3)
    wait_for(lambda: len(children(live, map_run_arn, statusFilter="RUNNING")) == 3)
    assert live.describe_map_run(mapRunArn=map_run_arn)["executionCounts"]["running"] == 3
    live.stop_execution(executionArn=arn)
    assert ended(live, arn)["status"] == "ABORTED"


def test_describe_state_machine_for_a_child_is_its_item_processor(sfn: Any) -> None:
    """"If a Map Run dispatched the execution, this action returns the Map Run ARN ... The state
    machine returned is the state machine associated with the Map Run", with its `label`
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html)."""
    _, machine_arn = machine(sfn, processor())
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1]")["executionArn"]
    assert ended(sfn, arn)["status"] == "SUCCEEDED"
    map_run_arn = map_run_of(sfn, arn)
    [child] = children(sfn, map_run_arn)
    described = sfn.describe_state_machine_for_execution(executionArn=child["executionArn"])
    assert described["stateMachineArn"] == child["stateMachineArn"]
    assert (described["mapRunArn"], described["label"]) == (map_run_arn, "kids")
    assert json.loads(described["definition"]) == processor()
    parent = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert "mapRunArn" not in parent and "label" not in parent


def test_a_batch_child_counts_its_items(sfn: Any) -> None:
    """ExecutionListItem's `itemCount`: "The total number of items processed in a child workflow
    execution. This field is returned only if mapRunArn was specified" (API_ExecutionListItem)."""
    _, machine_arn = machine(sfn, {**processor(), "StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}},
                             ItemBatcher={"MaxItemsPerBatch": 2})
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3, 4, 5]")["executionArn"]
    assert ended(sfn, arn)["status"] == "SUCCEEDED"
    listed = children(sfn, map_run_of(sfn, arn))
    assert sorted(child["itemCount"] for child in listed) == [1, 2, 2]
    assert "itemCount" not in sfn.list_executions(stateMachineArn=machine_arn)["executions"][0]


def test_redriving_a_stopped_parent_redrives_its_aborted_children(live: Any) -> None:
    """"Redriving Map Runs": the parent's redrive redrives the Map Run's unsuccessful children
    (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html): the same
    executions, their redriveCount 1, each with ExecutionRedriven in its own history."""
    _, machine_arn = machine(live, processor(wait=3600), MaxConcurrency=2)
    arn = live.start_execution(stateMachineArn=machine_arn, input="[1, 2]")["executionArn"]
    map_run_arn = map_run_of(live, arn)
    wait_for(lambda: len(children(live, map_run_arn, statusFilter="RUNNING")) == 2)
    live.stop_execution(executionArn=arn)
    assert ended(live, arn)["status"] == "ABORTED"
    before = {child["executionArn"] for child in children(live, map_run_arn)}
    live.redrive_execution(executionArn=arn)
    wait_for(lambda: len(children(live, map_run_arn, statusFilter="RUNNING")) == 2)
    after = children(live, map_run_arn)
    assert {child["executionArn"] for child in after} == before
    assert [child.get("redriveCount") for child in after] == [1, 1]
    assert types(live, after[0]["executionArn"])[-2:] == ["ExecutionRedriven", "WaitStateEntered"]
    assert live.describe_map_run(mapRunArn=map_run_arn)["redriveCount"] == 1
    live.stop_execution(executionArn=arn)
    assert ended(live, arn)["status"] == "ABORTED"


def test_a_distributed_map_inside_a_child_starts_grandchildren(sfn: Any) -> None:
    """A child's ItemProcessor may hold a Distributed Map of its own: its Map Run belongs to the
    child execution (ListMapRuns of the child), its children are executions too."""
    grandchild = {**processor(), "States": {"Double": {"Type": "Pass", "End": True, "Parameters": {
        "n.$": "$", "role.$": "$$.Execution.RoleArn"}}}}
    inner = {"Type": "Map", "Label": "inner", "ItemProcessor": grandchild, "End": True}
    outer = {**processor(), "StartAt": "Inner", "States": {"Inner": inner}}
    name, machine_arn = machine(sfn, outer)
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[[1, 2], [3]]")["executionArn"]
    described = ended(sfn, arn)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == [[{"n": 1, "role": ROLE}, {"n": 2, "role": ROLE}],
                                               [{"n": 3, "role": ROLE}]]
    grandchildren = []
    for child in children(sfn, map_run_of(sfn, arn)):
        [inner_run] = sfn.list_map_runs(executionArn=child["executionArn"])["mapRuns"]
        grandchildren += children(sfn, inner_run["mapRunArn"])
    assert len(grandchildren) == 3 and {g["status"] for g in grandchildren} == {"SUCCEEDED"}
    assert {g["stateMachineArn"].split(":stateMachine:")[1] for g in grandchildren} == {f"{name}/kids/inner"}
    assert sfn.describe_state_machine_for_execution(
        executionArn=grandchildren[0]["executionArn"])["roleArn"] == ROLE


def _counts_of(listed: list[dict[str, Any]]) -> dict[str, int]:
    """The children's own statuses as DescribeMapRun's executionCounts name them."""
    names = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut", "ABORTED": "aborted",
             "RUNNING": "running"}
    counts = dict.fromkeys(names.values(), 0)
    for child in listed:
        counts[names[child["status"]]] += 1
    return counts


@pytest.mark.parametrize("kind", ["STANDARD", "EXPRESS"])
def test_a_failed_map_run_leaves_no_child_running(sfn: Any, kind: str) -> None:
    """A Map Run that fails (its tolerated failures exceeded while MaxConcurrency children run)
    stops every child still running: `aborted` counts the children "stopped ... by Step
    Functions because the Map Run failed"
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunExecutionCounts.html).
    None stays RUNNING, each aborted one's history ends with ExecutionAborted, and the counts are
    the children's own statuses. Children ending as another is being started is the case that
    used to leave one RUNNING with only its ExecutionStarted."""
    states = {"Hold": {"Type": "Wait", "Seconds": 0, "Next": "Check"},
              "Check": {"Type": "Choice", "Choices": [{"Variable": "$.f", "BooleanEquals": True, "Next": "Boom"}],
                        "Default": "Done"},
              "Boom": {"Type": "Fail", "Error": "Boom"}, "Done": {"Type": "Pass", "End": True}}
    item_processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind}, "StartAt": "Hold",
                      "States": states}
    _, machine_arn = machine(sfn, item_processor, MaxConcurrency=2, ToleratedFailureCount=2)
    items = json.dumps([{"f": index in (1, 3, 5, 7)} for index in range(10)])
    for _ in range(3):
        arn = sfn.start_execution(stateMachineArn=machine_arn, input=items)["executionArn"]
        described = ended(sfn, arn)
        assert (described["status"], described["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
        map_run_arn = map_run_of(sfn, arn)
        listed = children(sfn, map_run_arn)
        assert [child for child in listed if child["status"] == "RUNNING"] == []
        if kind == "STANDARD":
            for child in listed:
                if child["status"] == "ABORTED":
                    assert types(sfn, child["executionArn"])[-1] == "ExecutionAborted"
        run = sfn.describe_map_run(mapRunArn=map_run_arn)
        counts = run["executionCounts"]
        assert {key: counts[key] for key in _counts_of(listed)} == _counts_of(listed)
        assert counts["pending"] == 10 - len(listed) and run["status"] == "FAILED"


def test_map_run_counts_are_the_childrens_statuses(sfn: Any) -> None:
    """DescribeMapRun's executionCounts and itemCounts count the children as they ended
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html): a
    child that ended before the Map Run stopped it keeps its own status, not `aborted`."""
    _, machine_arn = machine(sfn, processor(fail_on=0))
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps([index % 2 for index in range(30)]))[
        "executionArn"]
    assert ended(sfn, arn)["status"] == "FAILED"
    map_run_arn = map_run_of(sfn, arn)
    listed = children(sfn, map_run_arn)
    run = sfn.describe_map_run(mapRunArn=map_run_arn)
    expected = _counts_of(listed)
    for counts in (run["executionCounts"], run["itemCounts"]):
        assert {key: counts[key] for key in expected} == expected
        assert counts["pending"] == 30 - len(listed)


@pytest.mark.parametrize(("percentage", "items", "failing"), [(33.3, 3, 1), (5, 10, 1), (10, 10, 2)])
def test_an_exceeded_percentage_fails_with_the_threshold_error(
        sfn: Any, percentage: float, items: int, failing: int) -> None:
    """"Step Functions returns a States.ExceedToleratedFailureThreshold error when the Map Run
    fails because the specified threshold is exceeded"
    (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html), also when
    the percentage of these items tolerates none (33.3 % of 3, 5 % of 10): a Catch on that error
    must see it, not the child's own."""
    _, machine_arn = machine(sfn, processor(fail_on=0), ToleratedFailurePercentage=percentage)
    given = json.dumps([0] * failing + [1] * (items - failing))
    described = ended(sfn, sfn.start_execution(stateMachineArn=machine_arn, input=given)["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_without_a_declared_tolerance_the_child_error_fails_the_map(sfn: Any) -> None:
    """No tolerated failure threshold: the Map Run fails with the child's error."""
    _, machine_arn = machine(sfn, processor(fail_on=0))
    described = ended(sfn, sfn.start_execution(stateMachineArn=machine_arn, input="[1, 0]")["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "Boom")


def test_a_failed_child_of_a_succeeded_map_run_is_not_redrivable(sfn: Any) -> None:
    """For a child, redriveStatus "indicates whether or not the Map Run can redrive child workflow
    executions" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
    a Map Run that SUCCEEDED, its failures tolerated, redrives nothing, and its parent is not
    redrivable either."""
    _, machine_arn = machine(sfn, processor(fail_on=2), ToleratedFailureCount=1)
    arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2, 3]")["executionArn"]
    assert ended(sfn, arn)["status"] == "SUCCEEDED"
    [failed] = children(sfn, map_run_of(sfn, arn), statusFilter="FAILED")
    described = sfn.describe_execution(executionArn=failed["executionArn"])
    assert described["redriveStatus"] == "NOT_REDRIVABLE" and "SUCCEEDED" in described["redriveStatusReason"]
    assert sfn.describe_execution(executionArn=arn)["redriveStatus"] == "NOT_REDRIVABLE"
