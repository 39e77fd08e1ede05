"""Evaluation that cannot hold the event loop: the step of an execution shares the loop with every
other client, so no JSONata evaluation and no run of states may keep it for long.

* `settle(step)` runs a synchronous step (a state's JSONata fields) inside a `Replay`: each
  evaluation gets SLICE_MS here; one that needs more goes to a worker process, where it has the
  whole budget (TIMEOUT_MS, MAX_DEPTH, and MEMORY_BYTES of address space), and the step runs
  again, replaying what it has. A worker thread would not do: pure-Python evaluation holds the
  GIL, and the loop would get it back only every switch interval (5 ms) per hand-over. Only a
  server shares its loop with clients, so only a server turns this on (`use_workers`): a test or
  a script running executions in process evaluates in place, and needs no `__main__` guard for
  the spawned workers.
* `share_loop()` lets other clients in once the engine has held the loop for SLICE_SECONDS;
  the runner calls it between states, so a long run of states or a large inline Map cannot
  stall the server either.

Both budgets end in AWS's error: `States.QueryEvaluationError`, with the cause AWS records
(asl_engine/jsonata.py, STACK_OVERFLOW / TIMED_OUT / OUT_OF_MEMORY).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, TypeVar

from .clock import Clock
from .jsonata import OUT_OF_MEMORY, TIMED_OUT, BudgetExceeded, Offload, Outcome, Replay, evaluate_text

T = TypeVar("T")
log = logging.getLogger("asl_engine.offload")

WORKERS = 2
MEMORY_BYTES = 1 << 30
"""Address space of a worker process: an evaluation that needs more fails with OUT_OF_MEMORY."""
GRACE_SECONDS = 2.0
"""How long past its time budget a worker may take before it is killed (the budget is checked
between evaluation steps; one step, such as a huge string join, can overrun it)."""
SLICE_SECONDS = 0.002


def _start_worker(limit: int, parent: int) -> None:
    """In each worker: cap its memory, yield the CPU to the server (a looping evaluation must not
    slow the requests it was moved away from), and end when the server is gone (a server killed
    with SIGKILL cannot stop its workers, and a worker waiting for work would wait for ever)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.nice(10)
    except (ImportError, ValueError, OSError):  # not on this platform: the time budget still holds
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)  # a worker process's own thread: no event loop and no clock here
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class Evaluator:
    """A small pool of worker processes, started on first need (spawned, not forked: the server
    has threads, and a fork copies their locks in whatever state they are)."""

    def __init__(self, workers: int = WORKERS, memory_bytes: int = MEMORY_BYTES) -> None:
        self.workers = workers
        self.memory_bytes = memory_bytes
        self._pool: ProcessPoolExecutor | None = None
        # one evaluation per worker at a time, so a budget's clock starts when its worker does
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.memory_bytes, os.getpid()),
            )
        return self._pool

    async def outcome(self, need: Offload) -> Outcome:
        """Evaluate `need` in a worker under its whole budget."""
        turn = self._turns.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(self.workers))
        async with turn:
            for _ in range(2):
                pool = self._executor()
                # submit() may start a worker (fork and exec): ~150 ms of a big process, not on the loop
                future = await asyncio.to_thread(pool.submit, evaluate_text, need.expression.text, need.bindings,
                                                 need.timeout_ms, need.max_depth)
                try:
                    return await asyncio.wait_for(asyncio.wrap_future(future), need.timeout_ms / 1000 + GRACE_SECONDS)
                except asyncio.TimeoutError:
                    log.warning("a JSONata evaluation overran its budget; restarting the evaluation workers")
                    self._reset(pool)
                    return BudgetExceeded.__name__, TIMED_OUT
                except BrokenProcessPool:
                    # A worker died (the memory limit is what kills one) and took the pool with it,
                    # perhaps for another evaluation's sake: one more try on a fresh pool tells.
                    self._reset(pool)
            return BudgetExceeded.__name__, OUT_OF_MEMORY

    def _reset(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):  # no public kill before 3.14
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


EVALUATOR = Evaluator()
_workers = False


def use_workers() -> None:
    """From now on, evaluations in this process that outgrow their slice go to worker processes."""
    global _workers
    _workers = True


async def settle(step: Callable[[], T], clock: Clock) -> T:
    """`step()`, with every evaluation that outgrows its slice done in a worker process; the
    clock counts the wait as work (a virtual clock must not jump while a worker computes)."""
    if not _workers:
        return step()
    replay = Replay()
    while True:
        with replay:
            try:
                return step()
            except Offload as offload:
                need = offload
        with clock.busy():
            replay.add(await EVALUATOR.outcome(need))


_held_since: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, float] = weakref.WeakKeyDictionary()


async def share_loop() -> None:
    """Yield to other coroutines (and, after them, to the network) once the engine has held the
    loop for SLICE_SECONDS in this turn of it. Every engine coroutine that finds the slice spent
    yields at once, so the loop reaches its I/O poll after about one slice, however many are ready.

    The slice counts from the first call in the loop's current iteration: a callback scheduled
    then forgets it in the next one. Counted from the last yield instead, any run after an idle
    moment found its slice spent at its first state and yielded, and a StartExecution that runs
    a short machine at once (runtime/run.py `run_at_once`) fell back to the usual run."""
    loop = asyncio.get_running_loop()
    since = _held_since.get(loop)
    if since is None:
        _held_since[loop] = time.perf_counter()
        loop.call_soon(_held_since.pop, loop, None)
    elif time.perf_counter() - since >= SLICE_SECONDS:
        await asyncio.sleep(0)
