"""ResultWriter against moto's S3 server: AWS's layout, WriterConfig, the state's result.

AWS developer guide, "ResultWriter (Map)":
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
The state's result shape is recorded in the conformance case test_map_state_result_writer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_engine.distributed import names
from asl_engine.distributed.s3 import Boto3Store
from asl_engine.distributed.writer import ChildResult, transform, write, writer_spec

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:csv"
RUN = names.map_run_arn(MACHINE, "Map", "ad9b5f27-090b-3ac6-9beb-243cd77144a7")


def _child(index: int, status: str = "SUCCEEDED", output: Any = None) -> ChildResult:
    failed = status != "SUCCEEDED"
    return ChildResult(
        execution_arn=names.child_execution_arn(RUN, f"child-{index}"), name=f"child-{index}",
        state_machine_arn=names.child_machine_arn(RUN), status=status, input={"i": index},
        output=None if failed else output, error="Boom" if failed else None, cause="it broke" if failed else None,
        start_date="2026-11-30T10:00:00.000Z", stop_date="2026-11-30T10:00:01.000Z",
    )


def test_arns_as_aws_forms_them() -> None:
    assert RUN == ("arn:aws:states:us-east-1:123456789012:mapRun:csv/Map:"
                   "ad9b5f27-090b-3ac6-9beb-243cd77144a7")
    assert names.child_machine_arn(RUN) == "arn:aws:states:us-east-1:123456789012:stateMachine:csv/Map"
    assert names.child_execution_arn(RUN, "c1") == "arn:aws:states:us-east-1:123456789012:execution:csv/Map:c1"
    assert names.child_execution_arn(RUN, "c1", express=True).startswith(
        "arn:aws:states:us-east-1:123456789012:express:csv/Map:c1:")


def test_export_layout_and_result(s3: Any, bucket: str, store: Boto3Store) -> None:
    children = [_child(0, output={"ok": 0}), _child(1, "FAILED"), _child(2, output={"ok": 2})]
    spec = writer_spec({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {}})
    result = write(store, {"Bucket": bucket, "Prefix": "jobs"}, RUN, children, spec)
    folder = "jobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7"
    assert result == {"MapRunArn": RUN, "ResultWriterDetails": {"Bucket": bucket, "Key": f"{folder}/manifest.json"}}
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}/manifest.json")["Body"].read())
    assert manifest["DestinationBucket"] == bucket and manifest["MapRunArn"] == RUN
    files = manifest["ResultFiles"]
    assert [entry["Key"] for entry in files["SUCCEEDED"]] == [f"{folder}/SUCCEEDED_0.json"]
    assert [entry["Key"] for entry in files["FAILED"]] == [f"{folder}/FAILED_0.json"]
    assert files["PENDING"] == []
    succeeded = s3.get_object(Bucket=bucket, Key=f"{folder}/SUCCEEDED_0.json")["Body"].read()
    assert files["SUCCEEDED"][0]["Size"] == len(succeeded)
    records = json.loads(succeeded)
    assert [record["Name"] for record in records] == ["child-0", "child-2"]  # NONE: execution metadata
    assert records[0]["Output"] == '{"ok":0}' and records[0]["Input"] == '{"i":0}'
    assert records[0]["Status"] == "SUCCEEDED" and records[0]["RedriveStatus"] == "NOT_REDRIVABLE"
    failed = json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}/FAILED_0.json")["Body"].read())
    assert failed[0]["Error"] == "Boom" and failed[0]["Cause"] == "it broke" and "Output" not in failed[0]


def test_jsonl_compact_export(s3: Any, bucket: str, store: Boto3Store) -> None:
    spec = writer_spec({"Resource": "arn:aws:states:::s3:putObject",
                        "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}})
    write(store, {"Bucket": bucket}, RUN, [_child(0, output=[1]), _child(1, output={"b": 2})], spec)
    body = s3.get_object(Bucket=bucket, Key="ad9b5f27-090b-3ac6-9beb-243cd77144a7/SUCCEEDED_0.json")["Body"].read()
    assert body == b'[1]\n{"b":2}\n'


@pytest.mark.parametrize("transformation, expected", [
    ("COMPACT", [[1, 2], {"b": 3}]),
    ("FLATTEN", [1, 2, {"b": 3}]),
])
def test_transformations(transformation: str, expected: list[Any]) -> None:
    assert transform([_child(0, output=[1, 2]), _child(1, output={"b": 3})], transformation) == expected


def test_a_failed_child_is_always_written_whole() -> None:
    assert transform([_child(0, "FAILED")], "COMPACT")[0]["Error"] == "Boom"


def test_defaults() -> None:
    assert writer_spec(None).transformation == "COMPACT"
    assert writer_spec({"Resource": "arn:aws:states:::s3:putObject"}).transformation == "NONE"
    assert writer_spec({"WriterConfig": {"OutputType": "JSON"}}).transformation == "COMPACT"
