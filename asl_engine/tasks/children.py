"""`arn:aws:states:::states:startExecution[.sync|.sync:2|.waitForTaskToken]` run on this server.

A server starts the child as its own execution instead of calling itself through boto3: no
endpoint to configure, no polling, and the child is recorded like any other execution. The
engine reaches the server only through the small `ChildExecutions` protocol, so this package
does not import the API.

Shapes follow connect-stepfunctions and the recorded cases (v2/callback/test_callback,
v2/services/test_sfn_task_service): the request is `StateMachineArn`, `Input` (a JSON value is
sent as JSON text, null as `{}`) and `Name`; a plain start answers `ExecutionArn` and
`StartDate` with the SDK's HTTP metadata; `.sync` answers the child's DescribeExecution in
PascalCase with `Input`/`Output` as JSON text, `.sync:2` with them parsed; a child that does not
succeed fails the task with `States.TaskFailed` and that description as the cause. Refusals are
named as the SDK v1 names them: `StepFunctions.StateMachineDoesNotExistException`.
"""

from __future__ import annotations

import email.utils
import json
import uuid
from functools import partial
from typing import Any, Protocol

from ..errors import StatesError
from ..json_text import to_json
from ..tasks_api import Submitted, TaskRequest, resource_parts
from .aws import http_metadata

Json = Any


class ChildRefused(Exception):
    """The server refused to start (or to await) a child, as its API would answer: the error's
    `__type` (e.g. StateMachineDoesNotExist) and message. The server raises it, translating its own
    errors, so the engine does not depend on the service above it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ChildExecution(Protocol):
    """What a task result says of a child execution (the server's execution record has it all)."""

    @property
    def arn(self) -> str: ...
    @property
    def state_machine_arn(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def input(self) -> str: ...
    @property
    def start_date(self) -> float: ...
    @property
    def output(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def cause(self) -> str | None: ...
    @property
    def stop_date(self) -> float | None: ...


class ChildExecutions(Protocol):
    """What the engine needs from a server to run child executions."""

    async def start_child(self, state_machine_arn: str, name: str | None, input_text: str,
                          parent_arn: str) -> ChildExecution:
        """StartExecution in the parent execution's account and region; raises `ChildRefused` as
        the API would answer it."""
        ...

    async def child_outcome(self, execution_arn: str) -> ChildExecution:
        """The execution once it has ended; `ChildRefused` if it cannot be awaited."""
        ...

    def wake_parent(self, execution_arn: str, parent_arn: str) -> bool:
        """The parent may leave memory while it waits: True when the server will load it back as
        the execution ends, False when the parent must wait in memory."""
        ...


class StatesTasks:
    """The `states:startExecution` family, through `ChildExecutions`."""

    def __init__(self, children: ChildExecutions) -> None:
        self.children = children

    async def __call__(self, request: TaskRequest) -> Json:
        _, resource = resource_parts(request.resource)
        action, _, pattern = resource.partition(".")
        if action != "startExecution":
            raise StatesError("States.Runtime", f"The resource '{request.resource}' is not supported by "
                              "asl-engine.", in_state=True)
        if request.submitted is not None and pattern.startswith("sync"):  # re-attach after a restart
            return self._submitted(request.submitted, pattern)
        params = request.input if isinstance(request.input, dict) else {}
        try:
            record = await self.children.start_child(
                str(params.get("StateMachineArn", "")), params.get("Name"), _input_text(params.get("Input")),
                str((request.context.get("Execution") or {}).get("Id", "")),
            )
        except ChildRefused as error:
            raise _sdk_error(error) from None
        started = {"ExecutionArn": record.arn, "StartDate": _millis(record.start_date)}
        started.update(_metadata(started))
        if pattern.startswith("sync"):
            return self._submitted(started, pattern)
        return started

    def _submitted(self, started: dict[str, Json], pattern: str) -> Submitted:
        """A `.sync` parent awaits its child's end; it may wait out of memory, woken by that end."""
        child = started["ExecutionArn"]
        return Submitted(started, self._end(child, parsed=pattern == "sync:2"),
                         partial(self.children.wake_parent, child))

    async def _end(self, execution_arn: str, parsed: bool) -> Json:
        try:
            record = await self.children.child_outcome(execution_arn)
        except ChildRefused as error:  # an Express child: not recorded, so not awaitable here
            raise _sdk_error(error) from None
        description = describe(record, parsed)
        if record.status != "SUCCEEDED":
            cause = json.dumps(description, sort_keys=True, separators=(",", ":"))
            raise StatesError("States.TaskFailed", cause)
        return description


def describe(record: ChildExecution, parsed: bool) -> dict[str, Json]:
    """The ended child as `.sync` (JSON text) or `.sync:2` (parsed) reports it."""
    description: dict[str, Json] = {
        "ExecutionArn": record.arn,
        "Input": json.loads(record.input) if parsed else record.input,
        "InputDetails": {"Included": True},
        "Name": record.name,
        "StartDate": _millis(record.start_date),
        "StateMachineArn": record.state_machine_arn,
        "Status": record.status,
    }
    if record.output is not None:
        description["Output"] = json.loads(record.output) if parsed else record.output
        description["OutputDetails"] = {"Included": True}
    if record.stop_date is not None:
        description["StopDate"] = _millis(record.stop_date)
    if record.error is not None:
        description["Error"] = record.error
    if record.cause is not None:
        description["Cause"] = record.cause
    return description


def _input_text(value: Json) -> str:
    if value is None:
        return "{}"
    if isinstance(value, str):
        return value
    return to_json(value)


def _millis(seconds: float) -> int:
    """Dates in integration results are epoch milliseconds (the Java SDK's JSON dates)."""
    return round(seconds * 1000)


def _metadata(body: dict[str, Json]) -> dict[str, Json]:
    """The SdkHttpMetadata an optimized integration adds, for the answer this server gave."""
    request_id = str(uuid.uuid4())
    text = json.dumps({"executionArn": body["ExecutionArn"], "startDate": body["StartDate"] / 1000},
                      separators=(",", ":"))
    headers = {"Content-Length": str(len(text)), "Content-Type": "application/x-amz-json-1.0",
               "Date": email.utils.formatdate(usegmt=True), "connection": "keep-alive",
               "x-amzn-RequestId": request_id}
    return http_metadata({"ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 200,
                                               "HTTPHeaders": headers}})


def _sdk_error(error: ChildRefused) -> StatesError:
    """A refused start as the SDK v1 reports it (recorded: test_start_execution_no_such_arn)."""
    code = error.code
    name = code if code.endswith("Exception") else code + "Exception"
    cause = (f"{error.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; "
             f"Request ID: {uuid.uuid4()}; Proxy: null)")
    return StatesError(f"StepFunctions.{name}", cause)
