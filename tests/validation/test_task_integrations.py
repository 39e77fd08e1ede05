"""CreateStateMachine refuses what AWS refuses in a Task state calling an AWS service, through boto3
against a real server: an integration pattern the service does not support, and parameter
names the API does not have (connect-parameters.html).

Patterns: https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html
(Lambda, SQS, SNS, EventBridge: request-response and .waitForTaskToken; DynamoDB: request-response
only; AWS SDK integrations: never .sync).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/r"


def _task(resource: str, **fields: Any) -> str:
    return json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True,
                                                         **fields}}})


def _refusal(sfn: Any, definition: str) -> str:
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(name="refused", definition=definition, roleArn=ROLE)
    assert caught.value.response["Error"]["Code"] == "InvalidDefinition"
    return str(caught.value.response["Error"]["Message"])


@pytest.mark.parametrize("resource", [
    "arn:aws:states:::lambda:invoke.sync",
    "arn:aws:states:::sqs:sendMessage.sync",
    "arn:aws:states:::sns:publish.sync",
    "arn:aws:states:::events:putEvents.sync",
    "arn:aws:states:::dynamodb:putItem.sync",
    "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
    "arn:aws:states:::dynamodb:getItem.waitForTaskToken",
    "arn:aws:states:::aws-sdk:s3:getObject.sync",
    "arn:aws:states:::aws-sdk:sfn:startExecution.sync:2",
    "arn:aws:states:us-east-1:123456789012:lambda:invoke.sync",
])
def test_unsupported_integration_pattern_is_refused(sfn: Any, resource: str) -> None:
    message = _refusal(sfn, _task(resource))
    assert message == (
        f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided {resource} is not "
        "recognized. The value is not a valid resource ARN, or the resource is not available in this region. "
        "at /States/T/Resource'")


@pytest.mark.parametrize("resource", [
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::sns:publish.waitForTaskToken",
    "arn:aws:states:::events:putEvents.waitForTaskToken",
    "arn:aws:states:::dynamodb:deleteItem",
    "arn:aws:states:::aws-sdk:s3:getObject.waitForTaskToken",
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:states:::ecs:runTask.sync",
])
def test_supported_integration_pattern_is_accepted(sfn: Any, resource: str) -> None:
    arn = sfn.create_state_machine(name="accepted", definition=_task(resource), roleArn=ROLE)["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)


def _field_refusal(field: str, location: str) -> str:
    return (f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field '{field}' is not supported by "
            f"Step Functions at {location}'")


@pytest.mark.parametrize(("resource", "parameters", "field"), [
    ("arn:aws:states:::lambda:invoke", {"FunctionName": "f", "Bogus": 1}, "Bogus"),
    ("arn:aws:states:::lambda:invoke", {"functionName": "f"}, "functionName"),
    ("arn:aws:states:::sqs:sendMessage", {"QueueUrl": "q", "MessageBody": "m", "Bogus.$": "$.x"}, "Bogus"),
    ("arn:aws:states:::sns:publish", {"TopicArn": "t", "Message": "m", "Subject2": "s"}, "Subject2"),
    ("arn:aws:states:::events:putEvents", {"Entries": [], "Entry": 1}, "Entry"),
    ("arn:aws:states:::dynamodb:getItem", {"TableName": "t", "Key": {}, "Filter": 1}, "Filter"),
    ("arn:aws:states:::states:startExecution.sync:2", {"StateMachineArn": "a", "Inputs": {}}, "Inputs"),
    ("arn:aws:states:::aws-sdk:s3:getObject", {"bucket": "b", "Key": "k"}, "bucket"),
    ("arn:aws:states:::aws-sdk:ec2:describeSnapshots", {"Filter": []}, "Filter"),
])
def test_unknown_parameter_name_is_refused(sfn: Any, resource: str, parameters: dict[str, Any], field: str) -> None:
    """connect-parameters.html: "The field Filter is not supported by Step Functions"; aws-sdk
    parameters are PascalCase (supported-services-awssdk.html)."""
    message = _refusal(sfn, _task(resource, Parameters=parameters))
    assert message == _field_refusal(field, "/States/T/Parameters")


def test_unknown_argument_name_is_refused_in_jsonata(sfn: Any) -> None:
    definition = json.loads(_task("arn:aws:states:::lambda:invoke",
                                  Arguments={"FunctionName": "f", "Payload": "{% $states.input %}", "Bogus": 1}))
    definition["QueryLanguage"] = "JSONata"
    assert _refusal(sfn, json.dumps(definition)) == _field_refusal("Bogus", "/States/T/Arguments")


@pytest.mark.parametrize(("resource", "parameters"), [
    ("arn:aws:states:::lambda:invoke.waitForTaskToken",
     {"FunctionName": "f", "Payload": {"Token.$": "$$.Task.Token"}, "Qualifier": "1", "InvocationType": "Event",
      "LogType": "None", "ClientContext": "e30="}),
    ("arn:aws:states:::states:startExecution", {"StateMachineArn": "a", "Input.$": "$", "Name": "n"}),
    ("arn:aws:states:::aws-sdk:sfn:startExecution", {"StateMachineArn": "a", "Input": "{}"}),
    ("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "b", "Key.$": "$.key"}),
    ("arn:aws:states:::ecs:runTask.sync", {"Anything": 1}),
    ("arn:aws:lambda:us-east-1:123456789012:function:f", {"anything": 1}),
])
def test_api_parameter_names_are_accepted(sfn: Any, resource: str, parameters: dict[str, Any]) -> None:
    definition = _task(resource, Parameters=parameters)
    arn = sfn.create_state_machine(name="accepted", definition=definition, roleArn=ROLE)["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
