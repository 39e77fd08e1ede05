"""Issue 15, item 8's decision on `Credentials`: honoured as far as anything can be locally.

On AWS a Task's Credentials name the role Step Functions assumes for the call; `RoleArn` may be a
literal, a path (`RoleArn.$`, JSONPath) or an expression (JSONata), and the role used is recorded
in TaskScheduled's `taskCredentials.roleArn` (https://docs.aws.amazon.com/step-functions/latest/dg/
state-task.html, "Credentials"; https://docs.aws.amazon.com/step-functions/latest/dg/
concepts-access-cross-acct-resources.html; API_TaskCredentials.html). asl-engine evaluates the role
per run and records it as AWS does, and an AWS call is signed with the role's credentials from STS
AssumeRole at the configured endpoint (tests/tasks/test_task_credentials.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.testing import run_definition

ROLE = "arn:aws:iam::111122223333:role/target"


@pytest.mark.parametrize("language, credentials", [
    ("JSONPath", {"RoleArn.$": "$.role"}),
    ("JSONPath", {"RoleArn": ROLE}),
    ("JSONata", {"RoleArn": "{% $states.input.role %}"}),
])
def test_the_role_is_evaluated_and_recorded(language: str, credentials: dict[str, Any]) -> None:
    async def answer(request: Any) -> Any:
        assert request.credentials == {"RoleArn": ROLE}
        return {}

    definition = {"QueryLanguage": language, "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Credentials": credentials, "End": True}}}
    result = run_definition(definition, {"role": ROLE}, tasks=answer)
    assert result.status == "SUCCEEDED", result.cause
    scheduled = next(e for e in result.events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert scheduled["taskCredentials"] == {"roleArn": ROLE}
