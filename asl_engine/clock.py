"""Time goes through a clock, so a test can skip a 72-hour Wait instantly.

Every clock reports epoch seconds (`time()`) and suspends a coroutine until a moment
(`sleep_until`). No clock blocks a thread: waiting executions are parked coroutines.

- `RealClock`: wall time.
- `ScaledClock`: wall time, but every timer (Wait, Retry backoff, TimeoutSeconds,
  HeartbeatSeconds) runs `scale` times as long: `ASL_ENGINE_CLOCK=scaled:0.01` makes an hour of
  timers take 36 seconds, keeping their order.
- `VirtualClock`: time moves only when told to (`advance`) or, with `auto_advance`, jumps to the
  next deadline whenever every coroutine that uses it is waiting on time.

Separately, every clock carries SFN Local's `WAIT_TIME_SCALE` (`wait_time_scale`), which
shortens Wait states and nothing else, as SFN Local documents it (sfn-local-config-options: "the
scale of the wait time in the Wait state"). Timeouts and heartbeats keep the clock's time, so
`WAIT_TIME_SCALE=0` cannot make a TimeoutSeconds fire at once.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Protocol


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch, as the execution sees them."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once `time()` has reached `deadline`."""
        ...

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Mark work that is not waiting on time (a task handler doing I/O)."""
        ...

    def wait_state_until(self, deadline: float) -> float:
        """When a Wait state that asks to wait until `deadline` ends, after `WAIT_TIME_SCALE`."""
        ...

    def call_at(self, moment: float, callback: Callable[[], None]) -> Cancellable:
        """Call `callback` once `time()` reaches `moment`, unless cancelled first. No task, and on
        a VirtualClock no reason to move time: it fires when time gets there for another reason
        (a limit such as a Standard execution's year, which a test should not jump to by itself)."""
        ...


def check_scale(scale: float, name: str) -> float:
    if not scale >= 0:  # also refuses NaN
        raise ValueError(f"{name} must be a number >= 0, not {scale!r}")
    return scale


class WaitStateScale:
    """SFN Local's `WAIT_TIME_SCALE`, applied by the Wait state alone: 0.5 halves what is left
    of the wait, 0 ends it at once, 1 (the default) leaves it alone."""

    wait_time_scale: float = 1.0

    def time(self) -> float:
        raise NotImplementedError

    def wait_state_until(self, deadline: float) -> float:
        now = self.time()
        return now + max(0.0, deadline - now) * self.wait_time_scale


class RealClock(WaitStateScale):
    def __init__(self, *, wait_time_scale: float = 1.0) -> None:
        self.wait_time_scale = check_scale(wait_time_scale, "WAIT_TIME_SCALE")

    def time(self) -> float:
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    @contextmanager
    def busy(self) -> Iterator[None]:
        yield

    def call_at(self, moment: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(max(0.0, self._timer_seconds(moment)), callback)

    def _timer_seconds(self, moment: float) -> float:
        return moment - time.time()


class ScaledClock(RealClock):
    """Scales the length of every timer; time itself still reads as wall time."""

    def __init__(self, scale: float, *, wait_time_scale: float = 1.0) -> None:
        super().__init__(wait_time_scale=wait_time_scale)
        self.scale = check_scale(scale, "the clock scale")

    async def sleep_until(self, deadline: float) -> None:
        delay = self._timer_seconds(deadline)
        if delay > 0:
            await asyncio.sleep(delay)

    def _timer_seconds(self, moment: float) -> float:
        return (moment - time.time()) * self.scale


class VirtualClock(WaitStateScale):
    """A clock that moves only by `advance`, or by itself when everything waits on time.

    With `auto_advance`, a driver task notices when the event loop has run out of other work
    (no coroutine is `busy()` and the ready queue has settled) and jumps to the earliest
    deadline. That is how a Wait of three days costs nothing in a test.
    """

    def __init__(self, start: float | None = None, *, auto_advance: bool = True,
                 wait_time_scale: float = 1.0) -> None:
        self.wait_time_scale = check_scale(wait_time_scale, "WAIT_TIME_SCALE")
        self._now = time.time() if start is None else start
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._limits: list[tuple[float, int, _Limit]] = []  # `call_at`'s: they never move time alone
        self._cancelled_limits = 0
        self._sequence = itertools.count()
        self._busy = 0
        self.auto_advance = auto_advance
        self._driver: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None

    def time(self) -> float:
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (deadline, next(self._sequence), future))
        self._ensure_driver()
        await future

    @contextmanager
    def busy(self) -> Iterator[None]:
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            if self._wakeup is not None:
                self._wakeup.set()

    def call_at(self, moment: float, callback: Callable[[], None]) -> Cancellable:
        limit = _Limit(callback, self._forget_limit)
        if moment <= self._now:
            asyncio.get_running_loop().call_soon(limit.fire)
        else:
            heapq.heappush(self._limits, (moment, next(self._sequence), limit))
        return limit

    def _forget_limit(self) -> None:
        """A limit was cancelled: once they are most of the heap, it keeps only the live ones (each
        execution's year would otherwise stay in it for a year of virtual time)."""
        self._cancelled_limits += 1
        if self._cancelled_limits > 64 and self._cancelled_limits * 2 > len(self._limits):
            self._limits = [entry for entry in self._limits if not entry[2].cancelled]
            heapq.heapify(self._limits)
            self._cancelled_limits = 0

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self._set(self._now + seconds)

    def next_deadline(self) -> float | None:
        """The earliest moment a sleeper waits for, or None when nobody waits on time."""
        while self._timers and self._timers[0][2].done():
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    async def quiescent(self) -> None:
        """Return once every coroutine has parked and no `busy()` work is under way: from here
        on only time (or something outside the loop) can move an execution. Lets a test driver
        (asl_engine.testing) decide when to jump, instead of `auto_advance`."""
        loop = asyncio.get_running_loop()
        while True:
            await self._settle(loop)
            if not self._busy:
                return
            await asyncio.sleep(0.001)  # a handler's thread is working: look again shortly

    def _set(self, moment: float) -> None:
        self._now = max(self._now, moment)
        while self._limits and self._limits[0][0] <= self._now:
            heapq.heappop(self._limits)[2].fire()
        while self._timers and self._timers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._timers)
            if not future.done():
                future.set_result(None)

    def _ensure_driver(self) -> None:
        if not self.auto_advance:
            return
        if self._driver is None or self._driver.done():
            self._wakeup = asyncio.Event()
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        elif self._wakeup is not None:
            self._wakeup.set()

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        while self._timers:
            await self._settle(loop)
            self._timers = [t for t in self._timers if not t[2].done()]
            heapq.heapify(self._timers)
            if not self._timers:
                break
            if self._busy:
                assert self._wakeup is not None
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            while self._limits and self._limits[0][2].cancelled:
                heapq.heappop(self._limits)
            # A limit before the next sleeper's deadline comes first: time stops there.
            self._set(min(self._timers[0][0], self._limits[0][0]) if self._limits else self._timers[0][0])

    @staticmethod
    async def _settle(loop: asyncio.AbstractEventLoop) -> None:
        """Yield until no other callback is ready: every coroutine has parked."""
        ready = getattr(loop, "_ready", None)
        for _ in range(1000):
            await asyncio.sleep(0)
            if ready is not None and not ready:
                return
            if ready is None:
                continue


class _Limit:
    """A VirtualClock's `call_at`: called once, unless cancelled first. Cancelling lets go of the
    callback at once (it holds an execution's run, which an unloaded execution must free)."""

    __slots__ = ("callback", "forget")

    def __init__(self, callback: Callable[[], None], forget: Callable[[], None]) -> None:
        self.callback: Callable[[], None] | None = callback
        self.forget = forget

    @property
    def cancelled(self) -> bool:
        return self.callback is None

    def cancel(self) -> None:
        if self.callback is not None:
            self.callback = None
            self.forget()

    def fire(self) -> None:
        callback, self.callback = self.callback, None
        if callback is not None:
            callback()
