"""A parameter value the SDK refuses at run time is the task's failure, which Catch takes, never
"Internal error in asl-engine".

AWS documents no error name for a request its SDK refuses before sending it, so lambda:invoke
fails with States.TaskFailed and the SDK's message as cause, and aws-sdk:* keeps the SDK v2
service exception it already gave for other refused values (e.g. S3.S3Exception); Catch on
States.TaskFailed takes both (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html:
States.TaskFailed "matches any known error name").
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import run_with


def _caught(resource: str, parameters: dict[str, Any], catch_on: str) -> dict[str, Any]:
    return {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True,
              "Catch": [{"ErrorEquals": [catch_on], "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}


@pytest.mark.parametrize(("resource", "parameters", "error", "words"), [
    ("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": {"x": 1}, "Key": "k"}, "S3.S3Exception",
     "Invalid type for parameter Bucket"),
    ("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": ["a"], "Key": "k"}, "S3.S3Exception",
     "Invalid type for parameter Bucket"),
    ("arn:aws:states:::aws-sdk:dynamodb:getItem", {"TableName": {"x": 1}, "Key": {"k": {"S": "v"}}},
     "DynamoDb.DynamoDbException", "Invalid type for parameter TableName"),
])
@pytest.mark.parametrize("catch_on", ["States.ALL", "States.TaskFailed"])
def test_sdk_refused_value_is_a_catchable_task_failure(aws_env: str, resource: str, parameters: dict[str, Any],
                                                        error: str, words: str, catch_on: str) -> None:
    result = run_with(TaskConfig(default_endpoint=aws_env), _caught(resource, parameters, catch_on), {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Error"] == error
    assert words in result.output["Cause"] and "Internal error" not in result.output["Cause"]


def _echo(event: Any, context: Any) -> Any:
    return event


@pytest.mark.parametrize(("parameters", "words"), [
    ({"Payload": {}}, 'Missing required parameter in input: "FunctionName"'),
    ({"FunctionName": 123}, "Invalid type for parameter FunctionName, value: 123"),
    ({"FunctionName": {"a": 1}}, "Invalid type for parameter FunctionName"),
])
@pytest.mark.parametrize("catch_on", ["States.ALL", "States.TaskFailed"])
def test_lambda_invoke_refused_function_name_is_task_failed(parameters: dict[str, Any], words: str,
                                                            catch_on: str) -> None:
    """A number or an object is never str()-ed into a function name ("123" would run a handler)."""
    config = TaskConfig(lambda_handlers={"123": _echo, "{'a': 1}": _echo})
    result = run_with(config, _caught("arn:aws:states:::lambda:invoke", parameters, catch_on), {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Error"] == "States.TaskFailed"
    assert words in result.output["Cause"]
