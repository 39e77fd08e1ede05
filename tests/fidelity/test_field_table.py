"""Item 8 of issue 15: nothing the definition schema accepts is ignored.

One table: every field schemas/asl.schema.json accepts, and where asl-engine honours it, or that
it is refused with a diagnostic naming the field and the feature. A field added to the schema
without an entry here fails `test_every_schema_field_has_an_entry`. An honoured field must name the
module that implements it and be exercised by a test or a recorded case; a refused one is refused
by CreateStateMachine, UpdateStateMachine and TestState, while ValidateStateMachineDefinition
answers as AWS does (AWS accepts these fields: https://docs.aws.amazon.com/step-functions/latest/dg/
input-output-itemreader.html, input-output-itembatcher.html, input-output-resultwriter.html).

Why InvalidDefinition for a refusal: it is the error CreateStateMachine and UpdateStateMachine give
for a definition they will not store (API_CreateStateMachine.html, "Errors"), so SDKs, the AWS CLI,
CDK and Terraform show its message as they show AWS's own; the message keeps AWS's
`'<CODE>: <message> at <location>'` form, with a code of our own (UNSUPPORTED_FEATURE) that no AWS
diagnostic uses, so nobody mistakes it for AWS's verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sfn_support import ROLE, create, error_of, unique, wait_done

from asl_engine.distributed.reader import reader_spec
from asl_engine.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "asl.schema.json").read_text())

HONOURED, REFUSED, NO_EFFECT = "honoured", "refused", "no effect on AWS either"


@dataclass(frozen=True)
class Where:
    status: str
    place: str  # the implementing module, or the refused field that carries this one
    note: str = ""


def honoured(module: str, note: str = "") -> Where:
    return Where(HONOURED, f"asl_engine/{module}", note)


def refused(container: str) -> Where:
    return Where(REFUSED, container)


CHOICE = honoured("choice.py", "Choice rules, compiled once (compile_choice_rule)")
COMPARISONS = [kind + ordering + path for kind in ("String", "Numeric", "Timestamp")
               for ordering in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
               for path in ("", "Path")]

FIELDS: dict[str, Where] = {
    # -- the machine and every state -----------------------------------------------------------
    "StartAt": honoured("runtime/shell.py"),
    "States": honoured("compile.py"),
    "Comment": Where(NO_EFFECT, "", "a comment; AWS keeps it in the definition only"),
    "Version": Where(NO_EFFECT, "", "the ASL version, \"1.0\"; validated, nothing to do"),
    "TimeoutSeconds": honoured("runtime/run.py", "the machine's ExecutionTimedOut; on Task, runtime/tasks.py"),
    "QueryLanguage": honoured("engine/step.py", "JSONata or JSONPath per machine and per state"),
    "Type": honoured("engine/step.py"),
    "Next": honoured("runtime/shell.py"),
    "End": honoured("runtime/shell.py"),
    "InputPath": honoured("dataflow.py"),
    "OutputPath": honoured("dataflow.py"),
    "ResultPath": honoured("dataflow.py"),
    "Parameters": honoured("payload.py", "Pass/Task/Parallel; Map's legacy ItemSelector (engine/step.py)"),
    "ResultSelector": honoured("dataflow.py"),
    "Result": honoured("engine/step.py"),
    "Assign": honoured("query.py", "variables, both query languages"),
    "Arguments": honoured("engine/step.py"),
    "Output": honoured("query.py"),
    "Retry": honoured("engine/decisions.py"),
    "Catch": honoured("engine/decisions.py"),
    "ErrorEquals": honoured("engine/decisions.py"),
    "IntervalSeconds": honoured("engine/decisions.py"),
    "MaxAttempts": honoured("engine/decisions.py"),
    "BackoffRate": honoured("engine/decisions.py"),
    "MaxDelaySeconds": honoured("engine/decisions.py"),
    "JitterStrategy": honoured("engine/decisions.py"),
    # -- Task ------------------------------------------------------------------------------------
    "Resource": honoured("tasks/dispatcher.py"),
    "TimeoutSecondsPath": honoured("engine/step.py"),
    "HeartbeatSeconds": honoured("runtime/tasks.py"),
    "HeartbeatSecondsPath": honoured("engine/step.py"),
    "Credentials": honoured("runtime/tasks.py", "RoleArn evaluated per run and recorded as TaskScheduled "
                                              "taskCredentials.roleArn (test_credentials.py); the call runs "
                                              "as that role, assumed through STS (test_task_credentials.py)"),
    # -- Wait, Fail ------------------------------------------------------------------------------
    "Seconds": honoured("engine/decisions.py"),
    "SecondsPath": honoured("engine/decisions.py"),
    "Timestamp": honoured("engine/decisions.py"),
    "TimestampPath": honoured("engine/decisions.py"),
    "Error": honoured("engine/decisions.py"),
    "ErrorPath": honoured("engine/decisions.py"),
    "Cause": honoured("engine/decisions.py"),
    "CausePath": honoured("engine/decisions.py"),
    # -- Choice ----------------------------------------------------------------------------------
    "Choices": CHOICE, "Default": CHOICE, "Variable": CHOICE, "And": CHOICE, "Or": CHOICE, "Not": CHOICE,
    "BooleanEquals": CHOICE, "BooleanEqualsPath": CHOICE, "IsNull": CHOICE, "IsPresent": CHOICE,
    "IsNumeric": CHOICE, "IsString": CHOICE, "IsBoolean": CHOICE, "IsTimestamp": CHOICE,
    "StringMatches": CHOICE,
    **{name: CHOICE for name in COMPARISONS},
    "Condition": honoured("query.py", "JSONata Choice rules"),
    # -- Parallel, Map -----------------------------------------------------------------------------
    "Branches": honoured("runtime/branches.py"),
    "ItemProcessor": honoured("runtime/branches.py"),
    "Iterator": honoured("runtime/branches.py", "the legacy name of ItemProcessor"),
    "ProcessorConfig": honoured("runtime/branches.py"),
    "Mode": honoured("runtime/branches.py", "DISTRIBUTED records MapRun events and a Map Run; items run inline"),
    "ExecutionType": honoured("runtime/branches.py", "validated (EXPRESS/STANDARD); a Distributed Map's items run "
                                            "inline, so both types behave as inline iterations; it forms "
                                            "the child ARNs ResultWriter reports"),
    "ItemsPath": honoured("runtime/branches.py"),
    "Items": honoured("engine/step.py"),
    "ItemSelector": honoured("runtime/branches.py"),
    "MaxConcurrency": honoured("runtime/branches.py"),
    "MaxConcurrencyPath": honoured("runtime/branches.py"),
    "ToleratedFailureCount": honoured("runtime/branches.py"),
    "ToleratedFailureCountPath": honoured("runtime/branches.py"),
    "ToleratedFailurePercentage": honoured("runtime/branches.py"),
    "ToleratedFailurePercentagePath": honoured("runtime/branches.py"),
    "Label": honoured("runtime/branches.py", "names the Map Run"),
    # -- Distributed Map's data plumbing (asl_engine/distributed/) ---------------------------------
    "ItemReader": honoured("distributed/reader.py", "s3:getObject and s3:listObjectsV2 through S3_ENDPOINT"),
    "ReaderConfig": honoured("distributed/reader.py"),
    "InputType": honoured("distributed/reader.py", "CSV, JSON, JSONL, MANIFEST; PARQUET is refused"),
    "CSVHeaderLocation": honoured("distributed/reader.py"),
    "CSVHeaders": honoured("distributed/reader.py"),
    "CSVDelimiter": honoured("distributed/reader.py"),
    "ManifestType": Where(REFUSED, "ItemReader", "S3_INVENTORY is read; ATHENA_DATA is refused"),
    "MaxItems": honoured("distributed/reader.py"),
    "MaxItemsPath": honoured("distributed/evaluate.py"),
    "Transformation": honoured("distributed/writer.py", "WriterConfig's; ReaderConfig's (listObjectsV2 "
                                                        "LOAD_AND_FLATTEN) is refused"),
    "ItemBatcher": honoured("distributed/batcher.py"),
    "BatchInput": honoured("distributed/batcher.py"),
    "MaxItemsPerBatch": honoured("distributed/batcher.py"),
    "MaxItemsPerBatchPath": honoured("distributed/evaluate.py"),
    "MaxInputBytesPerBatch": honoured("distributed/batcher.py"),
    "MaxInputBytesPerBatchPath": honoured("distributed/evaluate.py"),
    "ResultWriter": honoured("distributed/writer.py", "s3:putObject: manifest.json, SUCCEEDED_0.json, "
                                                      "FAILED_0.json when the Map Run succeeds"),
    "WriterConfig": honoured("distributed/writer.py"),
    "OutputType": honoured("distributed/writer.py"),
}


def _schema_fields(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.update(node["properties"])
        for value in node.values():
            found |= _schema_fields(value)
    elif isinstance(node, list):
        for value in node:
            found |= _schema_fields(value)
    return found


def test_every_schema_field_has_an_entry() -> None:
    fields = _schema_fields(SCHEMA)
    assert sorted(fields - FIELDS.keys()) == [], "a schema field with no entry in FIELDS"
    assert sorted(FIELDS.keys() - fields) == [], "an entry for a field the schema no longer has"


@pytest.mark.parametrize("field", sorted(name for name, where in FIELDS.items() if where.status == HONOURED))
def test_an_honoured_field_names_its_module_and_is_exercised(field: str, exercised: set[str]) -> None:
    assert (ROOT / FIELDS[field].place).is_file()
    assert field in exercised, f"no test or recorded case uses {field!r}"


@pytest.fixture(scope="module")
def exercised() -> set[str]:
    """Every key used in a recorded case's definition or quoted in a test file (this one aside)."""
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "tests" / "conformance" / "cases").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")).get("definition"))
    for path in (ROOT / "tests").rglob("test_*.py"):
        if path.resolve() != Path(__file__).resolve():
            text = path.read_text(encoding="utf-8")
            keys.update(name for name in FIELDS if f'"{name}"' in text)
    return keys


def test_refused_fields_are_those_the_compiler_refuses() -> None:
    refused = {name for name, where in FIELDS.items() if where.status == REFUSED}
    assert refused <= set(REFUSED_USES)


DISTRIBUTED = {"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}
# What asl_engine/distributed/reader.py refuses: the field (or value) and the ItemReader using it.
REFUSED_USES = {
    "ManifestType": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "m.json"},
                     "ReaderConfig": {"InputType": "MANIFEST", "ManifestType": "ATHENA_DATA"}},
    "InputType": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k.parquet"},
                  "ReaderConfig": {"InputType": "PARQUET"}},
}


def _with(field: str) -> str:
    inner = {"StartAt": "M", "States": {"M": {"Type": "Map", **DISTRIBUTED, "ItemReader": REFUSED_USES[field],
                                              "End": True}}}
    # nested in a Parallel branch: the refusal finds the field wherever it is
    return json.dumps({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": [inner], "End": True}}})


def _message(field: str) -> str:
    where = "/States/Par/Branches/0/States/M/ItemReader"
    with pytest.raises(DefinitionError) as refusal:
        reader_spec(REFUSED_USES[field], where)
    assert refusal.value.location == f"{where}/ReaderConfig/{field}"
    return (f"Invalid State Machine Definition: 'UNSUPPORTED_FEATURE: {refusal.value.message} "
            f"at {refusal.value.location}'")


@pytest.mark.parametrize("field", sorted(REFUSED_USES))
def test_a_refused_field_is_refused_where_it_would_be_ignored(sfn: Any, field: str) -> None:
    definition = _with(field)
    validation = sfn.validate_state_machine_definition(definition=definition)
    assert (validation["result"], validation["diagnostics"]) == ("OK", [])  # AWS accepts it
    with pytest.raises(ClientError) as excinfo:
        create(sfn, definition=definition)
    assert error_of(excinfo) == ("InvalidDefinition", _message(field))
    machine = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine(stateMachineArn=machine, definition=definition)
    assert error_of(excinfo) == ("InvalidDefinition", _message(field))
    state = {"Type": "Map", **DISTRIBUTED, "ItemReader": REFUSED_USES[field], "End": True}
    with pytest.raises(ClientError) as excinfo:
        sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input="[]")
    assert error_of(excinfo)[0] == "InvalidDefinition"
    assert "UNSUPPORTED_FEATURE" in error_of(excinfo)[1]


def test_a_distributed_map_without_them_still_runs(sfn: Any) -> None:
    definition = json.dumps({"StartAt": "M", "States": {"M": {"Type": "Map", **DISTRIBUTED, "End": True}}})
    machine = sfn.create_state_machine(name=unique("dmap"), definition=definition, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="[1, 2]")["executionArn"]
    assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
    types = [event["type"] for event in sfn.get_execution_history(executionArn=execution)["events"]]
    assert "MapRunStarted" in types
