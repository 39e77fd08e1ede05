"""What the runner's collaborators may use of the execution they work for.

`states.py` (one state), `task_runner.py` (a Task's attempt: token, timeouts, heartbeats,
activity parking) and `mapping.py` (Map and Parallel fan-out) are handed the run
(`runner.ExecutionRun`) but see it only through `Run`: they never import the runner, so no
import cycle runs through them, and what they may reach is listed here. Checkpoints have one
owner, the runner: a collaborator marks a frame's new position with `touch` and asks for it to
be written with `flush`, it never writes history or positions to a store itself.

`complete` and `effective_parameters` call the pure core (`engine.step`) for a state that does
work: JSONata evaluation runs inside `offload.settle`, which finishes an evaluation that overran
its slice of the loop in a worker process and calls the (pure, hence repeatable) step again.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from . import model as m
from .clock import Clock
from .engine.step import Context, arguments, finish
from .errors import StatesError
from .execution import ExecutionInfo
from .offload import settle
from .position import Frame, Resume
from .tasks_api import TaskHandler

Json = Any


class MapRunObserver(Protocol):
    """Told about a Distributed Map's Map Run (DescribeMapRun): set as `run.map_runs` by the
    service. Synchronous and non-blocking, like an event sink. `started` is called again, with
    the same ARN, when a restarted server resumes the map."""

    def map_run_started(self, execution_arn: str, map_run_arn: str, total: int, max_concurrency: int,
                        tolerated_failure_percentage: float, tolerated_failure_count: int,
                        children: int | None = None) -> None:
        """`total` items; `children` child executions when they are fewer (batches)."""

    def map_run_item(self, map_run_arn: str, outcome: str, items: int = 1) -> None:
        """A child (of `items` items) is now `running`, or ended `succeeded`, `failed` or `aborted`."""

    def map_run_watch(self, map_run_arn: str, changed: Callable[[int, float, int], None]) -> None:
        """UpdateMapRun changed the running map run's settings: call `changed(max_concurrency,
        tolerated_failure_percentage, tolerated_failure_count)` (on the loop, synchronously)."""

    def map_run_ended(self, map_run_arn: str, status: str) -> None:
        """SUCCEEDED, FAILED or ABORTED."""


class Probe(Protocol):
    """Watches a run's states from outside and may end a scope early: TestState's
    (service/test_state.py), handed to the run instead of subclassing it. Called for every
    state of every scope (`frame.id` is "" for the top one), so it should be cheap."""

    def stops_at(self, state: m.State, frame: Frame) -> bool:
        """True: the state is not entered; the scope ends here, its output the state's input."""

    def context(self, state: m.State, context: dict[str, Json], frame: Frame) -> dict[str, Json]:
        """The `$$` object the state will see, given the run's own."""

    def failed(self, state: m.State, failure: StatesError, frame: Frame) -> None:
        """A failure the state will not retry (before Catch looks at it)."""


class Run(Protocol):
    """The execution as its collaborators see it."""

    clock: Clock
    info: ExecutionInfo
    tasks: TaskHandler | None
    resume: Resume | None
    map_runs: MapRunObserver | None

    @property
    def stopping(self) -> bool:
        """StopExecution or the execution's timeout is ending the run (not a server shutdown)."""

    def touch(self, frame: Frame) -> None:
        """The frame's position changed: save it with the next flush."""

    def flush(self) -> None:
        """Write the pending events and the positions they lead to, as one unit."""

    async def run_program(self, program: m.Program, value: Json, frame: Frame) -> Json:
        """Run a nested scope (a Parallel branch, a Map iteration) from its StartAt to its end."""


async def complete(state: Any, raw: Json, result: Json, context: Json, frame: Frame,
                   clock: Clock) -> tuple[Json, str | None]:
    """After a Task, Map or Parallel produced its result: the core's data flow (`engine.step.finish`);
    the variables it assigns take effect when the state exits."""
    ctx = Context(context, frame.variables)
    if state.flow.offloaded:
        step = await settle(lambda: finish(state, raw, result, ctx), clock)
    else:
        step = finish(state, raw, result, ctx)
    frame.assigned = step.assigned
    return step.output, step.next


async def effective_parameters(state: Any, raw: Json, context: Json, frame: Frame, clock: Clock) -> Json:
    """What a Task or Parallel works on: InputPath then Parameters, or JSONata Arguments."""
    ctx = Context(context, frame.variables)
    if state.flow.offloaded:
        return await settle(lambda: arguments(state, raw, ctx), clock)
    return arguments(state, raw, ctx)
