"""Executions that left memory while they wait, and the one timer that loads them back.

An execution parked on a Wait, a Retry interval, a task token, an activity task (queued or
taken) or a `.sync` child execution costs a live coroutine with its frames; unloaded
(runtime/unloading.py) it costs an entry here: its ARN, and when it must be loaded back by itself
(the earliest of its Wait's or interval's end, its task's TimeoutSeconds or HeartbeatSeconds, the
machine's TimeoutSeconds), as one entry of a heap of (moment, ARN). One scheduler coroutine per
server sleeps on the execution clock (virtual, scaled or real) until the earliest moment; an
answer, a worker taking its activity task, its child's end or a stop loads it back at once
(`wake`). Loading goes through the restart path (`Executions.resume`), so what it does next is
what a restarted server would do: history ids continue, a committed answer is consumed once.

Entries are removed lazily: `wake` drops the ARN from `_parked` in O(1) and the heap entry it
leaves is skipped when it comes up (the heap is rebuilt when stale entries outnumber live ones).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from typing import Awaitable, Callable

from ..allocator import shrink
from ..clock import Clock

log = logging.getLogger("asl_engine.parking")

_ABSENT = object()
RETRY_SECONDS = 0.5  # the first pause before a failed load back is tried again; it doubles up to:
RETRY_MAX_SECONDS = 10.0
_COMPACT_ABOVE = 1024  # stale heap entries tolerated before a rebuild (and at least as many as live ones)


class Parking:
    """ARN -> when it wakes by itself, for every execution of this server that left memory."""

    def __init__(self, clock: Clock, load: Callable[[str], Awaitable[None]]) -> None:
        self.clock = clock
        self._load = load  # resume the execution from its committed position
        self._parked: dict[str, float | None] = {}
        self._timers: list[tuple[float, str]] = []
        self._loading: dict[str, asyncio.Task[None]] = {}
        self._retrying: set[str] = set()  # loads that failed, to be tried again (`_load_back`)
        self._watchers: dict[str, asyncio.Future[None]] = {}  # `loaded`: someone waits for its end
        self._changed: asyncio.Event | None = None  # an earlier moment was pushed
        self._scheduler: asyncio.Task[None] | None = None

    def shrink(self) -> None:
        """Its tables sized for what is parked now, once a load has left (`reclaim`)."""
        shrink(self._parked, self._timers, self._loading, self._watchers)

    def __len__(self) -> int:
        """Executions parked here, or being loaded back."""
        return len(self._parked) + len(self._loading)

    def __contains__(self, arn: object) -> bool:
        return arn in self._parked or arn in self._loading

    def park(self, arn: str, wake_at: float | None) -> None:
        """The execution left memory; load it back by itself at `wake_at` (None: never)."""
        self._parked[arn] = wake_at
        if wake_at is None:
            return
        earliest = self._timers[0][0] if self._timers else None
        heapq.heappush(self._timers, (wake_at, arn))
        if len(self._timers) > 2 * len(self._parked) + _COMPACT_ABOVE:
            self._timers = [(at, key) for at, key in self._timers if self._parked.get(key, _ABSENT) == at]
            heapq.heapify(self._timers)
        if self._scheduler is None or self._scheduler.done():
            self._changed = asyncio.Event()
            self._scheduler = asyncio.create_task(self._schedule(), name="asl-engine parked executions")
        elif earliest is None or wake_at < earliest:
            assert self._changed is not None
            self._changed.set()

    def wake(self, arn: str) -> asyncio.Task[None] | None:
        """Load the execution back now (its answer came, a worker took its task, a stop): the
        load under way, or None when it is not parked here."""
        loading = self._loading.get(arn)
        if loading is not None:
            return loading
        if self._parked.pop(arn, _ABSENT) is _ABSENT:
            return None
        loading = self._loading[arn] = asyncio.create_task(self._load_back(arn), name=f"load {arn}")
        return loading

    def forget(self, arn: str) -> None:
        """Another server runs it now (service/cluster.py): nothing to load here."""
        self._parked.pop(arn, None)
        self._retrying.discard(arn)

    def arns(self) -> list[str]:
        return list(self._parked)

    def forget_all(self) -> None:
        self._parked.clear()
        self._retrying.clear()
        self._timers.clear()

    async def loaded(self, arn: str) -> None:
        """Return once the parked execution is loaded back (by its timer, an answer or a stop)."""
        if arn not in self._parked:
            loading = self._loading.get(arn)
            if loading is not None:
                await asyncio.wait({loading})
            return
        watcher = self._watchers.get(arn)
        if watcher is None:
            watcher = self._watchers[arn] = asyncio.get_running_loop().create_future()
        await asyncio.shield(watcher)

    async def close(self) -> None:
        """Shutting down: the parked executions stay RUNNING on disk, resumed on the next start."""
        tasks = [task for task in (self._scheduler, *self._loading.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _load_back(self, arn: str) -> None:
        """Load the execution back; a failure (the database unreachable for a moment) is passing:
        tried again after a pause that doubles up to RETRY_MAX_SECONDS, until it loads or another
        server runs it (`forget`). Dropping it would leave it RUNNING for good: nothing else
        loads it, and its server's lease keeps the others from taking it over."""
        pause = RETRY_SECONDS
        try:
            while True:
                try:
                    with self.clock.busy():  # reading the store, not waiting on time (a virtual clock holds still)
                        await self._load(arn)
                    return
                except Exception:
                    log.warning("the parked execution %s could not be loaded back; trying again in %gs",
                                arn, pause, exc_info=True)
                self._retrying.add(arn)
                with self.clock.busy():  # the database comes back in wall-clock time
                    await asyncio.sleep(pause)
                if arn not in self._retrying:  # another server runs it now
                    return
                pause = min(2 * pause, RETRY_MAX_SECONDS)
        finally:
            self._retrying.discard(arn)
            self._loading.pop(arn, None)
            watcher = self._watchers.pop(arn, None)
            if watcher is not None and not watcher.done():
                watcher.set_result(None)

    async def _schedule(self) -> None:
        """Sleep on the clock until the earliest moment; load back every execution whose moment came."""
        changed = self._changed
        assert changed is not None
        while True:
            timers = self._timers
            while timers and (self._parked.get(timers[0][1], _ABSENT) != timers[0][0]
                              or timers[0][0] <= self.clock.time()):
                at, arn = heapq.heappop(timers)
                if self._parked.get(arn, _ABSENT) == at:
                    self.wake(arn)
            changed.clear()
            if not timers:
                await changed.wait()
                continue
            sleeper = asyncio.ensure_future(self.clock.sleep_until(timers[0][0]))
            waker = asyncio.ensure_future(changed.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()
