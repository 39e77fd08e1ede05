"""TimeoutSeconds and HeartbeatSeconds on the virtual clock: hours pass instantly.

Events as recorded: v2/timeouts/test_timeouts::test_fixed_timeout_service_lambda
(TaskScheduled, TaskStarted, TaskTimedOut; error States.Timeout, no cause) and
v2/timeouts/test_heartbeats::test_heartbeat_timeout (a missed heartbeat is recorded as
TaskTimedOut with States.Timeout).
"""

from __future__ import annotations

import asyncio
import time

from asl_engine.clock import VirtualClock
from asl_engine.tasks_api import TaskRequest
from asl_engine.testing import run_definition


async def _never_answers(request: TaskRequest) -> None:
    await asyncio.get_running_loop().create_future()


async def _sends(request: TaskRequest) -> dict:
    return {"MessageId": "m-1"}  # the send succeeds; nobody ever answers the token


def test_task_timeout_after_two_hours_is_instant() -> None:
    definition = {"StartAt": "Slow", "States": {"Slow": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$.limit",
        "Parameters": {"FunctionName": "slow"}, "End": True}}}
    clock = VirtualClock(start=1_700_000_000)
    began = time.monotonic()
    result = run_definition(definition, {"limit": 7200}, tasks=_never_answers, clock=clock)
    assert time.monotonic() - began < 2
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Timeout", None)
    assert result.event_types[2:5] == ["TaskScheduled", "TaskStarted", "TaskTimedOut"]
    scheduled = result.events[2]["taskScheduledEventDetails"]
    assert scheduled["timeoutInSeconds"] == 7200
    assert clock.time() - 1_700_000_000 == 7200


def test_heartbeat_timeout_on_a_callback_task() -> None:
    definition = {"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "TimeoutSeconds": 86400, "HeartbeatSeconds": 600,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}}
    clock = VirtualClock(start=0)
    result = run_definition(definition, {}, tasks=_sends, clock=clock)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert result.event_types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskTimedOut"]
    assert clock.time() == 600  # the heartbeat, not the 24-hour timeout, ended it
    assert result.events[2]["taskScheduledEventDetails"]["heartbeatInSeconds"] == 600


def test_a_missed_heartbeat_is_caught_and_retried_as_states_heartbeat_timeout() -> None:
    """"HeartbeatTimeout is available inside the Catch and Retry fields"
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): a
    retrier or catcher naming States.HeartbeatTimeout takes a missed heartbeat, which is still
    recorded as States.Timeout (test_heartbeats::test_heartbeat_timeout)."""
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                 "HeartbeatSeconds": 60, "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                 "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout"], "MaxAttempts": 1, "IntervalSeconds": 5}],
                 "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}}
    clock = VirtualClock(start=0)
    result = run_definition(definition, {}, tasks=_sends, clock=clock)
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.Timeout", "Cause": ""}
    assert result.event_types.count("TaskTimedOut") == 2  # the first attempt and the retry
    assert clock.time() == 60 + 5 + 60


def test_a_task_timeout_is_not_a_heartbeat_timeout() -> None:
    """TimeoutSeconds running out is States.Timeout only: a catcher of States.HeartbeatTimeout
    leaves it alone (concepts-error-handling lists the two apart)."""
    definition = {"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30,
                 "Parameters": {"FunctionName": "slow"},
                 "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}}
    result = run_definition(definition, {}, tasks=_never_answers, clock=VirtualClock(start=0))
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
