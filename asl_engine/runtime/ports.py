"""What the runtime is told by, or tells, the layer above it: ports the service implements.

`MapRunObserver` hears about a Distributed Map's Map Run (DescribeMapRun); `MapRunChildren`
starts a Distributed Map's child executions (service/map_children.py); `Probe` is TestState's
view of a run (service/test_state.py). All are handed to the run, never imported from the
service, so dependencies point one way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from .. import model as m
from ..errors import StatesError
from ..position import Frame

if TYPE_CHECKING:
    from ..engine.step import RunBranches

Json = Any


class MapRunObserver(Protocol):
    """Told about a Distributed Map's Map Run (DescribeMapRun): set as `run.map_runs` by the
    service. Synchronous and non-blocking, like an event sink, but for `map_run_items`, a read.
    `started` is called again, with the same ARN, when a restarted server resumes the map or
    RedriveExecution redrives it."""

    def map_run_started(self, execution_arn: str, map_run_arn: str, total: int, max_concurrency: int,
                        tolerated_failure_percentage: float, tolerated_failure_count: int,
                        children: int | None = None, items: list[Json] | None = None,
                        ended: Sequence[tuple[EndedChild, int]] = ()) -> None:
        """`total` items; `children` child executions when they are fewer (batches); `items`: what
        its ItemReader read, kept for `map_run_items`; `ended`: the children a resumed Map Run
        found ended (`MapRunChildren.ended`), each with its number of items."""

    async def map_run_items(self, map_run_arn: str) -> list[Json] | None:
        """The items the Map Run's ItemReader read when it started, or None."""

    def map_run_item(self, map_run_arn: str, outcome: str, items: int = 1, redriven: str | None = None) -> None:
        """A child (of `items` items) is now `running`, or ended `succeeded`, `failed`, `timedOut`
        or `aborted`, or is `pending` again (cancelled before its child execution started).
        `redriven`: the child is one the Map Run redrives, which had ended so (`failed`,
        `timedOut`, `aborted`): it was pending redrive, not pending."""

    def map_run_watch(self, map_run_arn: str, changed: Callable[[int, float, int], None]) -> None:
        """UpdateMapRun changed the running map run's settings: call `changed(max_concurrency,
        tolerated_failure_percentage, tolerated_failure_count)` (on the loop, synchronously)."""

    def map_run_written(self, map_run_arn: str, items: int, children: int) -> None:
        """ResultWriter exported the results of `children` children, `items` items (before `ended`)."""

    def map_run_ended(self, map_run_arn: str, status: str) -> None:
        """SUCCEEDED, FAILED or ABORTED."""


@dataclass(frozen=True)
class ChildRequest:
    """One child execution of a Distributed Map: the `index`th of its Map Run, running the
    ItemProcessor (`machine`) on `input`."""

    parent_arn: str
    map_run_arn: str
    index: int
    machine: m.StateMachine
    input: Json
    express: bool


@dataclass(frozen=True)
class ChildEnd:
    """How a child execution ended: SUCCEEDED (with `output`), FAILED, TIMED_OUT or ABORTED."""

    status: str
    output: Json = None
    error: str | None = None
    cause: str | None = None
    execution_arn: str | None = None


RERUN, KEPT, NOT_REDRIVABLE = "rerun", "kept", "not redrivable"


@dataclass(frozen=True)
class EndedChild:
    """A child execution a resumed Map Run finds ended: its status and what `run_child` does with
    it: RERUN (its Map Run was redriven since it ran, and it did not succeed), KEPT (its end is
    the answer), NOT_REDRIVABLE (its Map Run was redriven, but the child cannot be: its end stays)."""

    status: str
    disposition: str


class ChildStopped(asyncio.CancelledError):
    """`MapRunChildren.run_child` was cancelled after its child execution started: the child
    has been stopped (or had already ended) and `end` is how it ended, which the Map Run counts
    (DescribeMapRun). A plain CancelledError: no child was started, or the server is closing."""

    def __init__(self, end: ChildEnd) -> None:
        super().__init__(end.status)
        self.end = end


class MapRunChildren(Protocol):
    """Starts a Distributed Map's children as executions of their own and awaits their end: set
    as `run.branches.children` by the service. Asked again for the same child (a restarted or redriven
    parent), it resumes or awaits that child instead of starting another, and redrives it when it
    did not succeed and its Map Run was redriven since it last ran. Cancelled
    while the child runs or starts (StopExecution of the parent, the Map Run failing), it aborts
    the child and raises ChildStopped, except when the server is shutting down (the child then
    resumes with its parent)."""

    async def run_child(self, request: ChildRequest) -> ChildEnd: ...

    async def ended(self, parent_arn: str, map_run_arn: str, count: int) -> dict[int, EndedChild]:
        """Index -> how it ended, of the children (of the `count`) of a resumed Map Run that ended."""
        ...


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

    def branches(self, step: RunBranches, frame: Frame) -> Json:
        """What stands for a Parallel's branches or a Map's iterations (TestState's `mock` of the
        state), or None: they run. May raise the StatesError the state then fails with."""
