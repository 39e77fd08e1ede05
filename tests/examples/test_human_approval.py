"""examples/human-approval: wait up to 72 hours on a task token, escalate when nobody answers.

The callback pattern is AWS's "Wait for a Callback with Task Token"
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token),
as in AWS's human approval tutorial
(https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-human-approval.html);
the timeout is TimeoutSeconds caught as States.Timeout
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
The approver answers through the dispatcher's callback registry, the same object the server's
SendTaskSuccess/SendTaskFailure reach, while the execution is parked on its token.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.tasks.callbacks import TaskTimedOut
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.testing import ExecutionResult, run_definition_async
from example_support import assert_valid, load_example, run, states_entered

APPROVAL = load_example("human-approval")
CONFIG = APPROVAL.config("request_approval", "escalate")
handlers: Any = APPROVAL.handlers
HOURS = 3600
REQUEST = {"requestId": "exp-17", "amount": 1200, "currency": "EUR", "approver": "alice"}


@pytest.fixture(autouse=True)
def fresh_outbox() -> None:
    handlers.reset()


async def next_message(timeout: float = 5.0) -> dict[str, Any]:
    """The approval request the handler "emailed" (the handler runs in a worker thread)."""
    for _ in range(int(timeout / 0.001)):
        if handlers.OUTBOX:
            return handlers.OUTBOX[-1]
        await asyncio.sleep(0.001)
    raise AssertionError("no approval request was sent")


Answer = Callable[[TaskDispatcher, str], None]


def answered(answer: Answer, after_hours: float) -> tuple[ExecutionResult, float]:
    """Run the approval on a clock that moves only when told to, and answer `after_hours` later."""

    async def scenario() -> tuple[ExecutionResult, float]:
        clock = VirtualClock(start=0, auto_advance=False)  # time cannot run out before we answer
        dispatcher = TaskDispatcher(CONFIG, clock)
        execution: Awaitable[ExecutionResult] = asyncio.ensure_future(
            run_definition_async(APPROVAL.definition, REQUEST, clock=clock, tasks=dispatcher))
        token = (await next_message())["taskToken"]
        clock.advance(after_hours * HOURS)  # the approver reads the email a while later
        answer(dispatcher, token)
        return await execution, clock.time()

    return asyncio.run(scenario())


def test_definition_is_valid() -> None:
    assert_valid(APPROVAL.definition)


def test_approved_within_the_window() -> None:
    def approve(dispatcher: TaskDispatcher, token: str) -> None:
        dispatcher.callbacks.succeed(token, json.dumps({"approver": "alice", "comment": "fine by me"}))

    result, now = answered(approve, after_hours=5)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"requestId": "exp-17", "status": "APPROVED", "decidedBy": "alice",
                             "comment": "fine by me"}
    assert states_entered(result) == ["RequestApproval", "Approved"]
    # Scheduled, started, the token handed out (TaskSubmitted), then the answer 5 hours later.
    task_events = {e["type"]: e["timestamp"] for e in result.events if e["type"].startswith("Task")
                   and not e["type"].startswith("TaskState")}
    assert list(task_events) == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert (task_events["TaskScheduled"], task_events["TaskSucceeded"]) == (0, 5 * HOURS)
    assert now == 5 * HOURS
    message = handlers.OUTBOX[0]
    assert message["request"] == REQUEST and message["executionArn"].endswith(":test-execution")


def test_rejected_with_send_task_failure() -> None:
    def reject(dispatcher: TaskDispatcher, token: str) -> None:
        dispatcher.callbacks.fail(token, "Rejected", "over the team budget")

    result, _ = answered(reject, after_hours=30)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"requestId": "exp-17", "status": "REJECTED", "reason": "over the team budget"}
    assert states_entered(result) == ["RequestApproval", "Rejected"]
    failed = next(e for e in result.events if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "Rejected"
    assert handlers.ESCALATIONS == []


def test_nobody_answers_for_72_hours_so_it_escalates() -> None:
    async def scenario() -> tuple[ExecutionResult, float, TaskDispatcher]:
        clock = VirtualClock(start=0)  # auto-advance: jumps to the 72-hour deadline at once
        dispatcher = TaskDispatcher(CONFIG, clock)
        result = await run_definition_async(APPROVAL.definition, REQUEST, clock=clock, tasks=dispatcher)
        return result, clock.time(), dispatcher

    result, now, dispatcher = asyncio.run(scenario())
    assert now == 259200  # 72 hours of virtual time, no wall time
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"requestId": "exp-17", "status": "ESCALATED", "escalatedTo": "manager-of-alice"}
    assert states_entered(result) == ["RequestApproval", "Escalate", "Escalated"]
    timed_out = next(e for e in result.events if e["type"] == "TaskTimedOut")
    assert timed_out["timestamp"] == 259200
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    assert [m["request"]["requestId"] for m in handlers.ESCALATIONS] == ["exp-17"]
    # A late answer is refused: SendTaskSuccess answers TaskTimedOut for an expired token
    # (API_SendTaskSuccess, Errors).
    with pytest.raises(TaskTimedOut):
        dispatcher.callbacks.succeed(handlers.OUTBOX[0]["taskToken"], "{}")


@pytest.mark.parametrize(("case", "status"), [("Approved", "APPROVED"), ("Rejected", "REJECTED"),
                                              ("NobodyAnswers", "ESCALATED")])
def test_mock_config_file_answers_without_a_human(case: str, status: str) -> None:
    """SFN Local's MockConfigFile answers a .waitForTaskToken state at once: CI needs no approver."""
    result = run(APPROVAL.config(mocks=True), APPROVAL.definition, REQUEST, test_case=case,
                 state_machine_name="HumanApproval")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["status"] == status
    assert handlers.OUTBOX == []
