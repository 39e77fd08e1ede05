"""The one timeout watchdog: at a deadline on an execution's clock, call `expire` once.

Used for a state machine's TimeoutSeconds (runtime/run.py), an Express execution's five minutes
(service/executions.py) and a TestState call's five minutes (service/test_state.py). The wait
goes through the clock (real, scaled or virtual), never `time.sleep`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .clock import Clock


class Watchdog:
    """Whether the deadline came (and `expire` was called) before the guarded work ended."""

    def __init__(self) -> None:
        self.expired = False


@contextmanager
def watchdog(clock: Clock, deadline: float | None, expire: Callable[[], None]) -> Iterator[Watchdog]:
    """Within the block, `expire()` is called once `clock` reaches `deadline` (never, for None);
    leaving the block disarms it."""
    dog = Watchdog()

    async def wait() -> None:
        await clock.sleep_until(deadline)  # type: ignore[arg-type]  # None never starts this
        dog.expired = True
        expire()

    task = None if deadline is None else asyncio.ensure_future(wait())
    try:
        yield dog
    finally:
        if task is not None:
            task.cancel()
