"""ResultWriter: what a Distributed Map returns, and the results it exports to S3.

AWS developer guide, "ResultWriter (Map)"
(https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html):
- `WriterConfig.Transformation`: NONE (each child as execution metadata: ExecutionArn, Input,
  Output, Status...; the default when exporting without WriterConfig), COMPACT (each child's
  output; the default without ResultWriter), FLATTEN (COMPACT with array outputs spliced into the
  result). A child that did not succeed is always written as NONE writes it.
- `WriterConfig.OutputType`: JSON (an array a file) or JSONL (a value a line).
- With `Resource` `arn:aws:states:::s3:putObject` and `Bucket`/`Prefix`: the children go to
  `<Prefix>/<map run id>/SUCCEEDED_0.json`, `FAILED_0.json` (failed, timed out or aborted),
  `PENDING_0.json` (never started), then `manifest.json` lists them; the state's result is
  `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}` with the manifest's key (recorded:
  test_map_state_result_writer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import RESULT_WRITER_FAILED, StatesError
from ..json_text import to_json
from .names import map_run_id
from .store import ObjectStore, StoreFailure

Json = Any
PUT_OBJECT = "arn:aws:states:::s3:putObject"
TRANSFORMATIONS = ("NONE", "COMPACT", "FLATTEN")
OUTPUT_TYPES = ("JSON", "JSONL")
SUCCEEDED, FAILED, PENDING = "SUCCEEDED", "FAILED", "PENDING"


@dataclass(frozen=True)
class WriterSpec:
    """The static part of a ResultWriter (Parameters/Arguments are the engine's to evaluate)."""

    exports: bool  # Resource is set: results go to S3
    transformation: str
    output_type: str


def writer_spec(result_writer: dict[str, Any] | None) -> WriterSpec:
    """AWS's defaults: COMPACT without a ResultWriter, NONE when exporting without WriterConfig."""
    if result_writer is None:
        return WriterSpec(exports=False, transformation="COMPACT", output_type="JSON")
    exports = "Resource" in result_writer
    config = result_writer.get("WriterConfig") or {}
    return WriterSpec(
        exports=exports,
        transformation=config.get("Transformation", "NONE" if exports and not config else "COMPACT"),
        output_type=config.get("OutputType", "JSON"),
    )


@dataclass(frozen=True)
class ChildResult:
    """One child execution (or batch) as the writer reports it; dates are ISO-8601 text."""

    execution_arn: str
    name: str
    state_machine_arn: str
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or PENDING (never started)
    input: Json
    output: Json = None
    error: str | None = None
    cause: str | None = None
    start_date: str | None = None
    stop_date: str | None = None
    redrive_count: int = 0

    def record(self) -> Json:
        """The child as NONE writes it: the fields DescribeExecution would show."""
        record: dict[str, Json] = {"ExecutionArn": self.execution_arn} if self.execution_arn else {}
        record.update({"Input": to_json(self.input), "InputDetails": {"Included": True}})
        if self.name:  # a PENDING child never started: it has no execution, so no ARN and no name
            record["Name"] = self.name
        if self.status == SUCCEEDED:
            record["Output"] = to_json(self.output)
            record["OutputDetails"] = {"Included": True}
        if self.error is not None:
            record["Error"] = self.error
        if self.cause is not None:
            record["Cause"] = self.cause
        record["RedriveCount"] = self.redrive_count
        if self.status == SUCCEEDED:
            record["RedriveStatus"] = "NOT_REDRIVABLE"
            record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
        elif self.status != PENDING:
            record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
        if self.start_date is not None:
            record["StartDate"] = self.start_date
        record["StateMachineArn"] = self.state_machine_arn
        record["Status"] = self.status
        if self.stop_date is not None:
            record["StopDate"] = self.stop_date
        return record


def transform(children: Iterable[ChildResult], transformation: str) -> list[Json]:
    """The children as the Transformation presents them, in item order."""
    results: list[Json] = []
    for child in children:
        if transformation == "NONE" or child.status != SUCCEEDED:
            results.append(child.record())
        elif transformation == "FLATTEN" and isinstance(child.output, list):
            results.extend(child.output)
        else:
            results.append(child.output)
    return results


def group(status: str) -> str:
    """The result file a child's status goes to."""
    return status if status in (SUCCEEDED, PENDING) else FAILED


def layout(prefix: str, map_run_arn: str, bucket: str, children: list[ChildResult],
           spec: WriterSpec) -> list[tuple[str, bytes]]:
    """(key, body) of every object ResultWriter writes, the manifest last."""
    folder = f"{prefix.rstrip('/')}/{map_run_id(map_run_arn)}" if prefix else map_run_id(map_run_arn)
    files: list[tuple[str, bytes]] = []
    listed: dict[str, list[Json]] = {FAILED: [], PENDING: [], SUCCEEDED: []}
    for status in (SUCCEEDED, FAILED, PENDING):
        chosen = [child for child in children if group(child.status) == status]
        if not chosen:
            continue
        body = _encode(transform(chosen, spec.transformation), spec.output_type)
        key = f"{folder}/{status}_0.json"
        files.append((key, body))
        listed[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed}
    files.append((f"{folder}/manifest.json", to_json(manifest).encode("utf-8")))
    return files


def write(store: ObjectStore, parameters: Json, map_run_arn: str, children: list[ChildResult],
          spec: WriterSpec) -> Json:
    """Export the children and return the state's result. Blocks (S3 calls)."""
    if not isinstance(parameters, dict) or not isinstance(parameters.get("Bucket"), str):
        raise StatesError(RESULT_WRITER_FAILED, "The ResultWriter's Parameters must name a Bucket")
    bucket = parameters["Bucket"]
    files = layout(str(parameters.get("Prefix") or ""), map_run_arn, bucket, children, spec)
    try:
        for key, body in files:
            store.put(bucket, key, body)
    except StoreFailure as exc:
        raise StatesError(RESULT_WRITER_FAILED, str(exc)) from None
    return {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": files[-1][0]}}


def _encode(values: list[Json], output_type: str) -> bytes:
    if output_type == "JSONL":
        return "".join(to_json(value) + "\n" for value in values).encode("utf-8")
    return to_json(values).encode("utf-8")
