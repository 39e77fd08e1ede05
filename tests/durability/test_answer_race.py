"""An answer being committed when a task's deadline passes wins if it commits, and only then.

SendTaskSuccess commits the answer before it acknowledges it (issue "Nothing acknowledged is
lost"). A heartbeat or TimeoutSeconds deadline may pass while that commit is under way: the
acknowledged answer must be what the execution gets, never a TaskTimedOut recorded after a 200;
and an answer whose commit failed (the caller got an error) must not keep the task from timing
out. Driven on a virtual clock: `claim` is the moment before the commit, `deliver`/`unclaim` its end.
Also: after a restart a token answers before its resumed task has registered it again.
"""

from __future__ import annotations

import asyncio

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.tasks.callbacks import CallbackRegistry, PendingTask, TaskDoesNotExist, answer_text
from asl_engine.tasks_api import TaskTimeout

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:e"


async def _waiting(registry: CallbackRegistry, clock: VirtualClock) -> tuple[str, asyncio.Task[object]]:
    token = "AQtoken"
    registry.register(PendingTask(token, ARN, "Ask", heartbeat_seconds=10), clock)
    waiter = asyncio.ensure_future(registry.wait(token))
    await asyncio.sleep(0)
    return token, waiter


def test_an_answer_committing_at_the_heartbeat_deadline_wins() -> None:
    async def scenario() -> object:
        clock, registry = VirtualClock(auto_advance=False), CallbackRegistry()
        token, waiter = await _waiting(registry, clock)
        registry.claim(token)  # SendTaskSuccess is committing its answer...
        clock.advance(11)  # ...when the heartbeat deadline passes
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiter.done()
        registry.deliver(token, answer_text('{"ok": 1}'))  # committed: acknowledged
        return await asyncio.wait_for(waiter, 5)

    assert asyncio.run(scenario()) == {"ok": 1}


def test_an_answer_that_could_not_be_committed_lets_the_task_time_out() -> None:
    async def scenario() -> None:
        clock, registry = VirtualClock(auto_advance=False), CallbackRegistry()
        token, waiter = await _waiting(registry, clock)
        registry.claim(token)
        clock.advance(11)
        await asyncio.sleep(0)
        registry.unclaim(token)  # the commit failed: the caller got an error, not a 200
        with pytest.raises(TaskTimeout):
            await asyncio.wait_for(waiter, 5)

    asyncio.run(scenario())


def test_a_resumed_token_answers_before_its_task_registers_again() -> None:
    """After a restart, a worker may answer before the resumed execution's task has registered
    its token again: the answer is taken, kept, and consumed once the task registers."""
    async def scenario() -> object:
        clock, registry = VirtualClock(auto_advance=False), CallbackRegistry()
        registry.expect("AQtoken", ARN)  # recovery read the token from the saved position
        assert registry.claim("AQtoken").execution_arn == ARN
        registry.deliver("AQtoken", answer_text('{"early": true}'))
        with pytest.raises(TaskDoesNotExist):  # answered once
            registry.claim("AQtoken")
        registry.register(PendingTask("AQtoken", ARN, "Ask"), clock)
        return await asyncio.wait_for(registry.wait("AQtoken"), 5)

    assert asyncio.run(scenario()) == {"early": True}


def test_a_token_of_an_execution_that_ended_answers_nothing() -> None:
    async def scenario() -> None:
        registry = CallbackRegistry()
        registry.expect("AQtoken", ARN)
        registry.forget(ARN)
        with pytest.raises(TaskDoesNotExist):
            registry.claim("AQtoken")

    asyncio.run(scenario())
