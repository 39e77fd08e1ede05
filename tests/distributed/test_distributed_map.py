"""A Distributed Map reading from, batching and writing to S3 (moto's server), end to end through
the engine: what the user sees is the execution's output and error, and the objects in S3.

AWS developer guide: "ItemReader (Map)" (input-output-itemreader.html), "ItemBatcher (Map)"
(input-output-itembatcher.html), "ResultWriter (Map)" (input-output-resultwriter.html), under
https://docs.aws.amazon.com/step-functions/latest/dg/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from asl_engine.testing import Environment

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def dmap(processor: dict[str, Any] | None = None, language: str | None = None, **fields: Any) -> dict[str, Any]:
    state = {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                              **(processor or PASS)}, "End": True, **fields}
    return {**({"QueryLanguage": language} if language else {}), "StartAt": "M", "States": {"M": state}}


def run(engine: Environment, definition: dict[str, Any], given: Any = None) -> Any:
    engine.create("dm", definition)
    return engine.start("dm", given).wait()


def test_csv_rows_in_batches(engine: Environment, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="rows.csv", Body=b"id,qty\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(5)))
    definition = dmap(
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "rows.csv"}},
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"source.$": "$.bucket"}})
    execution = run(engine, definition, {"bucket": bucket})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [
        {"BatchInput": {"source": bucket}, "Items": [{"id": "0", "qty": "0"}, {"id": "1", "qty": "1"}]},
        {"BatchInput": {"source": bucket}, "Items": [{"id": "2", "qty": "2"}, {"id": "3", "qty": "3"}]},
        {"BatchInput": {"source": bucket}, "Items": [{"id": "4", "qty": "4"}]},
    ]


def test_paths_given_headers_and_a_delimiter(engine: Environment, s3: Any, bucket: str) -> None:
    """Every limit read from the input: MaxItemsPath, MaxItemsPerBatchPath, MaxInputBytesPerBatchPath."""
    s3.put_object(Bucket=bucket, Key="rows.psv", Body=b"".join(b"%d|x\n" % i for i in range(10)))
    definition = dmap(
        ItemReader={"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": bucket, "Key": "rows.psv"},
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["n", "tag"],
                                     "CSVDelimiter": "PIPE", "MaxItemsPath": "$.limits.items"}},
        ItemBatcher={"MaxItemsPerBatchPath": "$.limits.perBatch", "MaxInputBytesPerBatchPath": "$.limits.bytes"})
    execution = run(engine, definition, {"limits": {"items": 7, "perBatch": 3, "bytes": 1024}})
    assert execution.status == "SUCCEEDED", execution.cause
    assert [[row["n"] for row in batch["Items"]] for batch in execution.output] == [
        ["0", "1", "2"], ["3", "4", "5"], ["6"]]
    assert execution.output[0]["Items"][0] == {"n": "0", "tag": "x"}


def test_bytes_per_batch(engine: Environment, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="words.jsonl", Body=b"".join(b'"%s"\n' % (b"w" * 8) for _ in range(6)))
    definition = dmap(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                                  "Parameters": {"Bucket": bucket, "Key": "words.jsonl"}},
                      ItemBatcher={"MaxInputBytesPerBatch": 36})  # {"Items":[]} and two 10-byte words and a comma
    execution = run(engine, definition)
    assert execution.status == "SUCCEEDED", execution.cause
    assert [len(batch["Items"]) for batch in execution.output] == [2, 2, 2]


def test_jsonata_arguments_and_max_items(engine: Environment, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="data.json", Body=json.dumps([10, 20, 30, 40]))
    definition = dmap(
        language="JSONata",
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.n %}"},
                    "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "data.json"}},
        ItemSelector={"doubled": "{% $states.context.Map.Item.Value * 2 %}"})
    execution = run(engine, definition, {"bucket": bucket, "n": 3})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [{"doubled": 20}, {"doubled": 40}, {"doubled": 60}]


def test_list_objects(engine: Environment, s3: Any, bucket: str) -> None:
    for key in ("in/a", "in/b", "other"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"12")
    definition = dmap(ItemReader={"Resource": "arn:aws:states:::s3:listObjectsV2",
                                  "Parameters": {"Bucket": bucket, "Prefix": "in/"}},
                      ItemSelector={"key.$": "$$.Map.Item.Value.Key", "size.$": "$$.Map.Item.Value.Size"})
    execution = run(engine, definition)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [{"key": "in/a", "size": 2}, {"key": "in/b", "size": 2}]


def test_result_writer_exports_and_returns_the_manifest(engine: Environment, s3: Any, bucket: str) -> None:
    """The state's result as recorded on AWS (conformance case test_map_state_result_writer)."""
    definition = dmap(Label="TestMap", ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                                     "Parameters": {"Bucket": bucket, "Prefix": "mapJobs"}})
    execution = run(engine, definition, ["Hello", "World"])
    assert execution.status == "SUCCEEDED", execution.cause
    output = execution.output
    run_id = output["MapRunArn"].rsplit(":", 1)[1]
    assert output["MapRunArn"].startswith("arn:aws:states:us-east-1:123456789012:mapRun:dm/TestMap:")
    assert output["ResultWriterDetails"] == {"Bucket": bucket, "Key": f"mapJobs/{run_id}/manifest.json"}
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"mapJobs/{run_id}/manifest.json")["Body"].read())
    [succeeded] = manifest["ResultFiles"]["SUCCEEDED"]
    records = json.loads(s3.get_object(Bucket=bucket, Key=succeeded["Key"])["Body"].read())
    assert [(record["Input"], record["Output"], record["Status"]) for record in records] == [
        ('"Hello"', '"Hello"', "SUCCEEDED"), ('"World"', '"World"', "SUCCEEDED")]
    assert [event["type"] for event in execution.events if event["type"].startswith("MapRun")] == [
        "MapRunStarted", "MapRunSucceeded"]


def test_writer_config_alone_shapes_the_output(engine: Environment) -> None:
    definition = dmap(ResultWriter={"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}})
    execution = run(engine, definition, [[1, 2], [3], 4])
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [1, 2, 3, 4]


def test_a_missing_object_fails_the_map_with_item_reader_failed(engine: Environment, bucket: str) -> None:
    definition = dmap(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                                  "Parameters": {"Bucket": bucket, "Key": "absent.json"}})
    execution = run(engine, definition)
    assert (execution.status, execution.error) == ("FAILED", "States.ItemReaderFailed")
    assert "Status Code: 404" in (execution.cause or "")


def test_parquet_is_refused_at_creation(engine: Environment) -> None:
    definition = dmap(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"},
                                  "Parameters": {"Bucket": "b", "Key": "k.parquet"}})
    with pytest.raises(Exception) as refusal:
        engine.create("dm", definition)
    assert "PARQUET" in str(refusal.value) and "UNSUPPORTED_FEATURE" in str(refusal.value)


def test_without_an_s3_endpoint_the_cause_says_what_to_set(asl: Environment) -> None:
    definition = dmap(ItemReader={"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"}})
    execution = run(asl, definition)
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "Set S3_ENDPOINT or AWS_ENDPOINT_URL" in (execution.cause or "")


FAIL_ON_SEVEN = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.Items[0]", "NumericEquals": 6, "Next": "Boom"}],
              "Default": "Done"},
    "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "a bad batch"},
    "Done": {"Type": "Succeed"}}}


@pytest.mark.parametrize("tolerated, status", [(2, "FAILED"), (3, "SUCCEEDED")])
def test_tolerated_failures_count_the_items_of_a_failed_batch(engine: Environment, tolerated: int,
                                                               status: str) -> None:
    """AWS counts failed items, not children (maprun-fail-threshold.html): the batch [6, 7, 8]
    failing is three failed items, over a ToleratedFailureCount of 2."""
    definition = dmap(FAIL_ON_SEVEN, ItemBatcher={"MaxItemsPerBatch": 3}, ToleratedFailureCount=tolerated)
    execution = run(engine, definition, list(range(10)))
    assert execution.status == status, execution.cause
    if status == "FAILED":
        assert execution.error == "States.ExceedToleratedFailureThreshold"
    else:
        assert execution.output[2] == {"Error": "Boom", "Cause": "a bad batch"}


def test_describe_map_run_counts_items_and_children_apart(engine: Environment) -> None:
    """API_DescribeMapRun: itemCounts counts items, executionCounts child executions; with an
    ItemBatcher ten items are four children (3, 3, 3, 1), the failed batch three failed items."""
    definition = dmap(FAIL_ON_SEVEN, ItemBatcher={"MaxItemsPerBatch": 3}, ToleratedFailureCount=3)
    execution = run(engine, definition, list(range(10)))
    assert execution.status == "SUCCEEDED", execution.cause
    [started] = [event for event in execution.events if event["type"] == "MapRunStarted"]
    described = engine.client.describe_map_run(mapRunArn=started["mapRunStartedEventDetails"]["mapRunArn"])
    items, children = described["itemCounts"], described["executionCounts"]
    assert (items["total"], items["succeeded"], items["failed"], items["pending"]) == (10, 7, 3, 0)
    assert (children["total"], children["succeeded"], children["failed"], children["pending"]) == (4, 3, 1, 0)


def test_a_failed_map_run_still_exports_failed_and_pending_children(engine: Environment, s3: Any,
                                                                     bucket: str) -> None:
    """ResultWriter of a Map Run that fails: FAILED_0.json and PENDING_0.json beside
    SUCCEEDED_0.json, listed in the manifest
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html)."""
    processor = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Boom"}],
                  "Default": "Done"},
        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "item 2"},
        "Done": {"Type": "Pass", "End": True}}}
    definition = dmap(processor, MaxConcurrency=1, Label="L",
                      ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                    "Parameters": {"Bucket": bucket, "Prefix": "out"}})
    execution = run(engine, definition, [1, 2, 3, 4])
    assert (execution.status, execution.error) == ("FAILED", "Boom")
    map_run_arn = next(event["mapRunStartedEventDetails"]["mapRunArn"] for event in execution.events
                       if event["type"] == "MapRunStarted")
    folder = f"out/{map_run_arn.rsplit(':', 1)[1]}"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}/manifest.json")["Body"].read())
    assert {status: [entry["Key"] for entry in files] for status, files in manifest["ResultFiles"].items()} == {
        "SUCCEEDED": [f"{folder}/SUCCEEDED_0.json"], "FAILED": [f"{folder}/FAILED_0.json"],
        "PENDING": [f"{folder}/PENDING_0.json"]}

    def records(status: str) -> list[Any]:
        return json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}/{status}_0.json")["Body"].read())

    assert [(r["Input"], r["Status"]) for r in records("SUCCEEDED")] == [("1", "SUCCEEDED")]
    [failed] = records("FAILED")
    assert (failed["Input"], failed["Status"], failed["Error"], failed["Cause"]) == ("2", "FAILED", "Boom", "item 2")
    assert failed["ExecutionArn"].split(":execution:")[1].startswith("dm/L:")
    assert [(r["Input"], r["Status"]) for r in records("PENDING")] == [("3", "PENDING"), ("4", "PENDING")]
    # resultsWritten: the children whose results were exported (not the pending ones), API_MapRunItemCounts
    assert engine.client.describe_map_run(mapRunArn=map_run_arn)["itemCounts"]["resultsWritten"] == 2


def test_results_written_counts_items_and_children_apart(engine: Environment, s3: Any, bucket: str) -> None:
    definition = dmap(ItemBatcher={"MaxItemsPerBatch": 2},
                      ResultWriter={"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": bucket}})
    execution = run(engine, definition, [1, 2, 3, 4, 5])
    assert execution.status == "SUCCEEDED", execution.cause
    described = engine.client.describe_map_run(mapRunArn=execution.output["MapRunArn"])
    assert (described["itemCounts"]["resultsWritten"], described["executionCounts"]["resultsWritten"]) == (5, 3)


def test_a_result_writer_failure_fails_the_map_run(engine: Environment) -> None:
    """ResultWriter cannot export (no such bucket): the execution fails with
    States.ResultWriterFailed and so does its Map Run: DescribeMapRun FAILED with a stopDate, the
    history MapRunFailed and MapStateFailed, and UpdateMapRun refuses it as completed
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html,
    https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html)."""
    definition = dmap(ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                    "Parameters": {"Bucket": "no-such-bucket", "Prefix": "out"}})
    execution = run(engine, definition, [1, 2, 3])
    assert (execution.status, execution.error) == ("FAILED", "States.ResultWriterFailed")
    types = [event["type"] for event in execution.events]
    assert types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    failed = next(event for event in execution.events if event["type"] == "MapRunFailed")
    assert failed["mapRunFailedEventDetails"]["error"] == "States.ResultWriterFailed"
    sfn = engine.client
    [listed] = sfn.list_map_runs(executionArn=execution.arn)["mapRuns"]
    described = sfn.describe_map_run(mapRunArn=listed["mapRunArn"])
    assert described["status"] == "FAILED" and "stopDate" in described and "stopDate" in listed
    assert described["executionCounts"]["succeeded"] == 3
    with pytest.raises(ClientError) as refused:
        sfn.update_map_run(mapRunArn=listed["mapRunArn"], maxConcurrency=5)
    assert refused.value.response["reason"] == "CANNOT_UPDATE_COMPLETED_MAP_RUN"


def test_the_guides_csv_example(engine: Environment, s3: Any, bucket: str) -> None:
    """The example of https://docs.aws.amazon.com/step-functions/latest/dg/example-csv-parse-dist-map.html,
    end to end: its row, its state machine (ItemSelector with States.StringToJson), its output."""
    s3.put_object(Bucket=bucket, Key="myCSVInput.csv", Body=(
        'abc,123,"This string contains commas, a double quotation marks (""), and a newline (\n)",'
        '{""MyKey"":""MyValue""},"[1,2,3]"\n').encode())
    definition = dmap(
        Label="Map", MaxConcurrency=1000,
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN",
                                     "CSVHeaders": ["MyLetters", "MyNumbers", "MyString", "MyObject", "MyArray"]},
                    "Parameters": {"Bucket": bucket, "Key": "myCSVInput.csv"}},
        ItemSelector={"MyLetters.$": "$$.Map.Item.Value.MyLetters",
                      "MyNumbers.$": "States.StringToJson($$.Map.Item.Value.MyNumbers)",
                      "MyString.$": "$$.Map.Item.Value.MyString",
                      "MyObject.$": "States.StringToJson($$.Map.Item.Value.MyObject)",
                      "MyArray.$": "States.StringToJson($$.Map.Item.Value.MyArray)"})
    execution = run(engine, definition)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [{
        "MyLetters": "abc", "MyNumbers": 123,
        "MyString": 'This string contains commas, a double quotation marks ("), and a newline (\n)',
        "MyObject": {"MyKey": "MyValue"}, "MyArray": [1, 2, 3]}]
