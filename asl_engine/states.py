"""The shell around the pure core for one state: it performs what `engine.step.advance` decides.

`StateRunner.execute` returns a state's output and the next state's name (None at the end) or
raises `StatesError`; the runner wraps it with the Entered/Exited events, Retry and Catch.
Pass, Choice, Wait, Succeed and Fail are decided by `advance` alone; Task, Parallel and Map ask
the core for their arguments and for what follows their result (`run_api.effective_parameters`,
`run_api.complete`), and do their work here (task_runner.py, mapping.py).

JSONata evaluation holds the loop at most one slice: each call into the core that may evaluate
JSONata runs inside `offload.settle`, which finishes an overrunning evaluation in a worker
process and runs the (pure, hence repeatable) call again.
"""

from __future__ import annotations

from typing import Any

from . import model as m
from .engine.step import Context, Fail, Next, Sleep, Step, advance
from .errors import StatesError
from .mapping import MapRunner
from .offload import settle
from .position import WAIT, Frame
from .run_api import Run, complete, effective_parameters
from .task_runner import TaskRunner

Json = Any
_DECIDED = frozenset(("Pass", "Choice", "Wait", "Succeed", "Fail"))


class StateRunner:
    """Runs the body of one state of an execution."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.maps = MapRunner(run)
        self.tasks = TaskRunner(run)

    async def execute(
        self, state: m.State, raw_input: Json, context: Json, frame: Frame
    ) -> tuple[Json, str | None]:
        if state.type not in _DECIDED:
            if state.type == "Task":
                return await self.tasks.execute(state, raw_input, context, frame)  # type: ignore[arg-type]
            if state.type == "Parallel":
                return await self._parallel(state, raw_input, context, frame)  # type: ignore[arg-type]
            return await self.maps.execute(state, raw_input, context, frame)  # type: ignore[arg-type]
        ctx = Context(context, frame.variables, self.run.clock.time() if state.type == "Wait" else 0.0)  # only Wait reads it
        if state.flow.offloaded:
            step: Step = await settle(lambda: advance(state, raw_input, ctx), self.run.clock)
        else:
            step = advance(state, raw_input, ctx)
        if type(step) is Next:  # most states: no coroutine for `perform` (engine benchmark, W2)
            frame.assigned = step.assigned
            return step.output, step.next
        return await self.perform(step, frame)

    async def perform(self, step: Step, frame: Frame) -> tuple[Json, str | None]:
        """Carry out a decided step: take its variables, raise its failure, or sleep."""
        match step:
            case Next():
                frame.assigned = step.assigned
                return step.output, step.next
            case Fail():
                raise step.error
            case Sleep():
                frame.assigned = step.then.assigned
                await self._sleep(step.until, frame)
                return step.then.output, step.then.next
        raise TypeError(step)

    async def _sleep(self, until: float, frame: Frame) -> None:
        """A Wait state's sleep, saved first so that a restart waits only for what remains."""
        clock = self.run.clock
        deadline = clock.wait_state_until(until)  # WAIT_TIME_SCALE shortens Wait states only
        resumed = frame.take_resumed(WAIT)
        if resumed is not None:
            deadline = resumed["until"]
        frame.phase = {"kind": WAIT, "until": deadline}
        self.run.touch(frame)
        self.run.flush()
        await clock.sleep_until(deadline)

    def failed(self, state: m.State, failure: StatesError, frame: Frame) -> None:
        """A failure the state will not retry: Map and Parallel record it when a branch caused it."""
        if failure.from_branches:
            frame.previous = frame.history.add(state.type + "StateFailed", frame.previous)

    async def _parallel(self, state: m.ParallelState, raw: Json, context: Json, frame: Frame) -> tuple[Json, str | None]:
        value = await effective_parameters(state, raw, context, frame, self.run.clock)
        results = await self.maps.run_branches(state, value, frame)
        return await complete(state, raw, results, context, frame, self.run.clock)

