"""Activity tasks shared by every server on one PostgreSQL database: each goes to exactly one worker.

The execution's server queues the task in `activity_tasks` (store/postgres_cluster.py); a worker
polling any server takes the oldest one with `FOR UPDATE SKIP LOCKED` (two pollers never take one
row) and tells the execution's server its name ("started"); that server records ActivityStarted,
commits it and answers "recorded" (or "withdrawn" if the task ended meanwhile); only then does
GetActivityTask answer, as on one server (tasks/activities.py). A poll waits on a NOTIFY of a new
task, and looks again every few seconds in case one was missed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable

from ..tasks.activities import POLL_SECONDS, ActivityQueue, ActivityTask, Handout

log = logging.getLogger("asl_engine.cluster")

RECHECK_SECONDS = 2.0  # a poll looks at the table again this often, should a notification be missed


class SharedActivityQueue(ActivityQueue):
    """`ActivityQueue` whose tasks wait in the database, for the workers of every server."""

    def __init__(self, store: Any, registered: set[str] | None, settle_seconds: float) -> None:
        super().__init__(registered=registered)
        self.store = store  # PostgresStore
        self.settle_seconds = settle_seconds  # how long a taken task waits for its server's word
        self._handouts: dict[str, Handout] = {}  # tasks this server's executions queued, by token
        self._pollers: dict[str, set[asyncio.Future[None]]] = {}  # activity ARN -> polls waiting here
        self._settling: dict[str, asyncio.Future[bool]] = {}  # token -> recorded (True) / withdrawn
        self._background: set[asyncio.Task[None]] = set()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("an activity task could not be shared: %s", task.exception())

    # -- the execution's side ---------------------------------------------------------------------

    def put(self, task: ActivityTask) -> Handout:
        self.check(task.activity_arn)
        loop = asyncio.get_running_loop()
        handout = Handout(task, loop.create_future(), loop.create_future())
        self._handouts[task.token] = handout
        handout.recorded.add_done_callback(lambda recorded: self._spawn(self._settle(task.token, recorded)))
        self._spawn(self.store.queue_activity_task(task.token, task.activity_arn, task.input))
        return handout

    async def _settle(self, token: str, recorded: asyncio.Future[None]) -> None:
        """ActivityStarted is recorded (or the task ended): tell the worker's poll, once committed."""
        done = not recorded.cancelled()
        if done:
            await self.store.flush(committed=True)
            self.store.forget_activity_task(token)
        else:
            await self.store.drop_activity_task(token)
        if not self.settled(token, done):
            await self.store.notify({"kind": "recorded" if done else "withdrawn", "token": token})

    def withdraw(self, token: str) -> None:
        handout = self._handouts.pop(token, None)
        if handout is not None and not handout.started.done():
            handout.started.cancel()

    def started(self, token: str, worker: str) -> None:
        """A worker polling some server took this server's task."""
        handout = self._handouts.get(token)
        if handout is not None and not handout.started.done():
            handout.started.set_result(worker)
            if handout.parked_by is not None and self.on_taken is not None:  # its execution left memory
                self.on_taken(handout.parked_by)

    # -- the worker's side ------------------------------------------------------------------------

    def wake(self, activity_arn: str) -> None:
        """A task was queued on the activity: the polls waiting here look again."""
        for poller in self._pollers.pop(activity_arn, set()):
            if not poller.done():
                poller.set_result(None)

    def wake_all(self) -> None:
        """Tasks may have been queued unheard (service/cluster.py listened again): every poll looks again."""
        for activity_arn in list(self._pollers):
            self.wake(activity_arn)

    def settled(self, token: str, recorded: bool) -> bool:
        """The task's server recorded ActivityStarted (or the task ended): answer the poll here."""
        settling = self._settling.get(token)
        if settling is None or settling.done():
            return False
        settling.set_result(recorded)
        return True

    async def get(self, activity_arn: str, worker_name: str | None = None,
                  timeout: float = POLL_SECONDS) -> ActivityTask | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        worker = worker_name or ""
        while True:
            poller: asyncio.Future[None] = loop.create_future()
            self._pollers.setdefault(activity_arn, set()).add(poller)
            try:
                taken = await self.store.take_activity_task(activity_arn, worker)
                remaining = deadline - loop.time()
                if taken is not None or remaining <= 0:
                    break
                await asyncio.wait({poller}, timeout=min(remaining, RECHECK_SECONDS))
            finally:
                waiting = self._pollers.get(activity_arn)
                if waiting is not None:
                    waiting.discard(poller)
                    if not waiting:
                        del self._pollers[activity_arn]
        if taken is None:
            return None
        token, input_text = taken
        settling: asyncio.Future[bool] = loop.create_future()
        self._settling[token] = settling
        try:
            if token in self._handouts:
                self.started(token, worker)
            else:
                await self.store.notify({"kind": "started", "token": token, "worker": worker})
            done, _ = await asyncio.wait({settling}, timeout=self.settle_seconds)
        finally:
            self._settling.pop(token, None)
        if not done or not settling.result():  # the task ended, or its server stopped meanwhile
            return None
        return ActivityTask(token, activity_arn, input_text)
