"""The activity queue hands out the oldest task first and withdraws an ended task without
scanning the queue (issue 20: releasing 30,000 parked activity tasks was quadratic, each
completion copied and compared every queued token).

No timing: the tokens count how often they are compared, so a scan shows as thousands of
comparisons where a lookup by token makes at most one. AWS: a worker's GetActivityTask gets a
waiting task; a task that timed out or whose execution stopped is no longer handed out
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetActivityTask.html)."""

from __future__ import annotations

import asyncio

from asl_engine.tasks.activities import ActivityQueue, ActivityTask, Handout

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:work"
OTHER = "arn:aws:states:us-east-1:123456789012:activity:other"


class CountingToken(str):
    """A token that counts the equality tests made on any token of its kind."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        CountingToken.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


class Queue:
    """An ActivityQueue and its hand-outs, with GetActivityTask as a server does it: the
    execution records ActivityStarted (resolves `recorded`) before the worker hears of its task."""

    def __init__(self) -> None:
        self.queue = ActivityQueue()
        self.handouts: list[Handout] = []

    def put(self, token: str, activity: str = ACTIVITY) -> Handout:
        self.handouts.append(self.queue.put(ActivityTask(token, activity, "{}")))
        return self.handouts[-1]

    async def take(self, activity: str = ACTIVITY) -> str:
        worker = asyncio.ensure_future(self.queue.get(activity, "worker", timeout=1))
        await asyncio.sleep(0)
        for handout in self.handouts:
            if handout.started.done() and not handout.started.cancelled() and not handout.recorded.done():
                handout.recorded.set_result(None)
        task = await worker
        assert task is not None
        return task.token


def test_withdrawing_a_task_does_not_scan_the_queue() -> None:
    async def scenario() -> tuple[int, list[str], list[Handout]]:
        queue = Queue()
        tokens = [CountingToken(f"token-{index}") for index in range(2000)]
        handouts = [queue.put(token) for token in tokens]
        CountingToken.compared = 0
        for token in tokens[500:1500]:
            queue.queue.withdraw(CountingToken(str(token)))  # an equal token, not the same object
        compared = CountingToken.compared
        return compared, [await queue.take() for _ in range(3)], handouts

    compared, handed, handouts = asyncio.run(scenario())
    assert compared <= 10 * 1000  # a few lookups per withdrawal; a scan made ~1.5 million comparisons
    assert all(handout.started.cancelled() for handout in handouts[500:1500])
    assert handed == ["token-0", "token-1", "token-2"]  # oldest first
    assert not handouts[1999].started.done()


def test_withdrawn_tasks_are_not_handed_out_and_other_activities_keep_theirs() -> None:
    async def scenario() -> list[str]:
        queue = Queue()
        for name in ("a", "b", "c"):
            queue.put(name)
        queue.put("x", OTHER)
        queue.queue.withdraw("a")
        queue.queue.withdraw("c")
        queue.queue.withdraw("c")  # twice: nothing more happens
        taken = [await queue.take(), await queue.take(OTHER)]
        queue.queue.withdraw("b")  # already handed out: nothing happens
        none = await queue.queue.get(ACTIVITY, timeout=0.01)
        return [*taken, repr(none)]

    assert asyncio.run(scenario()) == ["b", "x", "None"]
