"""An answer being committed when a task's deadline passes wins if it commits, and only then.

SendTaskSuccess commits the answer before it acknowledges it (issue "Nothing acknowledged is
lost"). A heartbeat or TimeoutSeconds deadline may pass while that commit is under way: the
acknowledged answer must be what the execution gets, never a TaskTimedOut recorded after a 200;
and an answer whose commit failed (the caller got an error) must not keep the task from timing
out. Driven on a virtual clock: `claim` is the moment before the commit, `deliver`/`unclaim` its end.
"""

from __future__ import annotations

import asyncio

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.tasks.callbacks import CallbackRegistry, PendingTask, answer_text
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
