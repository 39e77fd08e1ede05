"""A Task's `Credentials.RoleArn` is assumed with STS AssumeRole (at the configured endpoint, here
moto's) and the call is signed as that role, as Step Functions does for cross-account calls
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html).
moto's GetCallerIdentity answers with the identity the call was signed as.
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import run_with

ROLE = "arn:aws:iam::111122223333:role/target"


def _whoami(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sts:getCallerIdentity",
                                             "Parameters": {}, "End": True, **fields}}}


@pytest.mark.parametrize("credentials", [{"RoleArn": ROLE}, {"RoleArn.$": "$.role"}])
def test_the_call_runs_as_the_assumed_role(aws_env: str, credentials: dict[str, Any]) -> None:
    result = run_with(TaskConfig(default_endpoint=aws_env), _whoami(Credentials=credentials), {"role": ROLE})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Account"] == "111122223333"
    assert result.output["Arn"] == "arn:aws:sts::111122223333:assumed-role/target/asl-engine-task"


def test_without_credentials_the_call_runs_as_the_server(aws_env: str) -> None:
    result = run_with(TaskConfig(default_endpoint=aws_env), _whoami(), {})
    assert result.status == "SUCCEEDED", result.cause
    assert "assumed-role" not in result.output["Arn"]
