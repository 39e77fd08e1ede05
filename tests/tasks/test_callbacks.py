"""`.waitForTaskToken` and activity tasks completed through the engine's registry and queue, as
SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat and GetActivityTask will (service-integration-
patterns#connect-wait-token; event sequences as recorded in v2/callback/test_callback and
v2/activities/test_activities)."""

from __future__ import annotations

import asyncio
import json

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.tasks.callbacks import (
    CallbackRegistry, InvalidToken, PendingTask, StillWaiting, TaskDoesNotExist, TaskTimedOut, answer_text,
)
from asl_engine.tasks.config import TaskConfig
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.tasks_api import TaskRequest
from asl_engine.testing import run_definition_async

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:approve"
CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "HeartbeatSeconds": 60,
    "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
    "End": True}}}


class Approver:
    """Stands for the worker on the other side of the queue: it answers the token later."""

    def __init__(self, registry: CallbackRegistry) -> None:
        self.registry = registry
        self.sent: list[dict] = []

    async def __call__(self, request: TaskRequest) -> dict:
        self.sent.append(request.input["MessageBody"])
        return {"MessageId": "m-1"}


def test_wait_for_task_token_completed_with_heartbeats() -> None:
    async def scenario() -> tuple:
        clock = VirtualClock(start=0)
        dispatcher = TaskDispatcher(TaskConfig(), clock)
        approver = Approver(dispatcher.callbacks)
        run = asyncio.ensure_future(run_definition_async(CALLBACK, {"order": 5}, clock=clock,
                                                         tasks=approver_with(dispatcher, approver)))
        while not approver.sent:
            await asyncio.sleep(0)
        token = approver.sent[0]["token"]
        for _ in range(3):  # three heartbeats, 50 virtual seconds apart, keep it alive past 60 s
            await clock.sleep_until(clock.time() + 50)
            dispatcher.callbacks.heartbeat(token)
        dispatcher.callbacks.succeed(token, json.dumps({"approved": True}))
        result = await run
        return result, token, clock.time(), dispatcher
    result, token, now, dispatcher = asyncio.run(scenario())
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"approved": True}
    assert now == 150
    assert result.event_types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    with pytest.raises(TaskDoesNotExist):
        dispatcher.callbacks.succeed(token, "{}")
    with pytest.raises(InvalidToken):
        dispatcher.callbacks.succeed("not a token!", "{}")


def approver_with(dispatcher: TaskDispatcher, approver: Approver):
    """The dispatcher's registry with the approver as the SQS side."""
    class Tasks:
        callbacks = dispatcher.callbacks
        activities = dispatcher.activities

        async def __call__(self, request: TaskRequest) -> dict:
            return await approver(request)
    return Tasks()


def test_send_task_failure_fails_the_task() -> None:
    async def scenario():
        clock = VirtualClock(start=0)
        dispatcher = TaskDispatcher(TaskConfig(), clock)
        approver = Approver(dispatcher.callbacks)
        run = asyncio.ensure_future(run_definition_async(CALLBACK, {"order": 6}, clock=clock,
                                                         tasks=approver_with(dispatcher, approver)))
        while not approver.sent:
            await asyncio.sleep(0)
        dispatcher.callbacks.fail(approver.sent[0]["token"], "Rejected", "too expensive")
        return await run
    result = asyncio.run(scenario())
    assert (result.status, result.error, result.cause) == ("FAILED", "Rejected", "too expensive")
    assert result.event_types[-2] == "TaskFailed"


def test_answering_a_timed_out_token_is_task_timed_out() -> None:
    async def scenario():
        clock = VirtualClock(start=0)
        dispatcher = TaskDispatcher(TaskConfig(), clock)
        approver = Approver(dispatcher.callbacks)
        result = await run_definition_async(CALLBACK, {"order": 7}, clock=clock,
                                            tasks=approver_with(dispatcher, approver))
        with pytest.raises(TaskTimedOut):
            dispatcher.callbacks.succeed(approver.sent[0]["token"], "{}")
        return result
    assert asyncio.run(scenario()).error == "States.Timeout"


def test_activity_worker_pulls_and_answers() -> None:
    definition = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": ACTIVITY, "TimeoutSeconds": 3600, "End": True}}}

    async def scenario():
        clock = VirtualClock(start=0)
        dispatcher = TaskDispatcher(TaskConfig(), clock)
        run = asyncio.ensure_future(run_definition_async(definition, {"order": 8}, clock=clock,
                                                         tasks=dispatcher))
        task = await dispatcher.activities.get(ACTIVITY, "worker-1", timeout=5)
        assert task is not None and json.loads(task.input) == {"order": 8}
        dispatcher.callbacks.succeed(task.token, json.dumps({"ok": 8}))
        return await run
    result = asyncio.run(scenario())
    assert result.status == "SUCCEEDED" and result.output == {"ok": 8}
    assert result.event_types[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    assert result.events[3]["activityStartedEventDetails"] == {"workerName": "worker-1"}


def test_a_lingering_wait_ends_still_waiting_and_an_answer_after_it_is_kept() -> None:
    """`wait(token, until)` (a worker's task, waited for in memory a moment before its execution
    leaves): answered in time it returns the answer; past `until` it raises StillWaiting with the
    token still registered, and an answer delivered then is kept for the next wait."""
    async def scenario() -> tuple[object, object, bool]:
        clock = VirtualClock(auto_advance=False)
        registry = CallbackRegistry()
        registry.register(PendingTask("AQquick", "arn", "Work"), clock)
        asyncio.get_running_loop().call_soon(registry.succeed, "AQquick", '{"in": "time"}')
        quick = await registry.wait("AQquick", clock.time() + 1)
        registry.register(PendingTask("AQslow", "arn", "Work"), clock)
        lingering = asyncio.ensure_future(registry.wait("AQslow", clock.time() + 1))
        await asyncio.sleep(0)
        clock.advance(1)
        with pytest.raises(StillWaiting):
            await lingering
        answered_before = registry.answered("AQslow")
        registry.claim("AQslow")
        registry.deliver("AQslow", answer_text('{"after": "linger"}'))
        return quick, await registry.wait("AQslow"), answered_before

    quick, late, answered_before = asyncio.run(scenario())
    assert quick == {"in": "time"} and late == {"after": "linger"} and answered_before is False
