"""The shell around the pure core for one state: it performs what `engine.step.advance` decides.

`StateRunner.execute` returns a state's output and the next state's name (None at the end) or
raises `StatesError`; the runner wraps it with the Entered/Exited events, Retry and Catch.
Pass, Choice, Wait, Succeed and Fail are decided by `advance` alone; Task, Parallel and Map ask
the core for their arguments and for what follows their result (`arguments`, `finish`), and do
their work here (task_runner.py, mapping.py).

JSONata evaluation holds the loop at most one slice: each call into the core that may evaluate
JSONata runs inside `offload.settle`, which finishes an overrunning evaluation in a worker
process and runs the (pure, hence repeatable) call again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import model as m
from .engine.step import Context, Fail, Next, Sleep, Step, advance, arguments, finish
from .errors import StatesError
from .mapping import MapRunner
from .offload import settle
from .position import WAIT
from .task_runner import TaskRunner

if TYPE_CHECKING:
    from .runner import ExecutionRun, Frame

Json = Any
_DECIDED = frozenset(("Pass", "Choice", "Wait", "Succeed", "Fail"))


class StateRunner:
    """Runs the body of one state of an execution."""

    def __init__(self, run: "ExecutionRun") -> None:
        self.run = run
        self.maps = MapRunner(run)
        self.tasks = TaskRunner(run)

    async def execute(
        self, state: m.State, raw_input: Json, context: Json, frame: "Frame"
    ) -> tuple[Json, str | None]:
        if state.type not in _DECIDED:
            if state.type == "Task":
                return await self.tasks.execute(state, raw_input, context, frame)  # type: ignore[arg-type]
            if state.type == "Parallel":
                return await self._parallel(state, raw_input, context, frame)  # type: ignore[arg-type]
            return await self.maps.execute(state, raw_input, context, frame)  # type: ignore[arg-type]
        ctx = Context(context, frame.variables, self.run.clock.time())
        if state.query_language == m.JSONATA:
            step: Step = await settle(lambda: advance(state, raw_input, ctx), self.run.clock)
        else:
            step = advance(state, raw_input, ctx)
        if type(step) is Next:  # most states: no coroutine for `perform` (engine benchmark, W2)
            frame.assigned = step.assigned
            return step.output, step.next
        return await self.perform(step, frame)

    async def perform(self, step: Step, frame: "Frame") -> tuple[Json, str | None]:
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

    async def _sleep(self, until: float, frame: "Frame") -> None:
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

    def failed(self, state: m.State, failure: StatesError, frame: "Frame") -> None:
        """A failure the state will not retry: Map and Parallel record it when a branch caused it."""
        if failure.from_branches:
            frame.previous = frame.history.add(state.type + "StateFailed", frame.previous)

    async def complete(self, state: Any, raw: Json, result: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        """After a Task, Map or Parallel produced its result: what the core makes of it."""
        ctx = Context(context, frame.variables)
        if state.query_language == m.JSONATA:
            step = await settle(lambda: finish(state, raw, result, ctx), self.run.clock)
        else:
            step = finish(state, raw, result, ctx)
        return await self.perform(step, frame)

    async def effective_parameters(self, state: Any, raw: Json, context: Json, frame: "Frame") -> Json:
        """What a Task or Parallel works on: InputPath then Parameters, or JSONata Arguments."""
        ctx = Context(context, frame.variables)
        if state.query_language == m.JSONATA:
            return await settle(lambda: arguments(state, raw, ctx), self.run.clock)
        return arguments(state, raw, ctx)

    async def _parallel(self, state: m.ParallelState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        value = await self.effective_parameters(state, raw, context, frame)
        results = await self.maps.run_branches(state, value, frame)
        return await self.complete(state, raw, results, context, frame)

