"""RedriveExecution through boto3 against a real server.

AWS: https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
(a Standard execution that did not succeed, within 14 days of its end, continues "from the
unsuccessful step and uses the same input"; "for workflows that include an Inline Map or Parallel
state, RedriveExecution ... redrives only the iterations and branches that failed or aborted";
Express is not supported; a clientToken answers again for the last 10 redrives, for 15 minutes),
https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html (the state machine's
TimeoutSeconds counts again from the redrive), API_DescribeExecution (redriveCount, redriveDate,
redriveStatus, redriveStatusReason), API_ListExecutions (redriveFilter), API_HistoryEvent
(ExecutionRedriven, executionRedrivenEventDetails.redriveCount; MapRunRedriven), and the context
object (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html:
`$$.Execution.RedriveCount`, `$$.Execution.RedriveTime`).

The Task states call a local Lambda handler (`flaky`) that fails for the keys the test marks
broken: each call is counted, so a state or an iteration that ran again shows as a second call.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError

from asl_engine.api.app import create_app
from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig
from postgres_server import fresh_db
from serving import ServerThread, boto_client
from sfn_support import PASS, ROLE, WAIT_LONG, create, error_of, unique, wait_done

FLAKY = "arn:aws:lambda:us-east-1:123456789012:function:flaky"
CALLS: list[str] = []  # the key of every call of `flaky`
BROKEN: set[str] = set()


def flaky(event: Any, context: Any) -> Any:
    """The outside world: a function that fails for a key until the test mends it."""
    CALLS.append(event["key"])
    if event["key"] in BROKEN:
        raise RuntimeError(f"{event['key']} is broken")
    return {"done": event["key"]}


def calls(key: str) -> int:
    return CALLS.count(key)


@pytest.fixture(scope="module")
def sfn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A virtual-clock server whose Lambda calls go to `flaky`."""
    db = fresh_db(tmp_path_factory.mktemp("redrive"), "redrive.db")
    tasks = TaskConfig(lambda_handlers={"flaky": flaky})
    thread = ServerThread(create_app(Config(db_path=str(db), clock="virtual", tasks=tasks)))
    thread.start()
    yield boto_client(thread.url)
    thread.stop()


def task(key_path: str = "$.key", **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FLAKY, "Parameters": {"key.$": key_path}, **fields}


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def failed_then_mended(sfn: Any, definition: dict[str, Any], execution_input: Any, broken: list[str]) -> str:
    """Start an execution that fails on the `broken` keys, wait for its end, mend them."""
    BROKEN.update(broken)
    arn = sfn.start_execution(stateMachineArn=create(sfn, json.dumps(definition)),
                              input=json.dumps(execution_input))["executionArn"]
    assert wait_done(sfn, arn)["status"] == "FAILED"
    BROKEN.difference_update(broken)
    return arn


def test_a_failed_task_reruns_alone_with_its_input_and_fresh_retries(sfn: Any) -> None:
    key = unique("task")
    definition = {"StartAt": "Before", "States": {
        "Before": {"Type": "Pass", "Result": "before", "ResultPath": "$.before", "Next": "Work"},
        "Work": task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                     ResultPath="$.work", Next="After"),
        "After": {"Type": "Pass", "End": True}}}
    BROKEN.add(key)
    arn = sfn.start_execution(stateMachineArn=create(sfn, json.dumps(definition)),
                              input=json.dumps({"key": key}))["executionArn"]
    failed = wait_done(sfn, arn)
    assert (failed["status"], failed["error"], calls(key)) == ("FAILED", "RuntimeError", 2)  # with its retry
    assert (failed["redriveCount"], failed["redriveStatus"]) == (0, "REDRIVABLE")
    assert "redriveStatusReason" not in failed and "redriveDate" not in failed

    # Still broken: the redriven Task has its retry again (two more calls), then fails again.
    first = sfn.redrive_execution(executionArn=arn)["redriveDate"]
    assert wait_done(sfn, arn)["status"] == "FAILED" and calls(key) == 4
    BROKEN.discard(key)
    second = sfn.redrive_execution(executionArn=arn)["redriveDate"]
    described = wait_done(sfn, arn)
    assert described["status"] == "SUCCEEDED" and calls(key) == 5
    assert json.loads(described["output"]) == {"key": key, "before": "before", "work": {"done": key}}
    assert (described["redriveCount"], described["redriveDate"]) == (2, second) and second >= first
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    assert "error" not in described and "cause" not in described

    events = history(sfn, arn)
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert types(events).count("PassStateEntered") == 2  # Before once, After once: Before is not rerun
    redriven = [event for event in events if event["type"] == "ExecutionRedriven"]
    assert [event["executionRedrivenEventDetails"] for event in redriven] == [{"redriveCount": 1},
                                                                              {"redriveCount": 2}]
    for event in redriven:  # right after the execution's end, then the failed state is entered again
        before, after = events[event["id"] - 2], events[event["id"]]
        assert before["type"] == "ExecutionFailed" and event["previousEventId"] == before["id"]
        assert after["type"] == "TaskStateEntered" and after["stateEnteredEventDetails"]["name"] == "Work"
    entered = [event["stateEnteredEventDetails"]["input"] for event in events if event["type"] == "TaskStateEntered"]
    assert len(entered) == 3 and len(set(entered)) == 1  # the same input every time
    assert types(events)[-1] == "ExecutionSucceeded"


def test_a_failed_parallel_reruns_its_failed_branch_only(sfn: Any) -> None:
    good, bad = unique("good"), unique("bad")
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Good", "States": {"Good": task("$.good", End=True)}},
        # The failing branch waits first, so the good one has ended (not been cut short) by then.
        {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 60, "Next": "Bad"},
                                       "Bad": task("$.bad", End=True)}}]}}}
    arn = failed_then_mended(sfn, definition, {"good": good, "bad": bad, "key": "unused"}, [bad])
    assert (calls(good), calls(bad)) == (1, 1)
    sfn.redrive_execution(executionArn=arn)
    described = wait_done(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [{"done": good}, {"done": bad}]
    assert (calls(good), calls(bad)) == (1, 2)  # the branch that succeeded kept its output
    events = types(history(sfn, arn))
    assert events.count("WaitStateEntered") == 1  # the failed branch resumes at its failed state
    assert events.count("ParallelStateEntered") == 1 and events.count("ParallelStateStarted") == 1
    assert events[events.index("ExecutionRedriven"):][-3:] == [
        "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize("mode", ["INLINE", "DISTRIBUTED", "EXPRESS"])
def test_a_failed_map_reruns_its_failed_iterations_only(sfn: Any, mode: str) -> None:
    """A Distributed Map's Map Run is redriven with its parent (MapRunRedriven, the same Map Run
    ARN, its redriveCount on DescribeMapRun), and so is its failed child execution, the others
    keeping their output (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html)."""
    prefix = unique(mode.lower())
    keys = [f"{prefix}-{index}" for index in range(4)]
    processor: dict[str, Any] = {"StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Work"}, "Work": task(End=True)}}
    if mode != "INLINE":  # EXPRESS: Distributed with Express children, which are not recorded
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" if mode == "DISTRIBUTED"
                                        else "EXPRESS"}
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemsPath": "$.items", "ItemProcessor": processor}}}
    items = [{"key": key, "delay": 60 if key == keys[2] else 0} for key in keys]  # the others end first
    arn = failed_then_mended(sfn, definition, {"items": items}, [keys[2]])
    sfn.redrive_execution(executionArn=arn)
    described = wait_done(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [{"done": key} for key in keys]
    assert [calls(key) for key in keys] == [1, 1, 2, 1]
    events = history(sfn, arn)
    assert types(events).count("MapStateStarted") == 1
    if mode == "INLINE":
        assert types(events).count("MapIterationSucceeded") == 4 and types(events).count("MapIterationFailed") == 1
        return
    started = next(event for event in events if event["type"] == "MapRunStarted")
    map_run_arn = started["mapRunStartedEventDetails"]["mapRunArn"]
    redriven = [event for event in events if event["type"] == "MapRunRedriven"]
    assert [event["mapRunRedrivenEventDetails"] for event in redriven] == [
        {"mapRunArn": map_run_arn, "redriveCount": 1}]
    assert types(events).index("ExecutionRedriven") < types(events).index("MapRunRedriven")
    assert types(events)[-4:] == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    map_run = sfn.describe_map_run(mapRunArn=map_run_arn)
    assert (map_run["status"], map_run["redriveCount"]) == ("SUCCEEDED", 1)
    assert map_run["itemCounts"]["succeeded"] == 4 and map_run["itemCounts"]["failed"] == 0
    kids = sfn.list_executions(mapRunArn=map_run_arn)["executions"]
    if mode == "EXPRESS":  # an Express child cannot be redriven: the failed one runs again as a new one
        assert sorted(kid["status"] for kid in kids) == ["FAILED"] + ["SUCCEEDED"] * 4
        return
    assert sorted(kid.get("redriveCount", 0) for kid in kids) == [0, 0, 0, 1]
    assert {kid["status"] for kid in kids} == {"SUCCEEDED"}


def test_nested_branches_rerun_only_where_they_failed(sfn: Any) -> None:
    """A Map whose iterations each run a Parallel: in the failed iteration only the failed branch
    runs again; the other iterations, and the other branch of the failed one, keep their output."""
    prefix = unique("nested")
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Both", "States": {"Both": {
            "Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Left", "States": {"Left": task("$.left", End=True)}},
                {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Right"},
                                               "Right": task("$.right", End=True)}}]}}}}}}
    items = [{"left": f"{prefix}-l{index}", "right": f"{prefix}-r{index}", "delay": 60 if index == 1 else 0}
             for index in range(3)]
    arn = failed_then_mended(sfn, definition, {"items": items}, [f"{prefix}-r1"])
    sfn.redrive_execution(executionArn=arn)
    described = wait_done(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [[{"done": item["left"]}, {"done": item["right"]}] for item in items]
    assert [(calls(item["left"]), calls(item["right"])) for item in items] == [(1, 1), (1, 2), (1, 1)]


def test_a_distributed_map_that_failed_in_a_parallel_branch_redrives_the_same_map_run(sfn: Any) -> None:
    prefix = unique("branch")
    keys = [f"{prefix}-{index}" for index in range(3)]
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Good", "States": {"Good": task("$.good", End=True)}},
        {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": True, "ItemsPath": "$.items", "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Work"},
                                              "Work": task(End=True)}}}}}]}}}
    items = [{"key": key, "delay": 60 if key == keys[1] else 0} for key in keys]
    arn = failed_then_mended(sfn, definition, {"good": prefix, "items": items}, [keys[1]])
    sfn.redrive_execution(executionArn=arn)
    described = wait_done(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [{"done": prefix}, [{"done": key} for key in keys]]
    assert [calls(key) for key in (prefix, *keys)] == [1, 1, 2, 1]
    events = history(sfn, arn)
    started = [event["mapRunStartedEventDetails"]["mapRunArn"] for event in events if event["type"] == "MapRunStarted"]
    redriven = [event["mapRunRedrivenEventDetails"] for event in events if event["type"] == "MapRunRedriven"]
    assert len(started) == 1 and redriven == [{"mapRunArn": started[0], "redriveCount": 1}]
    assert sfn.describe_map_run(mapRunArn=started[0])["status"] == "SUCCEEDED"


def test_a_timed_out_execution_gets_its_timeout_again_and_sees_its_redrive_in_the_context(sfn: Any) -> None:
    """TIMED_OUT at StartTime + 10 s inside a Wait until StartTime + 15 s; redriven, the Wait is
    entered again and the 10 s count from the redrive, so it ends."""
    definition = {"QueryLanguage": "JSONata", "TimeoutSeconds": 10, "StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "Next": "Show",
                 "Timestamp": "{% $fromMillis($toMillis($states.context.Execution.StartTime) + 15000) %}"},
        "Show": {"Type": "Pass", "End": True, "Output": {
            "count": "{% $states.context.Execution.RedriveCount %}",
            "time": "{% $states.context.Execution.RedriveTime %}"}}}}
    arn = sfn.start_execution(stateMachineArn=create(sfn, json.dumps(definition)))["executionArn"]
    timed_out = wait_done(sfn, arn)
    assert (timed_out["status"], timed_out["redriveStatus"]) == ("TIMED_OUT", "REDRIVABLE")
    redrive_date = sfn.redrive_execution(executionArn=arn)["redriveDate"]
    described = wait_done(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["count"] == 1
    shown = datetime.fromisoformat(output["time"].replace("Z", "+00:00"))  # ISO 8601 in milliseconds
    assert abs((shown - redrive_date).total_seconds()) < 0.001
    events = types(history(sfn, arn))
    assert events.count("WaitStateEntered") == 2 and "ExecutionTimedOut" in events


def test_an_aborted_execution_is_redriven_and_a_running_one_is_not(live: Any) -> None:
    arn = live.start_execution(stateMachineArn=create(live, WAIT_LONG))["executionArn"]
    with pytest.raises(ClientError) as running:
        live.redrive_execution(executionArn=arn)
    assert error_of(running) == ("ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven")
    described = live.describe_execution(executionArn=arn)
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven")
    live.stop_execution(executionArn=arn)
    live.redrive_execution(executionArn=arn)
    described = live.describe_execution(executionArn=arn)
    assert (described["status"], described["redriveCount"]) == ("RUNNING", 1)
    assert "stopDate" not in described
    events = types(history(live, arn))
    assert events[-3:] == ["ExecutionAborted", "ExecutionRedriven", "WaitStateEntered"]
    live.stop_execution(executionArn=arn)  # and again: the same execution, a second redrive
    live.redrive_execution(executionArn=arn)
    assert live.describe_execution(executionArn=arn)["redriveCount"] == 2
    live.stop_execution(executionArn=arn)


def test_a_client_token_answers_the_same_redrive_again(sfn: Any) -> None:
    key = unique("token")
    arn = failed_then_mended(sfn, {"StartAt": "Work", "States": {"Work": task(End=True)}}, {"key": key}, [key])
    token = uuid.uuid4().hex
    first = sfn.redrive_execution(executionArn=arn, clientToken=token)["redriveDate"]
    assert wait_done(sfn, arn)["status"] == "SUCCEEDED"
    again = sfn.redrive_execution(executionArn=arn, clientToken=token)["redriveDate"]
    assert again == first and calls(key) == 2
    assert sfn.describe_execution(executionArn=arn)["redriveCount"] == 1
    with pytest.raises(ClientError) as other:  # a new token is a new redrive: refused, it succeeded
        sfn.redrive_execution(executionArn=arn, clientToken=uuid.uuid4().hex)
    assert error_of(other) == ("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven")
    with pytest.raises(ClientError) as long_token:
        sfn.redrive_execution(executionArn=arn, clientToken="x" * 65)
    assert error_of(long_token)[0] == "ValidationException"


def test_list_executions_filters_and_shows_redrives(sfn: Any) -> None:
    key = unique("list")
    definition = json.dumps({"StartAt": "Work", "States": {"Work": task(End=True)}})
    machine = create(sfn, definition)
    BROKEN.add(key)
    arns = [sfn.start_execution(stateMachineArn=machine, input=json.dumps({"key": key}))["executionArn"]
            for _ in range(2)]
    for arn in arns:
        wait_done(sfn, arn)
    BROKEN.discard(key)
    date = sfn.redrive_execution(executionArn=arns[0])["redriveDate"]
    wait_done(sfn, arns[0])
    redriven = sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")["executions"]
    assert [(item["executionArn"], item["redriveCount"], item["redriveDate"]) for item in redriven] == [
        (arns[0], 1, date)]
    not_redriven = sfn.list_executions(stateMachineArn=machine, redriveFilter="NOT_REDRIVEN")["executions"]
    # redriveCount 0 is listed too (recorded against AWS: LocalStack's ListExecutions snapshots)
    assert [(item["executionArn"], item["redriveCount"]) for item in not_redriven] == [(arns[1], 0)]
    assert "redriveDate" not in not_redriven[0]
    both = sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED", redriveFilter="REDRIVEN")
    assert both["executions"] == []
    with pytest.raises(ClientError) as bad:
        sfn.list_executions(stateMachineArn=machine, redriveFilter="SOMETIMES")
    assert error_of(bad)[0] == "ValidationException"


def test_refusals(sfn: Any) -> None:
    succeeded = sfn.start_execution(stateMachineArn=create(sfn, PASS))["executionArn"]
    wait_done(sfn, succeeded)
    with pytest.raises(ClientError) as done:
        sfn.redrive_execution(executionArn=succeeded)
    assert error_of(done) == ("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven")

    missing = succeeded.rsplit(":", 1)[0] + ":" + unique("missing")
    with pytest.raises(ClientError) as unknown:
        sfn.redrive_execution(executionArn=missing)
    assert error_of(unknown) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")

    with pytest.raises(ClientError) as malformed:
        sfn.redrive_execution(executionArn="not-an-arn")
    assert error_of(malformed)[0] == "InvalidArn"

    express = sfn.create_state_machine(name=unique("express"), definition=PASS, roleArn=ROLE, type="EXPRESS")
    express_arn = sfn.start_execution(stateMachineArn=express["stateMachineArn"])["executionArn"]
    with pytest.raises(ClientError) as express_refused:
        sfn.redrive_execution(executionArn=express_arn)
    assert error_of(express_refused)[0] == "ExecutionNotRedrivable"


def test_an_execution_that_ended_more_than_14_days_ago_is_not_redrivable(sfn: Any) -> None:
    """On the virtual clock, another execution's 15-day Wait moves time past the window."""
    key = unique("old")
    arn = failed_then_mended(sfn, {"StartAt": "Work", "States": {"Work": task(End=True)}}, {"key": key}, [key])
    sleeper = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 15 * 86400, "End": True}}})
    wait_done(sfn, sfn.start_execution(stateMachineArn=create(sfn, sleeper))["executionArn"])
    described = sfn.describe_execution(executionArn=arn)
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE", "Execution redrivable period exceeded")
    with pytest.raises(ClientError) as late:
        sfn.redrive_execution(executionArn=arn)
    assert error_of(late) == ("ExecutionNotRedrivable", "Execution redrivable period exceeded")
    assert calls(key) == 1
