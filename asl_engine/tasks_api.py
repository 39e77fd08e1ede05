"""What a Task state hands to a task handler, and what a handler is.

Handlers are pluggable: the runner asks one callable to perform each Task and does not care
whether it calls a local Lambda handler, a mock, boto3 or an activity worker.

A handler returns the integration's response. How the runner reads it depends on the
integration pattern in the resource ARN (service-integration-patterns):
- request-response: the response is the task's result;
- `.waitForTaskToken`: the response is what the send returned (recorded as TaskSubmitted); the
  result arrives later through the callback registry under `request.token`;
- `.sync` / `.sync:2`: the handler returns `Submitted`, whose `completion` yields the result.
A handler that answers for the whole task at once (a mock) returns `Final`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol

from .errors import HEARTBEAT_TIMEOUT, StatesError

Json = Any

SYNC = ".sync"
WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"


@dataclass(frozen=True, slots=True)
class TaskRequest:
    resource: str
    input: Json  # the effective parameters (after InputPath and Parameters / Arguments)
    state_name: str
    context: Json  # the `$$` object, with Task.Token for callback patterns
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    credentials: Json = None
    token: str | None = None  # the task token of a `.waitForTaskToken` task
    # The TaskSubmitted output recorded before a restart: a `.sync` handler re-attaches to the
    # job it started (a child execution) instead of starting it again.
    submitted: Json = None


@dataclass(frozen=True, slots=True)
class Submitted:
    """A `.sync` task that has started: `output` is recorded as TaskSubmitted, `completion`
    resolves to the task's result (or raises `StatesError`). `wakes`, when the job is one the
    server can tell the end of (a child execution of its own): called with the waiting
    execution's ARN as it may leave memory, True once the server will load it back when the job
    ends (the completion is then dropped, and made again from `TaskRequest.submitted`)."""

    output: Json
    completion: Awaitable[Json]
    wakes: Callable[[str], bool] | None = None


@dataclass(frozen=True, slots=True)
class Final:
    """The task's result, whatever the integration pattern: nothing is awaited after it.

    SFN Local's mocks answer a `.waitForTaskToken` task this way, without waiting for a token."""

    output: Json


class TaskTimeout(StatesError):
    """TimeoutSeconds or HeartbeatSeconds ran out: recorded as *TimedOut, not *Failed."""


class HeartbeatTimeout(TaskTimeout):
    """HeartbeatSeconds ran out. AWS records it as States.Timeout (recorded:
    test_heartbeats::test_heartbeat_timeout), and "HeartbeatTimeout is available inside the Catch
    and Retry fields" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
    an ErrorEquals naming States.HeartbeatTimeout matches it too, States.Timeout still does."""

    aliases = (HEARTBEAT_TIMEOUT,)


class TaskHandler(Protocol):
    """Performs one Task; returns its response or raises `StatesError` with the task's error."""

    def __call__(self, request: TaskRequest) -> Awaitable[Json]: ...


def resource_parts(resource: str) -> tuple[str, str]:
    """(resourceType, resource) as history events name them.

    `arn:aws:states:::lambda:invoke` -> ("lambda", "invoke");
    `arn:aws:states:::aws-sdk:s3:listBuckets` -> ("aws-sdk:s3", "listBuckets");
    `arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject` -> ("aws-sdk:s3", "getObject");
    `arn:aws:lambda:us-east-1:1:function:f` -> ("lambda", the ARN).
    """
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "states" and parts[5] != "activity":  # region/account optional
        service = parts[5]
        if service == "aws-sdk" and len(parts) >= 8:
            return f"aws-sdk:{parts[6]}", ":".join(parts[7:])
        return service, ":".join(parts[6:])
    if len(parts) >= 3:
        return parts[2], resource
    return "unknown", resource


def integration_pattern(resource: str) -> str:
    """`.sync`, `.waitForTaskToken` or "" (request-response), from an optimized resource's suffix."""
    if resource.endswith(WAIT_FOR_TASK_TOKEN):
        return WAIT_FOR_TASK_TOKEN
    if resource.endswith((".sync", ".sync:2")):
        return SYNC
    return ""


def is_activity(resource: str) -> bool:
    """`arn:aws:states:REGION:ACCOUNT:activity:NAME`."""
    parts = resource.split(":")
    return len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity"


def is_lambda_function(resource: str) -> bool:
    """The function-ARN form: `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`."""
    parts = resource.split(":")
    return len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function"
