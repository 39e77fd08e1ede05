"""Running a Task state's work: the handler call, its timeout, and the events AWS records for it.

The resource ARN's form decides the event family: a Lambda function ARN records
LambdaFunction* events, every other resource Task* events with resourceType/resource split as
AWS splits them (`lambda`/`invoke`, `aws-sdk:s3`/`listBuckets`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import model as m
from .errors import RUNTIME, StatesError
from .payload import to_json
from .tasks_api import TaskRequest, resource_parts

if TYPE_CHECKING:
    from .runner import ExecutionRun, Frame

Json = Any


class TaskRunner:
    def __init__(self, run: "ExecutionRun") -> None:
        self.run = run

    async def invoke(self, state: m.TaskState, parameters: Json, context: Json, frame: "Frame") -> Json:
        """Hand the task to the handler, recording Scheduled/Started/Succeeded|Failed events."""
        resource_type, resource = resource_parts(state.resource)
        lambda_function = resource_type == "lambda" and resource == state.resource
        history = frame.history
        timeout = state.timeout_seconds if isinstance(state.timeout_seconds, (int, float)) else None
        if lambda_function:
            scheduled = {"resource": state.resource, "input": to_json(parameters),
                         "inputDetails": {"truncated": False}}
            if timeout is not None:
                scheduled["timeoutInSeconds"] = timeout
            frame.previous = history.add("LambdaFunctionScheduled", frame.previous, scheduled)
            frame.previous = history.add("LambdaFunctionStarted", frame.previous)
        else:
            scheduled = {"resourceType": resource_type, "resource": resource, "region": _region(state.resource, self.run),
                         "parameters": to_json(parameters)}
            if timeout is not None:
                scheduled["timeoutInSeconds"] = timeout
            frame.previous = history.add("TaskScheduled", frame.previous, scheduled)
            frame.previous = history.add(
                "TaskStarted", frame.previous, {"resourceType": resource_type, "resource": resource}
            )
        history.flush()
        request = TaskRequest(state.resource, parameters, state.name, context, timeout, None, state.credentials)
        try:
            result = await self._call_handler(request, timeout)
        except StatesError as failure:
            details = {"error": failure.error, "cause": failure.cause}
            details = {key: value for key, value in details.items() if value is not None}
            if lambda_function:
                frame.previous = history.add("LambdaFunctionFailed", frame.previous, details)
            else:
                frame.previous = history.add(
                    "TaskFailed", frame.previous, {"resourceType": resource_type, "resource": resource, **details}
                )
            raise
        output = {"output": to_json(result), "outputDetails": {"truncated": False}}
        if lambda_function:
            frame.previous = history.add("LambdaFunctionSucceeded", frame.previous, output)
        else:
            frame.previous = history.add(
                "TaskSucceeded", frame.previous, {"resourceType": resource_type, "resource": resource, **output}
            )
        return result

    async def _call_handler(self, request: TaskRequest, timeout: float | None) -> Json:
        handler = self.run.tasks
        if handler is None:
            raise StatesError(
                RUNTIME,
                f"No task handler is configured for the resource '{request.resource}'.",
                in_state=True,
            )
        if timeout is None:
            return await handler(request)
        clock = self.run.clock
        work = asyncio.ensure_future(handler(request))
        timer = asyncio.ensure_future(clock.sleep_until(clock.time() + timeout))
        try:
            done, _ = await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if work in done:
            return work.result()
        work.cancel()
        raise StatesError("States.Timeout", None)


def _region(resource: str, run: "ExecutionRun") -> str:
    parts = resource.split(":")
    if len(parts) > 3 and parts[3]:
        return parts[3]
    arn = run.info.state_machine_arn.split(":")
    return arn[3] if len(arn) > 3 else "us-east-1"

