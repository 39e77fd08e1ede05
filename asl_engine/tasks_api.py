"""What a Task state hands to a task handler, and what a handler is.

Handlers are pluggable: the runner asks one callable to perform each Task and does not care
whether it calls a local Lambda handler, a mock, boto3 or an activity worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Protocol

Json = Any


@dataclass(frozen=True, slots=True)
class TaskRequest:
    resource: str
    input: Json  # the effective parameters (after InputPath and Parameters / Arguments)
    state_name: str
    context: Json  # the `$$` object, with Task.Token for callback patterns
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    credentials: Json = None


class TaskHandler(Protocol):
    """Performs one Task; returns its result or raises `StatesError` with the task's error."""

    def __call__(self, request: TaskRequest) -> Awaitable[Json]: ...


def resource_parts(resource: str) -> tuple[str, str]:
    """(resourceType, resource) as history events name them.

    `arn:aws:states:::lambda:invoke` -> ("lambda", "invoke");
    `arn:aws:states:::aws-sdk:s3:listBuckets` -> ("aws-sdk:s3", "listBuckets");
    `arn:aws:lambda:us-east-1:1:function:f` -> ("lambda", the ARN).
    """
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "states" and parts[3] == "" and parts[4] == "":
        service = parts[5]
        if service == "aws-sdk" and len(parts) >= 8:
            return f"aws-sdk:{parts[6]}", ":".join(parts[7:])
        return service, ":".join(parts[6:])
    if len(parts) >= 3:
        return parts[2], resource
    return "unknown", resource
