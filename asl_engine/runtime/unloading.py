"""Unloading a parked execution: its run ends at a park point instead of waiting in memory.

A Wait on a timer, a Retry's interval between attempts, a `.waitForTaskToken` callback or an
activity task (queued, or taken by a worker) can wait for days; as a live coroutine each one
holds its frames, futures and timers (~10 KiB). When the service asks for it
(`Unloader.enabled`, service/parking.py), an execution whose only open frame reaches a park point
with its position committed raises `Unloaded` there: the run ends without a closing event, and
the service keeps a small index entry (a timer, the token, the activity queue entry) to load it
back through the restart path (`Executions.resume`) when its time comes, an answer arrives or
StopExecution asks. The in-process runs (asl_engine.testing, TestState) leave it off.
"""

from __future__ import annotations

from typing import Callable

from ..clock import Clock
from ..position import Frame


class Unloaded(BaseException):
    """The run parked at a committed position and leaves memory: `wake_at` is the earliest
    moment it must be loaded back by itself (a Wait's or a Retry interval's end, a task's
    TimeoutSeconds or HeartbeatSeconds, the machine's TimeoutSeconds), None when only an answer
    or a stop wakes it. A BaseException, so that no `except Exception` of the engine mistakes it
    for a failure."""

    def __init__(self, wake_at: float | None) -> None:
        super().__init__(wake_at)
        self.wake_at = wake_at


class Unloader:
    """Decides, at a park point, whether the run unloads (raises `Unloaded`) or waits in memory."""

    __slots__ = ("arm", "clock", "enabled", "limit_at", "stopping", "timeout_at")

    def __init__(self, clock: Clock, stopping: Callable[[], bool]) -> None:
        self.clock = clock
        self.enabled = False  # a service policy: set by service/executions.py
        self.stopping = stopping
        self.timeout_at: float | None = None  # the machine's TimeoutSeconds deadline (runtime/run.py)
        self.limit_at: float | None = None  # the execution's longest run (a year): a wake only beside a deadline
        self.arm: Callable[[], None] | None = None  # arms that limit at the first wait (runtime/run.py)

    def could_park(self, frame: Frame) -> bool:
        """Could the frame leave memory where it waits? Only the execution's top frame (no
        Parallel or Map branch is open), never while it is being stopped."""
        return self.enabled and frame.id == "" and not self.stopping()

    def park(self, frame: Frame, *deadlines: float | None) -> None:
        """Called right after the frame's position was committed, before it waits until the
        earliest of `deadlines` (None: no deadline) or an answer. Unloads when it `could_park`,
        never when a deadline has already come (the run then meets it in memory)."""
        if self.arm is not None:
            arm, self.arm = self.arm, None
            arm()
        if not self.could_park(frame):
            return
        moments = [moment for moment in (*deadlines, self.timeout_at) if moment is not None]
        if moments and self.limit_at is not None:  # time moves on for a deadline: it stops at the limit
            moments.append(self.limit_at)  # (alone, the limit moves no clock: runtime/run.py)
        wake_at = min(moments) if moments else None
        if wake_at is not None and wake_at <= self.clock.time():
            return
        raise Unloaded(wake_at)
