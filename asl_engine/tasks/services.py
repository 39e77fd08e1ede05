"""Optimized integrations: SQS, SNS, DynamoDB, EventBridge and Step Functions (connect-*.html).

They take the API's own parameters, with three conveniences AWS adds: a JSON object given as
SQS `MessageBody`, SNS `Message`, EventBridge `Detail` or SFN `Input` is sent as JSON text.
Results carry SdkHttpMetadata/SdkResponseMetadata (except EventBridge's, as recorded), errors are
named in the SDK v1 dialect (`SNS.NotFoundException`), and `states:startExecution.sync[:2]`
waits for the child execution.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ..clock import Clock
from ..errors import StatesError
from ..tasks_api import Submitted, TaskRequest, resource_parts
from .aws import Clients, http_metadata, task_role, v1_error
from .models import OPTIMIZED_SERVICES
from .sdk import call_api

Json = Any

# resourceType -> parameters sent as JSON text when given as JSON values
_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "sqs": ("MessageBody",), "sns": ("Message",), "dynamodb": (), "events": ("Detail",), "states": ("Input",),
}
# resourceType -> (botocore service, those parameters)
SERVICES = {name: (OPTIMIZED_SERVICES[name], fields) for name, fields in _TEXT_FIELDS.items()}
POLL_SECONDS = 0.2  # real time between DescribeExecution calls of a .sync child


def _as_text(params: Json, fields: tuple[str, ...]) -> Json:
    if not isinstance(params, dict):
        return params
    result = dict(params)
    for key in fields:
        if key in result and not isinstance(result[key], str):
            result[key] = json.dumps(result[key], separators=(",", ":"))
    if isinstance(result.get("Entries"), list):  # events:putEvents
        result["Entries"] = [_as_text(entry, fields) for entry in result["Entries"]]
    return result


class ServiceTasks:
    """`arn:aws:states:::SERVICE:ACTION[.sync|.waitForTaskToken]` for the services above."""

    def __init__(self, clients: Clients, clock: Clock) -> None:
        self.clients = clients
        self.clock = clock

    async def __call__(self, request: TaskRequest) -> Json:
        resource_type, resource = resource_parts(request.resource)
        service, text_fields = SERVICES[resource_type]
        action, _, pattern = resource.partition(".")
        role = task_role(request.credentials)
        if service == "stepfunctions" and pattern.startswith("sync") and request.submitted is not None:
            submitted = request.submitted  # re-attach to the child started before a restart
            return Submitted(submitted, self._execution_end(submitted["ExecutionArn"], pattern == "sync:2", role))
        params = _as_text(request.input, text_fields)
        result, response = await call_api(self.clients, self.clock, service, action, params,
                                          on_error=lambda exc, client: v1_error(exc, client, service), role=role)
        if service == "events":
            return _put_events_result(result)
        result.update(http_metadata(response))
        if service == "stepfunctions" and pattern.startswith("sync"):
            return Submitted(result, self._execution_end(result["ExecutionArn"], pattern == "sync:2", role))
        return result

    async def _execution_end(self, execution_arn: str, parsed: bool, role: str | None) -> Json:
        """Poll the child execution (real time, the clock marked busy) until it ends."""
        while True:
            with self.clock.busy():
                await asyncio.sleep(POLL_SECONDS)
            description, _ = await call_api(self.clients, self.clock, "stepfunctions", "describeExecution",
                                            {"ExecutionArn": execution_arn}, role=role)
            if description.get("Status") != "RUNNING":
                break
        if parsed:
            for key in ("Input", "Output"):
                if isinstance(description.get(key), str):
                    description[key] = json.loads(description[key])
        if description.get("Status") != "SUCCEEDED":
            cause = json.dumps(description, sort_keys=True, separators=(",", ":"))
            raise StatesError("States.TaskFailed", cause)
        return description


def _put_events_result(result: Json) -> Json:
    """A putEvents call with failed entries fails the task (recorded: test_put_events_no_source)."""
    if result.get("FailedEntryCount"):
        raise StatesError("EventBridge.FailedEntry", json.dumps(result, separators=(",", ":")))
    return result
