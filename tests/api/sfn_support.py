"""Definitions and constants the API tests share."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/test-role"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
ADD_FIELD = json.dumps(
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "done", "ResultPath": "$.step", "End": True}}}
)
FAIL = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}})
# Keeps an execution RUNNING on the wall-clock server (`live` client).
WAIT_LONG = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 31_536_000, "End": True}}})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(client, definition: str = PASS, name: str | None = None, **kwargs) -> str:
    response = client.create_state_machine(
        name=name or unique("sm"), definition=definition, roleArn=ROLE, **kwargs
    )
    return response["stateMachineArn"]


def wait_done(client, execution_arn: str, attempts: int = 200) -> dict:
    """Poll DescribeExecution until the execution leaves RUNNING."""
    for _ in range(attempts):
        described = client.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.01)
    raise AssertionError(f"{execution_arn} still RUNNING")


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of a boto3 ClientError, as the user's `except` sees them."""
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]
