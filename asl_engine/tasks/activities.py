"""Activity tasks: an execution queues work under an activity ARN; a worker pulls it.

The engine side `put`s a task and learns, through the returned hand-out, which worker picked it
up (ActivityStarted records the worker's name). `GetActivityTask` (server side) calls `get`, which
long-polls like AWS's 60-second poll, and answers only once the execution has recorded
ActivityStarted (`Handout.recorded`): a server then commits it before the worker hears of it.
Results come back through the `CallbackRegistry` under the task's token, exactly as for
`.waitForTaskToken`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

from ..allocator import shrink
from ..errors import RUNTIME, StatesError

POLL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ActivityTask:
    """What GetActivityTask returns: the token and the input as JSON text."""

    token: str
    activity_arn: str
    input: str


@dataclass(slots=True)
class Handout:
    """One queued task: `started` resolves to the worker's name once one pulls it; the engine
    resolves `recorded` once it has recorded ActivityStarted (cancels it if the task ended)."""

    task: ActivityTask
    started: asyncio.Future[str]
    recorded: asyncio.Future[None]
    parked_by: str | None = None  # the ARN of its execution while that is out of memory (`park`)


@dataclass
class ActivityQueue:
    """Activity ARN -> tasks waiting for a worker, and workers waiting for a task.

    `registered` holds the ARNs of existing activities when a server keeps them (CreateActivity
    adds, DeleteActivity removes); a Task on any other activity ARN then fails as on AWS. Left
    None (in-process runs without a server), every activity ARN is accepted.

    Waiting tasks are kept in arrival order and by token (an OrderedDict per activity, and the
    activity of each token), so a worker takes the oldest and a task that ends is withdrawn in
    O(1): releasing 30,000 parked tasks once scanned the queue 30,000 times."""

    registered: set[str] | None = None
    _tasks: dict[str, OrderedDict[str, Handout]] = field(default_factory=dict)
    _activity_of: dict[str, str] = field(default_factory=dict)  # token -> activity ARN, while queued
    _workers: dict[str, deque[asyncio.Future[Handout]]] = field(default_factory=dict)
    # Tasks whose execution left memory while they wait (service/parking.py), by execution ARN.
    # `on_taken(execution ARN)` is told when a worker takes one, so the server loads the
    # execution back to record ActivityStarted. None: no task is parked.
    on_taken: Callable[[str], None] | None = None
    _parked: dict[str, Handout] = field(default_factory=dict)

    def shrink(self) -> None:
        """Its tables sized for the tasks queued now, once a load has left (service/reclaim.py)."""
        shrink(self._tasks, self._activity_of, self._workers, self._parked, *self._tasks.values())

    def check(self, activity_arn: str) -> None:
        """Fail the state when the activity does not exist (recorded:
        test_activities::test_activity_task_on_deleted)."""
        if self.registered is not None and activity_arn not in self.registered:
            raise StatesError(RUNTIME, f"The activity {activity_arn} does not exist.", in_state=True)

    def put(self, task: ActivityTask) -> Handout:
        """Queue a task for the next worker that polls its activity."""
        self.check(task.activity_arn)
        loop = asyncio.get_running_loop()
        queued = Handout(task, loop.create_future(), loop.create_future())
        workers = self._workers.get(task.activity_arn, deque())
        while workers:
            worker = workers.popleft()
            if not worker.done():
                worker.set_result(queued)
                return queued
        self._tasks.setdefault(task.activity_arn, OrderedDict())[task.token] = queued
        self._activity_of[task.token] = task.activity_arn
        return queued

    def park(self, handout: Handout, execution_arn: str) -> None:
        """The task's execution leaves memory: the task stays queued (or with the worker that has
        just taken it) until the execution is loaded back and `reclaim`s it."""
        handout.parked_by = execution_arn
        self._parked[execution_arn] = handout
        if handout.started.done() and self.on_taken is not None:  # taken as the execution left
            self.on_taken(execution_arn)

    def reclaim(self, execution_arn: str, token: str) -> Handout | None:
        """The hand-out of the task parked with its execution (queued, or taken by a worker that
        waits for ActivityStarted to be recorded), now that the execution is back in memory."""
        handout = self._parked.get(execution_arn)
        if handout is None or handout.task.token != token:
            return None
        del self._parked[execution_arn]
        handout.parked_by = None
        return handout

    def abandon(self, execution_arn: str) -> None:
        """The execution ended without taking its parked task back (stopped before it ran
        again): no worker may get the task, and one that took it gets nothing."""
        handout = self._parked.pop(execution_arn, None)
        if handout is not None:
            self.withdraw(handout.task.token)
            if not handout.recorded.done():
                handout.recorded.cancel()

    def withdraw(self, token: str) -> None:
        """The task ended before a worker took it (timeout, stop): no worker may get it now."""
        activity_arn = self._activity_of.pop(token, None)
        if activity_arn is None:
            return  # a worker took it already (or it was never queued)
        tasks = self._tasks[activity_arn]
        queued = tasks.pop(token)
        if not tasks:
            del self._tasks[activity_arn]
        queued.started.cancel()

    def _take(self, activity_arn: str) -> Handout | None:
        """The oldest task waiting on the activity, no longer queued; None when there is none."""
        tasks = self._tasks.get(activity_arn)
        if not tasks:
            return None
        token, queued = tasks.popitem(last=False)
        del self._activity_of[token]
        if not tasks:
            del self._tasks[activity_arn]
        return queued

    async def get(self, activity_arn: str, worker_name: str | None = None,
                  timeout: float = POLL_SECONDS) -> ActivityTask | None:
        """GetActivityTask: the oldest waiting task, or None once `timeout` seconds pass."""
        queued = self._take(activity_arn)
        if queued is None:
            waiter: asyncio.Future[Handout] = asyncio.get_running_loop().create_future()
            self._workers.setdefault(activity_arn, deque()).append(waiter)
            try:
                queued = await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except asyncio.TimeoutError:
                if not waiter.done():
                    waiter.cancel()
                    return None
                queued = waiter.result()
        if not queued.started.done():
            queued.started.set_result(worker_name or "")
        if queued.parked_by is not None and self.on_taken is not None:  # recorded once its execution is back
            self.on_taken(queued.parked_by)
        await asyncio.wait({queued.recorded})
        if queued.recorded.cancelled():  # the task ended (its execution stopped) meanwhile
            return None
        return queued.task
