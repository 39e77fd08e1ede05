"""Item 1 of issue 15: service-integration Resource ARNs that name a region and an account.

AWS's form is `arn:partition:states:region:account:service:api[.pattern]`; the region and account
may be left empty (`arn:aws:states:::lambda:invoke`), and console exports and SAM `!Sub` fill them in.
Source: Amazon States Language, Task state, "Resource" ("a URI ... Step Functions service
integration ARNs have the form arn:partition:states:region:account:servicename:APIname.[pattern]"),
https://states-language.net/spec.html#task-state and the Step Functions developer guide
https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html (Task state: Resource field),
https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html (integration patterns).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from asl_engine.clock import VirtualClock
from asl_engine.tasks.config import TaskConfig
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.testing import ExecutionResult, run_definition
from asl_engine.validate import validate_definition

SCOPED = "arn:aws:states:us-east-1:123456789012"


def _task(resource: str, **fields: object) -> dict[str, object]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def _run(config: TaskConfig, definition: dict[str, object], execution_input: object = None,
         test_case: str | None = None) -> ExecutionResult:
    clock = VirtualClock()
    dispatcher = TaskDispatcher(config, clock)
    return run_definition(definition, execution_input, clock=clock, tasks=dispatcher.for_execution(test_case))


@pytest.mark.parametrize("resource", [
    f"{SCOPED}:aws-sdk:s3:getObject",
    f"{SCOPED}:lambda:invoke",
    f"{SCOPED}:athena:startQueryExecution.sync",
    f"{SCOPED}:sqs:sendMessage.waitForTaskToken",
    "arn:aws-cn:states:cn-north-1:123456789012:aws-sdk:dynamodb:getItem",
    "arn:aws:states:::lambda:invoke",
])
def test_scoped_integration_arns_are_valid(resource: str) -> None:
    assert validate_definition(_task(resource)) == []


@pytest.mark.parametrize("resource", [
    "arn:aws:states:us-east-1::lambda:invoke",  # a region without an account
    f"{SCOPED}:execution:machine:run",  # an execution is not a Task resource
    f"{SCOPED}:lambda:invokeFunction",  # the optimized Lambda integration has one action
])
def test_malformed_scoped_arns_stay_invalid(resource: str) -> None:
    codes = [d.code for d in validate_definition(_task(resource))]
    assert codes == ["SCHEMA_VALIDATION_FAILED"]


def test_scoped_aws_sdk_s3_get_object_runs(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)  # dummy credentials: nothing can be signed for real AWS
    aws_env = moto_endpoint
    s3 = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    s3.create_bucket(Bucket="fidelity-scoped")
    s3.put_object(Bucket="fidelity-scoped", Key="k.txt", Body=b"hello")
    definition = _task(f"{SCOPED}:aws-sdk:s3:getObject",
                       Parameters={"Bucket": "fidelity-scoped", "Key": "k.txt"},
                       ResultSelector={"body.$": "$.Body"})
    result = _run(TaskConfig(default_endpoint=aws_env), definition, {})
    assert (result.status, result.output) == ("SUCCEEDED", {"body": "hello"}), result.cause
    scheduled = next(e for e in result.events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"], scheduled["region"]) == (
        "aws-sdk:s3", "getObject", "us-east-1")


def test_scoped_lambda_invoke_runs() -> None:
    config = TaskConfig(lambda_handlers={"double": "fidelity_handlers:double"})
    definition = _task(f"{SCOPED}:lambda:invoke", Parameters={"FunctionName": "double", "Payload.$": "$"},
                       OutputPath="$.Payload")
    result = _run(config, definition, {"n": 21})
    assert (result.status, result.output) == ("SUCCEEDED", {"doubled": 42}), result.cause
    assert "LambdaFunctionScheduled" not in result.event_types  # the optimized form records Task* events
    assert "TaskSucceeded" in result.event_types


def test_scoped_athena_sync_runs_under_a_mock(tmp_path: Path) -> None:
    """The `.sync` suffix is read from a scoped ARN too; SFN Local's mock file answers it
    (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html)."""
    mocks = {"StateMachines": {"test-machine": {"TestCases": {"Happy": {"T": "Query"}}}},
             "MockedResponses": {"Query": {"0": {"Return": {"QueryExecutionId": "q-1"}}}}}
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(mocks))
    definition = _task(f"{SCOPED}:athena:startQueryExecution.sync", Parameters={"QueryString": "SELECT 1"})
    result = _run(TaskConfig(mock_config_path=str(path)), definition, {}, test_case="Happy")
    assert (result.status, result.output) == ("SUCCEEDED", {"QueryExecutionId": "q-1"}), result.cause
    scheduled = next(e for e in result.events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"]) == ("athena", "startQueryExecution.sync")
