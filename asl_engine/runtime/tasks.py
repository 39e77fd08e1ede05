"""A Task state's attempt, the shell's collaborator for `CallTask`: the handler call, its
timeouts and heartbeats, task tokens and activity parking, and the events AWS records for it.

The resource ARN's form decides the event family: a Lambda function ARN records
LambdaFunction* events, an activity ARN Activity* events, every other resource Task* events
with resourceType/resource split as AWS splits them (`lambda`/`invoke`, `aws-sdk:s3`/
`listBuckets`). The integration pattern (service-integration-patterns) decides what is awaited:
the response, a task token (`.waitForTaskToken`, TaskSubmitted first) or the end of a job
(`.sync`, TaskSubmitted first).

What the call is (resource, arguments, limits, credentials) the pure core decided
(`engine.step.CallTask`); this module performs it and checkpoints through `Checkpoints`: the
TASK phase (token, deadline, what was submitted) before the call, the RESULT phase once it
answered, so a restarted server never calls a task again that has a recorded result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable

from .. import model as m
from ..clock import Clock
from ..dataflow import output_text
from ..engine.step import CallTask
from ..errors import RUNTIME, TIMEOUT, StatesError
from ..execution import ExecutionInfo
from ..payload import to_json
from ..position import Frame, ResultPhase, TaskPhase
from ..tasks.activities import ActivityQueue, ActivityTask
from ..tasks.callbacks import CallbackRegistry, PendingTask, StillWaiting, new_token
from ..tasks_api import (
    WAIT_FOR_TASK_TOKEN, Final, Submitted, TaskHandler, TaskRequest, TaskTimeout, integration_pattern,
    is_activity, is_lambda_function, resource_parts,
)
from .checkpoints import Checkpoints
from .unloading import Unloaded, Unloader

Json = Any
# An activity task a worker has just taken waits this long (execution clock) for its answer in
# memory before its execution leaves: most answers follow at once, and each load costs a read.
TAKEN_LINGER_SECONDS = 1.0


@dataclass(slots=True)
class _Events:
    """The events of one task attempt: which family, and the fields every event repeats."""

    prefix: str  # "Task" | "LambdaFunction" | "Activity"
    frame: Frame
    base: dict[str, Json] = field(default_factory=dict)  # resourceType/resource for Task*

    def add(self, kind: str, details: dict[str, Json] | None = None) -> None:
        if self.base:
            details = {**self.base, **(details or {})}
        self.frame.record(self.prefix + kind, details)

    def output(self, kind: str, value: Json) -> None:
        self.add(kind, {"output": to_json(value), "outputDetails": {"truncated": False}})

    def failure(self, kind: str, failure: StatesError) -> None:
        details = {"error": failure.error, "cause": failure.cause}
        self.add(kind, {key: value for key, value in details.items() if value is not None})


class TaskAttempts:
    """Performs the Task states of one execution."""

    def __init__(self, clock: Clock, checkpoints: Checkpoints, handler: TaskHandler | None,
                 info: ExecutionInfo, unloader: Unloader | None = None) -> None:
        self.clock = clock
        self.unloader = unloader or Unloader(clock, lambda: False)  # a parked task may leave memory
        self.checkpoints = checkpoints
        self.handler = handler
        self.info = info
        # The dispatcher owns the process-wide registry and queue; without one, the execution
        # keeps its own (nobody can answer it, but timeouts still work).
        self.callbacks: CallbackRegistry = getattr(handler, "callbacks", None) or CallbackRegistry()
        self.activities: ActivityQueue = getattr(handler, "activities", None) or ActivityQueue()

    def offer_token(self, state: m.TaskState, context: dict[str, Json], frame: Frame) -> None:
        """`$$.Task.Token` for a task that may use one (AWS offers it to .sync tasks too), before
        the core reads the state's fields: a new token, or after a restart the one already handed out."""
        if integration_pattern(state.resource):
            in_flight = frame.resumed
            token = in_flight.token if isinstance(in_flight, TaskPhase) else new_token(self.info.task_token_prefix)
            context["Task"] = {"Token": token}

    async def call(self, call: CallTask, frame: Frame) -> Json:
        """The task's result: the handler's answer, a token's, or an activity worker's.

        After a restart (`frame.resumed`), a result already recorded is used as it is, and a
        call that was in flight is made again (at-least-once) or, for a task token that was
        already handed out, waited for again under the same token."""
        recorded = frame.take_resumed(ResultPhase)
        if recorded is not None:
            return recorded.output
        in_flight = frame.take_resumed(TaskPhase)
        token = call.token
        submitted = in_flight.submitted if in_flight is not None else None
        request = TaskRequest(call.resource, call.arguments, call.state.name, call.ctx.context, call.timeout,
                              call.heartbeat, call.credentials, token, submitted)
        clock = self.clock
        deadline = None if call.timeout is None else clock.time() + call.timeout
        # `opened`: when the task began waiting; a heartbeat deadline counts from it (or from the
        # last recorded heartbeat), across restarts too.
        if in_flight is None:
            frame.phase = TaskPhase(token, deadline, submitted, clock.time())
        else:  # the original deadline survives a restart, and so do an activity's token and hand-out
            frame.phase = TaskPhase(token or in_flight.token, in_flight.deadline, submitted,
                                    in_flight.opened or clock.time(), in_flight.started)
        if is_activity(call.resource) and not getattr(self.handler, "mocks_activities", False):
            result = await self._activity(request, frame, in_flight is not None)
        else:
            result = await self.invoke(request, frame, in_flight is not None)
        self.checkpoints.commit(frame, ResultPhase(result))  # never called again
        return result

    async def invoke(self, request: TaskRequest, frame: Frame, resumed: bool = False) -> Json:
        """Hand the task to the handler, recording Scheduled/Started/[Submitted]/outcome events."""
        resource_type, resource = resource_parts(request.resource)
        if is_lambda_function(request.resource):
            events = _Events("LambdaFunction", frame)
            if not resumed:
                events.add("Scheduled", self._lambda_scheduled(request))
                events.add("Started")
        else:
            events = _Events("Task", frame, {"resourceType": resource_type, "resource": resource})
            if not resumed:
                events.add("Scheduled", self._task_scheduled(request))
                events.add("Started")
        callback = integration_pattern(request.resource) == WAIT_FOR_TASK_TOKEN
        if resumed:  # its position on disk says just this: saved with the next commit, not written again
            self.checkpoints.save(frame, frame.phase)
        elif callback:  # the token leaves with the call: on disk first, so a restart waits for that token
            await self.checkpoints.on_disk(frame)
        else:
            self.checkpoints.commit(frame)
        if callback:  # before the call: a fast worker may answer while the send is in flight
            self.callbacks.register(self._pending(request), self.clock, _task_phase(frame).opened)
        timed_out = unloaded = False
        try:
            return await self._outcome(events, self._perform(request, events, callback, frame), request)
        except TaskTimeout:
            timed_out = True
            raise
        except Unloaded:
            unloaded = True
            raise
        finally:
            if unloaded:  # the token keeps answering while the execution is out of memory
                self.callbacks.park(request.token or "")
            elif callback:  # a late SendTaskSuccess then answers TaskTimedOut, as on AWS
                self.callbacks.close(request.token or "", timed_out)

    async def _perform(self, request: TaskRequest, events: _Events, callback: bool, frame: Frame) -> Json:
        handler = self.handler
        if handler is None:
            raise StatesError(
                RUNTIME, f"No task handler is configured for the resource '{request.resource}'.", in_state=True
            )
        if callback and (request.submitted is not None or self.callbacks.answered(request.token or "")):
            # The token went out before a restart: its answer is waited for, the call not made again.
            # Answered already (SendTaskSuccess committed while the call was still running), the
            # call had done its work: calling again would send the same message twice.
            return await self._answer(request.token or "", frame)
        response = await handler(request)
        if isinstance(response, Final):
            return response.output
        if isinstance(response, Submitted):
            if request.submitted is None:  # else re-attached after a restart: recorded already
                self._submitted(events, response.output)
            self._park_submitted(response, frame)
            return await response.completion
        if callback:
            self._submitted(events, response)
            return await self._answer(request.token or "", frame)
        return response

    def _park_submitted(self, response: Submitted, frame: Frame) -> None:
        """A `.sync` job whose end the server tells (a child execution of its own): the
        execution leaves memory until then or its TimeoutSeconds (TaskSubmitted is committed);
        loaded back, the handler re-attaches to the job through `TaskRequest.submitted`."""
        if response.wakes is None or not self.unloader.could_park(frame) or \
                not response.wakes(self.info.execution_arn):
            return
        try:
            self.unloader.park(frame, _task_phase(frame).deadline)
        except Unloaded:
            close = getattr(response.completion, "close", None)  # a coroutine never awaited now
            if close is not None:
                close()
            raise

    async def _answer(self, token: str, frame: Frame) -> Json:
        """The answer to the token, waited for in memory, or after the execution has left
        memory (`Unloaded`, runtime/unloading.py): the service loads it back when the answer,
        the task's TimeoutSeconds or HeartbeatSeconds deadline, or a stop comes."""
        if not self.callbacks.answered(token):
            self.unloader.park(frame, _task_phase(frame).deadline, self.callbacks.heartbeat_deadline(token))
        return await self.callbacks.wait(token)

    def _submitted(self, events: _Events, output: Json) -> None:
        events.output("Submitted", output)
        self.checkpoints.commit(events.frame, replace(_task_phase(events.frame), submitted=output))

    async def _activity(self, request: TaskRequest, frame: Frame, resumed: bool = False) -> Json:
        """Queue the task for a worker; ActivityStarted once one pulls it, then wait for its answer.

        ActivityStarted is recorded with the position that says so (`started`) before
        GetActivityTask answers. After a restart, a task no worker had is queued again under the
        same token; one a worker had is not handed out again: that worker answers its token."""
        self.activities.check(request.resource)  # before any event: AWS records none (test_activity_task_on_deleted)
        refuse_mock = getattr(self.handler, "check_activity", None)  # a mock test case (SFN Local)
        if refuse_mock is not None:
            refuse_mock(request)
        phase = _task_phase(frame)
        token = phase.token or new_token(self.info.task_token_prefix)
        self.checkpoints.save(frame, replace(phase, token=token))
        request = TaskRequest(request.resource, request.input, request.state_name, request.context,
                              request.timeout_seconds, request.heartbeat_seconds, request.credentials, token)
        events = _Events("Activity", frame)
        if not resumed:
            scheduled = {"resource": request.resource, "input": to_json(request.input),
                         "inputDetails": {"truncated": False}}
            _add_limits(scheduled, request)
            events.add("Scheduled", scheduled)
        if resumed and token == phase.token:  # its position on disk says just this (loaded back, restarted)
            self.checkpoints.save(frame, frame.phase)
        else:
            self.checkpoints.commit(frame)
        self.callbacks.register(self._pending(request), self.clock, phase.opened)
        handout = None
        if phase.started is None:  # the hand-out kept while the execution was out of memory, else a new one
            handout = self.activities.reclaim(self.info.execution_arn, token) or \
                self.activities.put(ActivityTask(token, request.resource, to_json(request.input)))

        async def work() -> Json:
            if handout is not None:
                if not handout.started.done() and self.activities.on_taken is not None:
                    self.unloader.park(frame, phase.deadline, self.callbacks.heartbeat_deadline(token))
                worker = await handout.started
                events.add("Started", {"workerName": worker})
                self.checkpoints.commit(frame, replace(_task_phase(frame), started=worker))
                handout.recorded.set_result(None)
                # Taken by a worker just now: its answer usually follows soon, so the run waits in
                # memory a moment rather than leave and be loaded back once more; a worker that
                # takes longer has it leave memory, to be loaded back by its answer or a deadline.
                if self.unloader.could_park(frame):
                    try:
                        return await self.callbacks.wait(token, self.clock.time() + TAKEN_LINGER_SECONDS)
                    except StillWaiting:
                        pass
            return await self._answer(token, frame)

        timed_out = unloaded = False
        try:
            return await self._outcome(events, work(), request)
        except TaskTimeout:
            timed_out = True
            raise
        except Unloaded:
            unloaded = True
            raise
        finally:
            if unloaded:  # the task stays queued, its token answering, while the execution is out of memory
                if handout is not None and not handout.recorded.done():
                    self.activities.park(handout, self.info.execution_arn)
                self.callbacks.park(token)
            else:
                self.activities.withdraw(token)
                if handout is not None and not handout.recorded.done():
                    handout.recorded.cancel()
                self.callbacks.close(token, timed_out)

    async def _outcome(self, events: _Events, work: Awaitable[Json], request: TaskRequest) -> Json:
        """Await the work until the TimeoutSeconds deadline and record how it ended."""
        try:
            phase = _task_phase(events.frame)
            result = await self._within(work, phase.deadline, phase.token)
            output_text(_size_subject(request.resource), result)
        except TaskTimeout as failure:
            events.failure("TimedOut", failure)
            raise
        except StatesError as error:
            tagged = error.replace(from_task=True)
            events.failure("Failed", tagged)
            raise tagged from None
        events.output("Succeeded", result)
        return result

    async def _within(self, work: Awaitable[Json], deadline: float | None, token: str | None = None) -> Json:
        """The work's result, or TaskTimeout at `deadline`; an answer to `token` that is being
        committed when the deadline comes wins (it was acknowledged)."""
        if deadline is None:
            return await work
        clock = self.clock
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(clock.sleep_until(deadline))
        try:
            done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
            claim = None if task in done else self.callbacks.claim_in_flight(token)
            if claim is not None and await claim:  # delivered: the work ends with that answer
                done, _ = await asyncio.wait({task})
        finally:
            timer.cancel()
            if not task.done():
                task.cancel()
        if task in done:
            return task.result()
        raise TaskTimeout(TIMEOUT, None)

    def _pending(self, request: TaskRequest) -> PendingTask:
        assert request.token is not None
        activity = request.resource if is_activity(request.resource) else None
        return PendingTask(request.token, self.info.execution_arn, request.state_name,
                           request.heartbeat_seconds, activity_arn=activity)

    def _lambda_scheduled(self, request: TaskRequest) -> dict[str, Json]:
        details: dict[str, Json] = {"resource": request.resource, "input": to_json(request.input),
                                    "inputDetails": {"truncated": False}}
        _add_limits(details, request)
        credentials = _credentials(request)
        if credentials:
            details["taskCredentials"] = credentials
        return details

    def _task_scheduled(self, request: TaskRequest) -> dict[str, Json]:
        details: dict[str, Json] = {"region": _region(request.resource, self.info),
                                    "parameters": to_json(request.input)}
        _add_limits(details, request)
        credentials = _credentials(request)
        if credentials:
            details["taskCredentials"] = credentials
        return details


def _task_phase(frame: Frame) -> TaskPhase:
    """The frame's phase while its task runs."""
    phase = frame.phase
    assert isinstance(phase, TaskPhase)
    return phase


def _add_limits(details: dict[str, Json], request: TaskRequest) -> None:
    if request.timeout_seconds is not None:
        details["timeoutInSeconds"] = request.timeout_seconds
    if request.heartbeat_seconds is not None:
        details["heartbeatInSeconds"] = request.heartbeat_seconds


def _credentials(request: TaskRequest) -> dict[str, Json] | None:
    """The Credentials field, recorded as `taskCredentials.roleArn`; the task handlers assume the
    role for the call (asl_engine/tasks/, STS AssumeRole at the configured endpoint)."""
    credentials = request.credentials
    if not isinstance(credentials, dict):
        return None
    role = credentials.get("RoleArn")
    return {"roleArn": role} if isinstance(role, str) else None


def _size_subject(resource: str) -> str:
    """What AWS names in a result-size cause: a Lambda function's ARN, else the resource type
    (recorded: test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response)."""
    return resource if is_lambda_function(resource) else resource_parts(resource)[0]


def _region(resource: str, info: ExecutionInfo) -> str:
    parts = resource.split(":")
    if len(parts) > 3 and parts[3]:
        return parts[3]
    arn = info.state_machine_arn.split(":")
    return arn[3] if len(arn) > 3 else "us-east-1"
