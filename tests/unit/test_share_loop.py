"""`share_loop` (asl_engine/offload.py): the engine yields the event loop once it has held it for a
slice in one turn of the loop, and not before.

Yielding too late holds other clients' requests; yielding too early costs a loop turn per run,
and made StartExecution's run of a short machine at once (issue 20) fall back to the usual run:
the slice was counted from the engine's last yield, so after any idle moment the first state of
the next run found it spent. Whether a call yielded is seen from a callback scheduled just
before it: it has run only if the call gave the loop a turn.
"""

from __future__ import annotations

import asyncio
import time

from asl_engine.offload import SLICE_SECONDS, share_loop


async def _yields() -> bool:
    """Whether one `share_loop()` gave the loop a turn."""
    ran: list[bool] = []
    asyncio.get_running_loop().call_soon(ran.append, True)
    await share_loop()
    return bool(ran)


def _hold(seconds: float) -> None:
    """Keep the loop busy, as a long run of states does."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_run_that_holds_the_loop_past_its_slice_yields() -> None:
    async def run() -> list[bool]:
        first = await _yields()
        _hold(2 * SLICE_SECONDS)
        return [first, await _yields()]

    assert asyncio.run(run()) == [False, True]


def test_a_short_run_after_an_idle_moment_keeps_the_loop() -> None:
    async def run() -> list[bool]:
        await _yields()
        _hold(2 * SLICE_SECONDS)
        await _yields()  # the slice was spent: it yielded
        await asyncio.sleep(5 * SLICE_SECONDS)  # the loop idles, then a new run starts
        return [await _yields(), await _yields()]

    assert asyncio.run(run()) == [False, False]


def test_every_coroutine_that_finds_the_slice_spent_yields_in_that_turn() -> None:
    """The first engine coroutine of a turn spends the slice: the others ready in the same turn
    yield at their next state, so the loop polls the network after about one slice."""
    async def engine(holds: bool) -> bool:
        if holds:
            await share_loop()
            _hold(2 * SLICE_SECONDS)
        return await _yields()

    async def run() -> list[bool]:
        loop = asyncio.get_running_loop()
        engines = [loop.create_task(engine(holds=n == 0)) for n in range(3)]
        return [await each for each in engines]

    assert asyncio.run(run()) == [True, True, True]
