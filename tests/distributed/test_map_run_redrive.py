"""A redriven Map Run as DescribeMapRun and the children show it, through boto3 against a real
server (the `engine` fixture: virtual time that moves only when the test says, S3 on moto).

AWS: "Redriving Map Runs" (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html):
children of a redriven Map Run waiting for their turn are "Pending redrive", and "when a Map Run
has completed its execution or is aborted, the count of child workflow executions in the Pending
redrive state is reset to 0"; a Standard child "can't always be redriven" (its "redrivable period
of 14 days has expired"), and then "the last error or output of the execution is permanent"; the
input of a redriven Map Run is "the same input provided in the original execution attempt" when it
had started its children, "the input in the Amazon S3 bucket" when its ItemReader had failed.
API_MapRunItemCounts and API_MapRunExecutionCounts: `pendingRedrive` ("unsuccessful items in child
workflow executions currently waiting to be redriven") and `failuresNotRedrivable` ("FAILED, ABORTED,
or TIMED_OUT items in child workflow executions that cannot be redriven"). AWS returns both, 0, for
a Map Run never redriven, even one whose failures were tolerated (the DescribeMapRun output in
aws-samples/reinvent2023-api312-ml-workloads-with-aws-step-functions, README.md).

The children's Task calls a local Lambda handler (`flaky`) that fails for the items the test marks
broken, and records every item it is called with.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from asl_engine.testing import Environment

FLAKY = "arn:aws:lambda:us-east-1:123456789012:function:flaky"
REDRIVE_COUNTS = ("failuresNotRedrivable", "pendingRedrive")


@pytest.fixture
def flaky(engine: Environment) -> tuple[list[Any], set[Any]]:
    """(every item `flaky` was called with, the items it fails for)."""
    calls: list[Any] = []
    broken: set[Any] = set()

    def handler(event: Any, context: Any) -> Any:
        calls.append(event["item"])
        if event["item"] in broken:
            raise RuntimeError(f"{event['item']} is broken")
        return {"done": event["item"]}

    engine.lambda_handler("flaky", handler)
    return calls, broken


def work(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FLAKY, "Parameters": {"item.$": "$.item"}, **fields}


def distributed_map(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "Label": "kids", "End": True, "ItemSelector": {"item.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **processor},
        **fields}}}


def map_run_of(engine: Environment, arn: str) -> str:
    [listed] = engine.client.list_map_runs(executionArn=arn)["mapRuns"]
    return str(listed["mapRunArn"])


def counts(engine: Environment, map_run_arn: str, *keys: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The `keys` of itemCounts and of executionCounts."""
    described = engine.client.describe_map_run(mapRunArn=map_run_arn)
    return (tuple(described["itemCounts"][key] for key in keys),
            tuple(described["executionCounts"][key] for key in keys))


def until(check: Any) -> Any:
    """The server runs a redriven execution on its own loop: wait (in real time) for what it does
    before its next timer, which the virtual clock holds until the test moves it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition never held")


def test_a_map_run_never_redriven_shows_both_counts_as_zero(engine: Environment,
                                                             flaky: tuple[list[Any], set[Any]]) -> None:
    _, broken = flaky
    broken.add(2)
    engine.create("dm", distributed_map({"StartAt": "Work", "States": {"Work": work(End=True)}},
                                        ItemsPath="$.items", ToleratedFailureCount=1))
    execution = engine.start("dm", {"items": [1, 2, 3]}).wait()
    assert execution.status == "SUCCEEDED"
    described = engine.client.describe_map_run(mapRunArn=map_run_of(engine, execution.arn))
    for shape in ("itemCounts", "executionCounts"):
        assert described[shape]["failed"] == 1
        assert {key: described[shape][key] for key in REDRIVE_COUNTS} == {"failuresNotRedrivable": 0,
                                                                          "pendingRedrive": 0}


def test_children_pending_redrive_are_counted_until_they_run_and_reset_when_the_map_run_aborts(
        engine: Environment, flaky: tuple[list[Any], set[Any]]) -> None:
    """Items 2 and 3 fail (one tolerated, the second fails the Map Run), item 4 never starts. Each
    redrive puts the failed children pending redrive; one at a time (MaxConcurrency 1), the first
    waits for its Task's retry. Stopping the parent then resets pendingRedrive to 0, the child that
    never ran again counting as it had ended; a last redrive runs them all."""
    calls, broken = flaky
    broken.update({2, 3})
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60, "MaxAttempts": 1}]
    engine.create("dm", distributed_map({"StartAt": "Work", "States": {"Work": work(Retry=retry, End=True)}},
                                        ItemsPath="$.items", MaxConcurrency=1, ToleratedFailureCount=1))
    execution = engine.start("dm", {"items": [1, 2, 3, 4]}).wait()
    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    map_run_arn = map_run_of(engine, execution.arn)
    keys = ("succeeded", "failed", "aborted", "pending", "running", "pendingRedrive", "total")
    assert counts(engine, map_run_arn, *keys) == ((1, 2, 0, 1, 0, 0, 4),) * 2

    engine.client.redrive_execution(executionArn=execution.arn)  # still broken: item 2 fails, waits to retry
    waiting = (1, 0, 0, 1, 1, 1, 4)  # item 2 running again, item 3 pending redrive
    until(lambda: counts(engine, map_run_arn, *keys) == (waiting,) * 2)
    engine.client.stop_execution(executionArn=execution.arn)
    until(lambda: engine.client.describe_map_run(mapRunArn=map_run_arn)["status"] == "ABORTED")
    assert counts(engine, map_run_arn, *keys) == ((1, 1, 1, 1, 0, 0, 4),) * 2  # item 3 failed, as it had ended

    broken.clear()
    engine.client.redrive_execution(executionArn=execution.arn)
    assert execution.wait().status == "SUCCEEDED"
    assert counts(engine, map_run_arn, *keys, "failuresNotRedrivable") == ((4, 0, 0, 0, 0, 0, 4, 0),) * 2
    assert engine.client.describe_map_run(mapRunArn=map_run_arn)["redriveCount"] == 2
    assert calls.count(1) == 1 and calls.count(4) == 1  # item 1 kept its output; item 4 ran once, at the end


def test_batches_pending_redrive_count_their_items_and_themselves_apart(
        engine: Environment, flaky: tuple[list[Any], set[Any]]) -> None:
    """Batches of two: [1, 2] succeeds, [3, 4] and [5, 6] fail (2 items tolerated, then 4 are
    not). Redriven, the first failed batch waits for its retry and the second for its turn:
    itemCounts counts 2 items pending redrive, executionCounts 1 child."""
    _, broken = flaky
    broken.update({3, 5})
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60, "MaxAttempts": 1}]
    first = {"StartAt": "Work", "States": {"Work": {**work(Retry=retry, End=True),
                                                    "Parameters": {"item.$": "$.Items[0].item"}}}}
    engine.create("dm", distributed_map(first, ItemsPath="$.items", MaxConcurrency=1, ToleratedFailureCount=2,
                                        ItemBatcher={"MaxItemsPerBatch": 2}))
    execution = engine.start("dm", {"items": [1, 2, 3, 4, 5, 6]}).wait()
    assert execution.status == "FAILED"
    map_run_arn = map_run_of(engine, execution.arn)
    keys = ("succeeded", "failed", "running", "pendingRedrive", "total")
    assert counts(engine, map_run_arn, *keys) == ((2, 4, 0, 0, 6), (1, 2, 0, 0, 3))

    engine.client.redrive_execution(executionArn=execution.arn)
    until(lambda: counts(engine, map_run_arn, *keys) == ((2, 0, 2, 2, 6), (1, 0, 1, 1, 3)))
    broken.clear()
    assert execution.wait().status == "SUCCEEDED"
    assert counts(engine, map_run_arn, *keys) == ((6, 0, 0, 0, 6), (3, 0, 0, 0, 3))


def test_a_child_past_its_redrivable_period_is_counted_not_redrivable(
        engine: Environment, flaky: tuple[list[Any], set[Any]]) -> None:
    """Item "early" fails at once (tolerated), item "late" fails 15 days later and fails the Map
    Run. Redriven then, the parent is within its 14 days but the early child is not: it stays
    FAILED and counts as failuresNotRedrivable; the late one is redriven and succeeds, so the Map
    Run succeeds with one failure tolerated."""
    calls, broken = flaky
    broken.update({"early", "late"})
    processor = {"StartAt": "Which", "States": {
        "Which": {"Type": "Choice", "Choices": [{"Variable": "$.item", "StringEquals": "late", "Next": "Hold"}],
                  "Default": "Work"},
        "Hold": {"Type": "Wait", "Seconds": 15 * 24 * 3600, "Next": "Work"},
        "Work": work(End=True)}}
    engine.create("dm", distributed_map(processor, ItemsPath="$.items", ToleratedFailureCount=1))
    execution = engine.start("dm", {"items": ["early", "late"]}).wait()
    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    map_run_arn = map_run_of(engine, execution.arn)
    children = {json.loads(child["input"])["item"]: child["executionArn"] for child in (
        engine.client.describe_execution(executionArn=listed["executionArn"])
        for listed in engine.client.list_executions(mapRunArn=map_run_arn)["executions"])}

    broken.clear()
    engine.client.redrive_execution(executionArn=execution.arn)
    assert execution.wait().status == "SUCCEEDED"
    keys = ("succeeded", "failed", "failuresNotRedrivable", "pendingRedrive")
    assert counts(engine, map_run_arn, *keys) == ((1, 1, 1, 0),) * 2
    early = engine.client.describe_execution(executionArn=children["early"])
    assert (early["status"], early.get("redriveCount", 0)) == ("FAILED", 0)
    assert engine.client.describe_execution(executionArn=children["late"])["redriveCount"] == 1
    assert (calls.count("early"), calls.count("late")) == (1, 2)


def reading(bucket: str, **fields: Any) -> dict[str, Any]:
    """A Distributed Map over the JSON array in s3://bucket/items.json, one item at a time."""
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
              "Parameters": {"Bucket": bucket, "Key": "items.json"}}
    return distributed_map({"StartAt": "Work", "States": {"Work": work(End=True)}}, ItemReader=reader,
                           MaxConcurrency=1, **fields)


def test_a_redriven_map_run_uses_the_items_it_read_not_the_object_as_it_is_now(
        engine: Environment, flaky: tuple[list[Any], set[Any]], s3: Any, bucket: str) -> None:
    """The Map Run fails at item "b" ("c" never started); the object then changes. The redrive
    runs "b" and "c" as first read, and the Map Run still has 3 items."""
    calls, broken = flaky
    s3.put_object(Bucket=bucket, Key="items.json", Body=json.dumps(["a", "b", "c"]).encode())
    broken.add("b")
    engine.create("dm", reading(bucket))
    execution = engine.start("dm").wait()
    assert (execution.status, execution.error) == ("FAILED", "RuntimeError")
    s3.put_object(Bucket=bucket, Key="items.json", Body=json.dumps(["x", "y", "z", "w"]).encode())

    broken.clear()
    engine.client.redrive_execution(executionArn=execution.arn)
    assert execution.wait().status == "SUCCEEDED"
    assert execution.output == [{"done": "a"}, {"done": "b"}, {"done": "c"}]
    assert calls == ["a", "b", "b", "c"]
    assert counts(engine, map_run_of(engine, execution.arn), "succeeded", "total") == ((3, 3),) * 2


def test_a_map_run_whose_item_reader_failed_reads_the_object_again(
        engine: Environment, flaky: tuple[list[Any], set[Any]], s3: Any, bucket: str) -> None:
    """No object yet: States.ItemReaderFailed before the Map Run started. Redriven once the object
    is there, it reads it ("uses the input in the Amazon S3 bucket")."""
    calls, _ = flaky
    engine.create("dm", reading(bucket))
    execution = engine.start("dm").wait()
    assert (execution.status, execution.error) == ("FAILED", "States.ItemReaderFailed")
    s3.put_object(Bucket=bucket, Key="items.json", Body=json.dumps(["p", "q"]).encode())
    engine.client.redrive_execution(executionArn=execution.arn)
    assert execution.wait().status == "SUCCEEDED"
    assert execution.output == [{"done": "p"}, {"done": "q"}] and calls == ["p", "q"]
