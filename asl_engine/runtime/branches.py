"""Map and Parallel, the shell's collaborator for `RunBranches`: iterations and branches side by
side as coroutines, results in order.

A failing branch fails the state with its own error and stops its siblings. Map honours
MaxConcurrency (0 = no limit); MaxConcurrency 1 runs iterations one after another without
creating tasks at all. A DISTRIBUTED Map starts one child execution per item (or batch) through
the `MapRunChildren` port the service sets (`children`, runtime/ports.py): as on AWS, only the
MapRun* events appear in the parent's history, each child has its own. Without that port (the
in-process runner) its items run here as iterations whose events are not recorded. Its
ItemReader, ItemBatcher and ResultWriter are asl_engine.distributed's (read, batch, export).

Each branch or iteration runs in a frame of its own (`position.Frame`) through the shell's
`run_program`, handed in as `run_scope`; its outcome is saved (DONE/FAILED) so a restarted server
does not run a finished one again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .. import model as m
from ..clock import Clock
from ..engine.step import RunBranches
from ..errors import EXCEED_TOLERATED_FAILURE_THRESHOLD, RUNTIME, TIMEOUT, StatesError
from ..execution import ExecutionInfo, ListSink
from ..history import History
from ..position import BranchesPhase, DonePhase, FailedPhase, Frame, Resume, phase_from_json
from ..offload import settle, share_loop
from ..tasks_api import TaskHandler
from ..distributed import names
from ..distributed import run as distributed
from ..distributed.evaluate import Source
from .checkpoints import Checkpoints
from .ports import RERUN, ChildEnd, ChildRequest, ChildStopped, EndedChild, MapRunChildren, MapRunObserver

log_ = logging.getLogger("asl_engine.branches")
Json = Any
RunScope = Callable[[m.Program, Json, Frame], Awaitable[Json]]
INLINE_CONCURRENCY = 40  # AWS's bound on an inline Map's concurrent iterations


class _Discard(ListSink):
    """The events of a Distributed Map's child executions, which the parent never shows."""

    def emit(self, events: list[Any], checkpoint: Json | None = None) -> None:
        return None


class Branches:
    """Runs the Parallel and Map states of one execution."""

    def __init__(self, clock: Clock, checkpoints: Checkpoints, resume: Resume | None, info: ExecutionInfo,
                 handler: TaskHandler | None, stopping: Callable[[], bool]) -> None:
        self.clock = clock
        self.checkpoints = checkpoints
        self.resume = resume
        self.info = info
        self.handler = handler  # a Distributed Map reads and writes S3 through it
        self.stopping = stopping  # StopExecution or the timeout (not a shutdown) is ending the run
        # Told about Distributed Maps' runs (DescribeMapRun); the service sets it, tests need not.
        self.map_runs: MapRunObserver | None = None
        # Starts a Distributed Map's children as executions (service/map_children.py); None: inline.
        self.children: MapRunChildren | None = None

    async def run(self, step: RunBranches, frame: Frame, run_scope: RunScope) -> list[Json]:
        """The results of a Parallel's branches or a Map's iterations, in order; each runs
        through `run_scope` (the shell's) in a frame of its own."""
        if step.items is None:
            return await self._parallel(step, frame, run_scope)
        return await self._map(step, frame, run_scope)

    async def _map(self, step: RunBranches, frame: Frame, run_scope: RunScope) -> list[Json]:
        state = step.state
        assert isinstance(state, m.MapState) and step.items is not None
        value, items, concurrency = step.value, step.items, step.max_concurrency
        source = Source(value, step.ctx.context, step.ctx.variables, state.flow)
        store = distributed.store_factory(self.handler)
        weights: list[int] | None = None  # with an ItemBatcher: the items are batches of this many
        resumed = frame.take_resumed(BranchesPhase)
        observer = self.map_runs if state.distributed else None
        read: list[Json] | None = None  # what the ItemReader read now, kept with the Map Run
        if state.item_reader is not None:
            kept = None
            if resumed is not None and resumed.map_run_arn is not None and observer is not None:
                # A Map Run that started is resumed or redriven with the items it read then: it
                # "uses the same input provided in the original execution attempt", while one that
                # never started reads "the input in the Amazon S3 bucket" (redrive-map-run.html).
                with self.clock.busy():
                    kept = await observer.map_run_items(resumed.map_run_arn)
            if kept is None:
                items = read = await distributed.read_items(state.item_reader, source, store, self.clock)
            else:
                items = kept
        if state.item_batcher is not None:
            inputs = [await self._item_input(step, index, item) for index, item in enumerate(items)]
            items = distributed.batch(state.item_batcher, source, inputs)
            weights = [len(child["Items"]) for child in items]
        if resumed is None:
            frame.record("MapStateStarted", {"length": len(items)})
        tolerated_count, tolerated_percentage = await settle(step.tolerated, self.clock)
        # Tolerated failures count items: a failed batch fails all of its items (AWS developer guide,
        # maprun-fail-threshold.html: "the total number of failed or timed out items divided by the
        # total number of items").
        tolerance = tolerated_failures(sum(weights) if weights is not None else len(items), tolerated_count,
                                       tolerated_percentage)
        map_run: tuple[MapRunObserver, str] | None = None
        log: distributed.ChildLog | None = None
        map_run_arn = None
        rerun: dict[int, str] = {}  # the children a redriven Map Run redrives -> how they had ended
        if state.distributed:
            # The ARN rides in the saved phase, so a resumed map reports to the same Map Run.
            map_run_arn = resumed.map_run_arn if resumed is not None else None
            if map_run_arn is None:
                map_run_arn = names.map_run_arn(self.info.state_machine_arn,
                                                state.label or str(uuid.uuid4())[:8])
            if resumed is None:
                frame.record("MapRunStarted", {"mapRunArn": map_run_arn})
            elif resumed.redrive_count is not None:  # RedriveExecution reruns its unsuccessful items (service/redrive.py)
                frame.record("MapRunRedriven", {"mapRunArn": map_run_arn, "redriveCount": resumed.redrive_count})
            if observer is not None:
                ended: dict[int, EndedChild] = {}
                if resumed is not None and self.children is not None:  # which children it redrives
                    with self.clock.busy():
                        ended = await self.children.ended(self.info.execution_arn, map_run_arn, len(items))
                    rerun = {index: _OUTCOMES[child.status] for index, child in ended.items()
                             if child.disposition == RERUN}
                map_run = (observer, map_run_arn)
                observer.map_run_started(self.info.execution_arn, map_run_arn,
                                         sum(weights) if weights is not None else len(items), concurrency or 0,
                                         float(tolerated_percentage or 0), tolerated_count or 0,
                                         len(items) if weights is not None else None, read,
                                         [(child, weights[index] if weights is not None else 1)
                                          for index, child in ended.items()])
            if state.result_writer is not None:
                log = distributed.ChildLog(map_run_arn, state.express_children)
        if state.distributed:  # durable before any child exists: a restarted parent finds its Map Run again
            self.checkpoints.commit(frame, BranchesPhase(map_run_arn))
        else:
            self.checkpoints.save(frame, BranchesPhase(map_run_arn))
        limits = Limits(_concurrency(state, concurrency), tolerance, live=map_run is not None,
                        declared=bool(tolerated_count or tolerated_percentage) if state.distributed else tolerance > 0)
        if map_run is not None:
            total = sum(weights) if weights is not None else len(items)
            map_run[0].map_run_watch(map_run[1], lambda most, percentage, count: limits.change(
                most, tolerated_failures(total, count, percentage), bool(count or percentage)))
        spawn = None
        if state.distributed and self.children is not None and map_run_arn is not None:
            spawn = _Spawn(self.children, self.info.execution_arn, map_run_arn, state, rerun)
        iterations = [self._iteration(step, index, item, frame, run_scope, map_run, log,
                                      weights[index] if weights is not None else None, spawn)
                      for index, item in enumerate(items)]
        try:
            results = await _run_all(iterations, limits, weights)
        except StatesError as failure:
            if state.result_writer is not None and log is not None:
                await self._export_unfinished(state.result_writer, source, store, log, items, map_run, weights)
            raise _map_run_failed(state, frame, failure, map_run) from None
        except asyncio.CancelledError:
            if state.distributed and self.stopping() and state.result_writer is not None and log is not None:
                await self._export_unfinished(state.result_writer, source, store, log, items, map_run, weights)
            self._map_run_aborted(state, frame, map_run)
            raise
        if state.result_writer is not None and log is not None:
            # ResultWriter failing (States.ResultWriterFailed) fails the Map Run too: it ends FAILED,
            # the history MapRunFailed, MapStateFailed (input-output-resultwriter.html).
            try:
                results = await distributed.result(state.result_writer, source, store, self.clock, log, len(items))
            except StatesError as failure:
                raise _map_run_failed(state, frame, failure, map_run) from None
            except asyncio.CancelledError:
                self._map_run_aborted(state, frame, map_run)
                raise
            _written(map_run, log, weights, state.result_writer.spec.exports)
        if state.distributed:
            frame.record("MapRunSucceeded")
            if map_run is not None:
                map_run[0].map_run_ended(map_run[1], "SUCCEEDED")
        frame.record("MapStateSucceeded")
        return results

    def _map_run_aborted(self, state: m.MapState, frame: Frame, map_run: tuple[MapRunObserver, str] | None) -> None:
        """The Map Run ends ABORTED: StopExecution or the timeout (MapRunAborted, before the run's
        ExecutionAborted/TimedOut), or a shutdown (its observer keeps it RUNNING to resume)."""
        if state.distributed and self.stopping():
            frame.record("MapRunAborted")
        if map_run is not None:
            map_run[0].map_run_ended(map_run[1], "ABORTED")

    async def _export_unfinished(self, result_writer: Any, source: Source, store: distributed.StoreFactory,
                                 log: distributed.ChildLog, inputs: list[Json],
                                 map_run: tuple[MapRunObserver, str] | None, weights: list[int] | None) -> None:
        """ResultWriter of a Map Run that failed or was aborted; its own failure to write does not
        replace the Map Run's error (it is logged)."""
        try:
            await distributed.export_unfinished(result_writer, source, store, self.clock, log, inputs)
        except StatesError as refused:
            log_.warning("ResultWriter of %s could not export: %s", log.map_run_arn, refused.cause)
            return
        _written(map_run, log, weights, result_writer.spec.exports)

    async def _item_input(self, step: RunBranches, index: int, item: Json) -> Json:
        """An item's input: ItemSelector against the item's `$$.Map.Item`, or the item."""
        if step.state.flow.offloaded:
            return await settle(lambda: step.item_input(index, item), self.clock)
        return step.item_input(index, item)

    def _iteration(
        self, step: RunBranches, index: int, item: Json, frame: Frame, run_scope: RunScope,
        map_run: tuple[MapRunObserver, str] | None = None, log: distributed.ChildLog | None = None,
        batch_size: int | None = None, spawn: _Spawn | None = None,
    ) -> Callable[[], Awaitable[Json]]:
        """One child; `batch_size` set: `item` is already its input, a batch of that many items;
        `spawn` set: the child is an execution of its own."""
        state = step.state
        assert isinstance(state, m.MapState)
        prepared = batch_size is not None
        items = batch_size or 1

        async def iterate() -> Json:
            await share_loop()  # before any work: thousands of iterations may be ready at once
            item_input = item if prepared else await self._item_input(step, index, item)
            history = _Unrecorded(self.clock) if state.distributed else frame.history
            events = None if state.distributed else ("MapIteration", {"name": state.name, "index": index})
            if map_run is None and log is None and spawn is None:
                return await self._child(run_scope, frame, index, state.processor, item_input, history, events)
            clock = self.clock
            if log is not None:
                log.start(index, item_input, clock.time())
            _tell(map_run, "running", items, spawn.rerun.get(index) if spawn is not None else None)
            child_arn = None
            try:
                if spawn is not None:
                    output, child_arn = await self._spawned(spawn, frame, index, item_input, map_run, items)
                else:
                    output = await self._child(run_scope, frame, index, state.processor, item_input, history,
                                               events)
                    _tell(map_run, "succeeded", items)
            except _ChildFailed as failed:
                if log is not None:
                    log.end(index, clock.time(), error=failed.error.error, cause=failed.error.cause,
                            status=failed.status, execution_arn=failed.execution_arn)
                raise failed.error from None
            except StatesError as failure:
                _tell(map_run, "failed", items)
                if log is not None:
                    log.end(index, clock.time(), error=failure.error, cause=failure.cause, status="FAILED")
                raise
            except ChildStopped as stopped:
                if log is not None:
                    end = stopped.end
                    log.end(index, clock.time(), output=end.output, error=end.error, cause=end.cause,
                            status=end.status, execution_arn=end.execution_arn)
                raise
            except asyncio.CancelledError:
                if spawn is None:
                    _tell(map_run, "aborted", items)
                elif log is not None:  # its child never started: ResultWriter counts it PENDING
                    log.started.pop(index, None)
                raise
            if log is not None:
                log.end(index, clock.time(), output=output, execution_arn=child_arn)
            return output

        return iterate

    async def _spawned(self, spawn: _Spawn, parent: Frame, index: int, child_input: Json,
                       map_run: tuple[MapRunObserver, str] | None, items: int) -> tuple[Json, str | None]:
        """A child execution's output and ARN. An EXPRESS child is not recorded, so its outcome is
        kept in the parent's position instead, committed as it ends (the parent records nothing
        else while its Map runs): a restarted or redriven parent does not run a child that ended
        again (a STANDARD child's record says it, service/map_children.py)."""
        if not spawn.state.express_children:
            return await spawn.run(index, child_input, map_run, items)
        child = Frame(parent.child_id(index), parent.previous, parent.history, None)
        saved = self.resume.take(child.id) if self.resume is not None else None
        ended = phase_from_json(saved["phase"]) if saved is not None else None
        if isinstance(ended, DonePhase):
            _tell(map_run, "succeeded", items)
            return ended.output, None
        if isinstance(ended, FailedPhase):  # a restart (a redrive turned it into REDRIVE: it runs again)
            _tell(map_run, "failed", items)
            raise _ChildFailed(StatesError(ended.error, ended.cause), "FAILED", None)
        try:
            output, arn = await spawn.run(index, child_input, map_run, items)
        except _ChildFailed as failed:
            self.checkpoints.commit(child, FailedPhase(failed.error.error, failed.error.cause))
            raise
        self.checkpoints.commit(child, DonePhase(output))
        return output, arn

    async def _parallel(self, step: RunBranches, frame: Frame, run_scope: RunScope) -> list[Json]:
        value, history = step.value, frame.history
        if frame.take_resumed(BranchesPhase) is None:
            frame.record("ParallelStateStarted")
        self.checkpoints.save(frame, BranchesPhase())

        def branch(index: int, program: m.Program) -> Callable[[], Awaitable[Json]]:
            return lambda: self._child(run_scope, frame, index, program, value, history, None)

        try:
            sequential = all(program.synchronous for program in step.programs)
            jobs = [branch(index, program) for index, program in enumerate(step.programs)]
            results = await _run_all(jobs, Limits(1 if sequential else 0, 0))
        except StatesError as failure:
            raise failure.replace(from_branches=True) from None
        frame.record("ParallelStateSucceeded")
        return results

    async def _child(
        self, run_scope: RunScope, parent: Frame, index: int, program: m.Program, value: Json, history: History,
        events: tuple[str, dict[str, Json]] | None,
    ) -> Json:
        """Run one branch or iteration in a frame of its own, or take its saved outcome.

        `events` names the event family (MapIteration) and its details; Parallel branches and
        Distributed Map children record none of their own."""
        child = Frame(parent.child_id(index), parent.previous, history,
                      dict(parent.variables) if parent.variables is not None else None,
                      aborts=events is None and history is parent.history)
        resume = self.resume
        saved = resume.frames.get(child.id) if resume is not None else None
        ended = phase_from_json(saved["phase"]) if saved is not None else None
        if isinstance(ended, (DonePhase, FailedPhase)):
            resume.take(child.id)  # type: ignore[union-attr]
            if isinstance(ended, DonePhase):
                return ended.output
            raise StatesError(ended.error, ended.cause)
        if saved is None and events is not None:
            child.previous = history.add(events[0] + "Started", parent.previous, events[1])
        try:
            output = await run_scope(program, value, child)
        except StatesError as failure:
            self.checkpoints.save(child, FailedPhase(failure.error, failure.cause))
            if events is not None:
                history.add(events[0] + "Failed", child.previous, events[1])
            raise
        except asyncio.CancelledError:
            if events is not None:
                history.add(events[0] + "Aborted", child.previous, events[1])
            raise
        self.checkpoints.save(child, DonePhase(output))
        if events is not None:
            history.add(events[0] + "Succeeded", child.previous, events[1])
        return output


_OUTCOMES = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut", "ABORTED": "aborted"}


class _ChildFailed(Exception):
    """A child execution that did not succeed: the error its Map sees, and its status."""

    def __init__(self, error: StatesError, status: str, execution_arn: str | None) -> None:
        super().__init__(error.error)
        self.error, self.status, self.execution_arn = error, status, execution_arn


@dataclass
class _Spawn:
    """A Distributed Map's children as executions of their own (the `MapRunChildren` port)."""

    port: MapRunChildren
    parent_arn: str
    map_run_arn: str
    state: m.MapState
    rerun: dict[int, str]  # index -> how the child had ended, for those its redriven Map Run redrives

    async def run(self, index: int, child_input: Json, map_run: tuple[MapRunObserver, str] | None,
                  items: int) -> tuple[Json, str | None]:
        """The child's output and ARN; raises _ChildFailed when it did not succeed."""
        processor = m.StateMachine(self.state.processor, None, None)
        request = ChildRequest(self.parent_arn, self.map_run_arn, index, processor, child_input,
                               self.state.express_children)
        try:
            end: ChildEnd = await self.port.run_child(request)
        except ChildStopped as stopped:  # stopped with its Map Run, or it had ended first
            _tell(map_run, _OUTCOMES[stopped.end.status], items)
            raise
        except asyncio.CancelledError:  # never started: its items are still pending (or pending redrive)
            _tell(map_run, "pending", items, self.rerun.get(index))
            raise
        _tell(map_run, _OUTCOMES[end.status], items)
        if end.status == "SUCCEEDED":
            return end.output, end.execution_arn
        error = StatesError(end.error or (TIMEOUT if end.status == "TIMED_OUT" else RUNTIME), end.cause)
        raise _ChildFailed(error, end.status, end.execution_arn)


def _map_run_failed(state: m.MapState, frame: Frame, failure: StatesError,
                    map_run: tuple[MapRunObserver, str] | None) -> StatesError:
    """The Map state fails with `failure` (its MapStateFailed follows); a Distributed Map's Map
    Run fails with it (MapRunFailed, DescribeMapRun FAILED)."""
    if state.distributed:
        frame.record("MapRunFailed", _error_details(failure))
        if map_run is not None:
            map_run[0].map_run_ended(map_run[1], "FAILED")
    return failure.replace(from_branches=True)


def _written(map_run: tuple[MapRunObserver, str] | None, log: distributed.ChildLog, weights: list[int] | None,
             exported: bool) -> None:
    """ResultWriter exported the children that ended (DescribeMapRun's `resultsWritten`)."""
    if map_run is not None and exported:
        items = sum(weights[index] if weights is not None else 1 for index in log.ended)
        map_run[0].map_run_written(map_run[1], items, len(log.ended))


def _tell(map_run: tuple[MapRunObserver, str] | None, outcome: str, items: int,
          redriven: str | None = None) -> None:
    if map_run is not None:
        map_run[0].map_run_item(map_run[1], outcome, items, redriven)


class _Unrecorded(History):
    """A Distributed Map child's history: AWS keeps it in the child execution, not the parent's."""

    def __init__(self, clock: Any) -> None:
        super().__init__(clock, _Discard())

    def add(self, event_type: str, previous: int, details: dict[str, Json] | None = None) -> int:
        self.count += 1
        return self.count


def _concurrency(state: m.MapState, asked: int | None) -> int:
    """How many iterations run at once (0: all). An inline Map runs up to 40, as AWS's does
    (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html): a large one then
    keeps 40 iterations ready to run, not thousands, and shares the loop like any execution."""
    if state.processor.synchronous:
        return 1
    if state.distributed:
        return asked or 0
    return min(asked or INLINE_CONCURRENCY, INLINE_CONCURRENCY)


@dataclass
class Limits:
    """How many jobs run at once (0: all) and how many failed items are tolerated. A running
    Distributed Map's are `live`: UpdateMapRun changes them (`change`) while its children run.
    `declared`: a Distributed Map states a tolerated failure count or percentage (not 0), so
    exceeding it fails with States.ExceedToleratedFailureThreshold, also when the percentage
    tolerates no item at all (5 % of 10 items); an inline Map's tolerates at least one."""

    concurrency: int
    tolerance: int
    live: bool = False
    declared: bool = False
    wake: Callable[[], None] = lambda: None

    def change(self, concurrency: int, tolerance: int, declared: bool) -> None:
        self.concurrency, self.tolerance, self.declared = concurrency, tolerance, declared
        self.wake()


async def _run_all(jobs: list[Callable[[], Awaitable[Json]]], limits: Limits,
                   weights: list[int] | None = None) -> list[Json]:
    """Run jobs, at most `limits.concurrency` at once (0: all); results in job order.

    Up to `limits.tolerance` failures are tolerated (their error output takes the result's place);
    one more fails the whole run with its own error, or with ExceedToleratedFailureThreshold
    when a tolerance was declared. A job's failure counts `weights[index]` (the items of a
    batch), 1 without weights. Live limits are read again whenever a job ends or they change.
    """
    results: list[Json] = [None] * len(jobs)
    failures = 0
    last: StatesError | None = None

    def failed(index: int, failure: StatesError) -> None:
        nonlocal failures, last
        failures += weights[index] if weights is not None else 1
        results[index] = _error_output(failure)
        last = failure
        if failures > limits.tolerance:
            raise _threshold(failure, limits) from failure

    if not limits.live and (limits.concurrency == 1 or len(jobs) <= 1):
        for index, job in enumerate(jobs):
            try:
                results[index] = await job()
            except StatesError as failure:
                failed(index, failure)
        return results
    # Lanes take the jobs in order, each the next one when it is free: a Map of 3,000 items with
    # concurrency 40 is 40 coroutines, not 3,000 tasks made (and parked) at once. A lane ends when
    # the jobs run out or there are more lanes than the (live) concurrency allows.
    next_job = 0
    lanes_running = 0

    def wanted() -> int:
        return len(jobs) if limits.concurrency <= 0 else limits.concurrency

    async def lane(index: int) -> None:
        nonlocal next_job, lanes_running
        try:
            while True:
                try:
                    results[index] = await jobs[index]()
                except StatesError as failure:
                    failed(index, failure)
                if next_job >= len(jobs) or lanes_running > wanted():
                    return
                index, next_job = next_job, next_job + 1
        finally:
            lanes_running -= 1

    lanes: set[asyncio.Future[None]] = set()

    def spawn() -> None:
        nonlocal next_job, lanes_running
        while lanes_running < wanted() and next_job < len(jobs):
            lanes_running += 1
            lanes.add(asyncio.ensure_future(lane(next_job)))
            next_job += 1

    changed = asyncio.Event()
    limits.wake = changed.set
    spawn()
    try:
        while lanes:
            waiter = asyncio.ensure_future(changed.wait()) if limits.live else None
            watched: set[asyncio.Future[Any]] = set(lanes) | ({waiter} if waiter is not None else set())
            done, _ = await asyncio.wait(
                watched, return_when=asyncio.FIRST_COMPLETED if limits.live else asyncio.FIRST_EXCEPTION)
            if waiter is not None:
                waiter.cancel()
            changed.clear()
            for task in done:
                if task is waiter:
                    continue
                lanes.discard(task)
                error = task.exception()
                if error is not None:
                    raise error
            if last is not None and failures > limits.tolerance:  # UpdateMapRun lowered the tolerance
                raise _threshold(last, limits) from last
            spawn()
    finally:
        limits.wake = lambda: None
        for task in lanes:
            if not task.done():
                task.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)
    return results


def _threshold(failure: StatesError, limits: Limits) -> StatesError:
    """No tolerance declared (and every inline Map, every Parallel): the iteration's own error;
    else the threshold's: "Step Functions returns a States.ExceedToleratedFailureThreshold error
    when the Map Run fails because the specified threshold is exceeded"
    (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html)."""
    return threshold_exceeded() if limits.declared else failure


def threshold_exceeded() -> StatesError:
    """A Map failed more iterations than it tolerates (also TestState's mapIterationFailureCount)."""
    return StatesError(EXCEED_TOLERATED_FAILURE_THRESHOLD, "The specified tolerated failure threshold was exceeded")


def _error_output(failure: StatesError) -> Json:
    return {"Error": failure.error, "Cause": failure.cause}


def _error_details(failure: StatesError) -> dict[str, str]:
    return {key: value for key, value in (("error", failure.error), ("cause", failure.cause)) if value is not None}


def tolerated_failures(total: int, count: int | None, percentage: float | None) -> int:
    """How many failed items a Map of `total` tolerates (the larger of count and percentage)."""
    tolerated = count or 0
    if percentage:
        tolerated = max(tolerated, math.floor(total * percentage / 100))
    return tolerated
