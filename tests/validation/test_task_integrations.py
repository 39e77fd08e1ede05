"""CreateStateMachine refuses what AWS refuses in a Task state calling an AWS service, through boto3
against a real server: an integration pattern the service does not support, and (later) parameter
names the API does not have.

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
