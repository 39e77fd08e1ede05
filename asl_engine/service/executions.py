"""Executions: start them as asyncio tasks, stop them, and read what they recorded.

A Standard execution is committed (its row and its ExecutionStarted event) before StartExecution
answers, then runs as a task whose events reach the store through a non-blocking sink. Express
executions are not recorded, as on AWS (whose history for them goes to CloudWatch Logs only):
they run in memory, at most five minutes, and no history API accepts their ARNs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable, Generic, Sequence, TypeVar

from .. import arns
from ..allocator import shrink
from ..arns import AccountRegion
from ..clock import Clock
from ..compile import compile_definition
from ..errors import RUNTIME, TIMEOUT, DefinitionError
from ..execution import EventSink, ExecutionInfo, ExecutionOutcome, HistoryEvent, Json, ListSink
from .map_runs import MapRuns
from .parking import Parking
from .reclaim import Reclaim
from ..aws_errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidArn,
    InvalidExecutionInput,
    StateMachineTypeNotSupported,
    ValidationException,
)
from ..model import StateMachine
from ..json_read import parse_json
from ..payload import to_json
from ..position import TASK, Resume
from ..runtime.ports import MapRunChildren
from ..runtime.run import EXPRESS_LIMIT_SECONDS, ExecutionRun
from ..runtime.unloading import Unloaded
from ..store import ExecutionRecord, StateMachineRecord, Store
from ..store.errors import ServiceUnavailable, describe
from ..tasks.callbacks import RecordedToken
from ..tasks.dispatcher import TaskDispatcher
from ..limits import MAX_PAYLOAD_BYTES, exceeds
from ..tasks_api import TaskHandler
from ..watchdog import watchdog

log = logging.getLogger("asl_engine.executions")
T = TypeVar("T")
RECOVERY_POLL_SECONDS = 0.05
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
_STATUS_SET = "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
"""statusFilter's values in the order AWS's message lists them (recorded: LocalStack's snapshot of
ListExecutions with statusFilter 'succeeded')."""
REDRIVE_FILTERS = ("REDRIVEN", "NOT_REDRIVEN")


@dataclass
class Page(Generic[T]):
    """One page of a listing; `cursor` (plain data) resumes after it, None at the end."""

    items: list[T]
    cursor: Any = None


@dataclass
class SyncResult:
    """What StartSyncExecution returns: the whole execution, ended."""

    record: ExecutionRecord
    billed_ms: int


@dataclass
class _Live:
    run: ExecutionRun
    task: asyncio.Task[ExecutionOutcome | None]  # None: it left memory while it waits (`parking`)


class _DiscardSink:
    def emit(self, events: list[HistoryEvent], checkpoint: Json | None = None) -> None:
        return None

    async def written(self) -> None:
        return None

    def behind(self) -> bool:
        return False


class Executions:
    def __init__(self, store: Store, clock: Clock, dispatcher: TaskDispatcher) -> None:
        self.store = store
        self.clock = clock
        self.dispatcher = dispatcher
        self._live: dict[str, _Live] = {}
        # A Standard execution parked on a Wait, a task token or an activity task leaves memory
        # (runtime/unloading.py) and is loaded back through `resume` (service/parking.py).
        self.unloads = True
        self.parking = Parking(clock, self._load_parked)
        self._woken: set[str] = set()  # answered while leaving memory: loaded back at once
        self._stops: dict[str, tuple[str | None, str | None]] = {}  # asked of a parked one (stop_live)
        self._parents: dict[str, list[str]] = {}  # child ARN -> `.sync` parents out of memory until it ends
        self._adopting: set[str] = set()  # recorded RUNNING, being resumed here (`adopt`)
        dispatcher.callbacks.on_kept = self._answered
        dispatcher.activities.on_taken = self._answered  # a worker took a parked activity task
        self._express: set[asyncio.Task[ExecutionOutcome]] = set()  # strong refs until done
        self._compiled: dict[tuple[str, str | None], tuple[str, StateMachine]] = {}
        self._start_locks: dict[str, asyncio.Lock] = {}
        self._reclaim = Reclaim(self._shrink)  # memory back once a load of parked executions has ended
        self.map_runs = MapRuns(store, clock)  # told about Distributed Maps' runs (runtime/branches.py)
        self.children: MapRunChildren | None = None  # starts Distributed Maps' children (service/map_children.py)
        store.on_write_failed = self._write_failed
        # StartSyncExecution's run, handed to whoever moves a test's virtual clock while the
        # caller waits inside the request (asl_engine.testing); None: awaited as it is.
        self.sync_driver: Callable[[Awaitable[ExecutionOutcome]], Awaitable[ExecutionOutcome]] | None = None
        # Several servers on one PostgreSQL database (service/cluster.py): a task token names its
        # execution, and StopExecution of an execution another server runs is asked of that server.
        self.token_prefix: Callable[[str], str] = _no_prefix
        self.remote_stop: Callable[[str, str | None, str | None], Awaitable[float]] | None = None
        # ... and a Distributed Map's child, resumed by its parent's Map, is taken over from the
        # server that ran it (which stopped) first.
        self.take_over: Callable[[str], Awaitable[bool]] | None = None

    async def start(
        self, scope: AccountRegion, machine: StateMachineRecord, name: str | None, input_text: str | None,
        test_case: str | None = None, version_arn: str | None = None, alias_arn: str | None = None,
    ) -> ExecutionRecord:
        """StartExecution. Idempotent for Standard: the same name and input while RUNNING
        returns the original execution; otherwise a reused name is ExecutionAlreadyExists.
        `test_case` (checked by the caller) makes the mock file's test case answer its Tasks."""
        name, value, input_text = _arguments(name, input_text)
        tasks = self.dispatcher.for_execution(test_case, machine.name)
        if machine.type == "EXPRESS":
            info = self._info(machine, arns.express_execution_arn(scope, machine.name, name), name, value)
            compiled = self._compile(machine.arn, machine.revision_id, machine.definition)
            task = asyncio.create_task(self.run_express(compiled, info, tasks))
            self._express.add(task)
            task.add_done_callback(self._express.discard)
            return _record(machine, info, input_text, version_arn, alias_arn)
        arn = arns.execution_arn(scope, machine.name, name)
        lock = self._start_locks.setdefault(arn, asyncio.Lock())
        try:
            async with lock:  # per name: starts of different names still share one commit
                info = self._info(machine, arn, name, value)
                run: ExecutionRun | None = None
                record = _record(machine, info, input_text, version_arn, alias_arn, test_case)
                events = self._run_at_once(machine, info, tasks, record)
                # The row and ExecutionStarted (or the whole history of one that ran at once) in one
                # commit: once StartExecution answers, both are on disk, and the run itself goes on
                # without holding up the answer. A name in use is found by the insert, so a new
                # name costs no read first.
                try:
                    if events is not None:
                        try:
                            await self.store.create_execution(record, events)
                        except ValidationException:  # its history holds what cannot be stored (a lone
                            events = None  # surrogate from States.StringToJson): the usual run ends it FAILED, saying why
                    if events is None:
                        record = _record(machine, info, input_text, version_arn, alias_arn, test_case)
                        run = self._runner(machine, info, self.store.sink(arn), tasks)  # compile before recording
                        self._prepare(run, unloads=test_case is None)  # a mock test case counts its calls in memory
                        await self.store.create_execution(record, [run.announce()])
                except ExecutionAlreadyExists:
                    existing = await self.store.get_execution(arn)
                    if existing is not None and existing.status == "RUNNING" and json.loads(existing.input) == value:
                        return existing
                    raise
        finally:
            if not lock.locked():
                self._start_locks.pop(arn, None)
        if run is not None:
            self._launch(run, arn)
            log.debug("execution RUNNING %s", arn)
        return record

    def _run_at_once(self, machine: StateMachineRecord, info: ExecutionInfo, tasks: TaskHandler,
                     record: ExecutionRecord) -> list[HistoryEvent] | None:
        """The whole history of an execution of a machine whose states only compute (Pass,
        Choice, Succeed, Fail in JSONPath), run inside StartExecution and closed in `record`, or
        None to run it as usual: it would have shared the loop (a long run), or did not succeed
        (a failed one keeps positions for RedriveExecution, which the usual run saves). Its row
        and every event then go in one commit, instead of a commit for the start, an asyncio
        task for the run and another commit for its end (issue 20: the server's cost of a
        StartExecution)."""
        compiled = self._compile(machine.arn, machine.revision_id, machine.definition)
        if not compiled.program.at_once:
            return None
        sink = ListSink()
        run = ExecutionRun(compiled, info, clock=self.clock, sink=sink, tasks=tasks)
        run.keep_closing = True
        outcome = run.run_at_once()
        if outcome is None or outcome.status != "SUCCEEDED":
            return None
        _close(record, outcome)
        self._reclaim.ended(len(self._live) + len(self.parking), run.checkpoints.history.count)  # a load of them too
        return [*sink.events, *run.closing_events]

    async def start_child(self, record: ExecutionRecord, machine: StateMachine, info: ExecutionInfo,
                          tasks: TaskHandler) -> None:
        """Record and start a Standard execution the service starts itself, a Distributed Map's
        child (service/map_children.py): committed with its ExecutionStarted like any other."""
        info = replace(info, task_token_prefix=self.token_prefix(record.arn))
        run = ExecutionRun(machine, info, clock=self.clock, sink=self.store.sink(record.arn), tasks=tasks)
        self._prepare(run, unloads=False)  # its parent's Map awaits its task
        await self.store.create_execution(record, [run.announce()])
        self._launch(run, record.arn)

    def running(self, arn: str) -> tuple[ExecutionRun, asyncio.Task[ExecutionOutcome | None]] | None:
        """The run and task of an execution running here."""
        live = self._live.get(arn)
        return None if live is None else (live.run, live.task)

    async def start_sync(
        self, scope: AccountRegion, machine: StateMachineRecord, name: str | None, input_text: str | None,
        test_case: str | None = None, version_arn: str | None = None, alias_arn: str | None = None,
    ) -> SyncResult:
        """StartSyncExecution: Express only; runs to the end inside the request."""
        if machine.type != "EXPRESS":
            raise StateMachineTypeNotSupported()
        name, value, input_text = _arguments(name, input_text)
        info = self._info(machine, arns.express_execution_arn(scope, machine.name, name), name, value)
        tasks = self.dispatcher.for_execution(test_case, machine.name)
        run = self.run_express(self._compile(machine.arn, machine.revision_id, machine.definition), info, tasks)
        outcome = await (run if self.sync_driver is None else self.sync_driver(run))
        record = _record(machine, info, input_text, version_arn, alias_arn)
        _close(record, outcome)
        billed = max(100, int((outcome.stop_time - info.start_time) * 1000))
        return SyncResult(record, billed)

    async def describe(self, scope: AccountRegion, arn: str, express_children: bool = False) -> ExecutionRecord:
        """DescribeExecution (and the lookup behind every other call on an execution ARN).
        `express_children`: an Express execution a Map Run started is described too, as AWS's
        DescribeExecution does ("unless a Map Run dispatched them"); no other call takes one."""
        parsed = arns.parse_arn(arn)
        if parsed.resource_type == "express":
            record = await self.store.get_execution(arn) if express_children and parsed.scope == scope else None
            if record is None or record.map_run_arn is None:
                raise InvalidArn.wrong_type("express")
            return record
        if parsed.resource_type != "execution" or len(parsed.parts) != 2:
            raise InvalidArn.for_arn(arn)
        record = await self.store.get_execution(arn) if parsed.scope == scope else None
        if record is None:
            raise ExecutionDoesNotExist.for_arn(arn)
        return record

    async def list(
        self, machine: StateMachineRecord | None, status: str | None, after: int | None, limit: int,
        redrive_filter: str | None = None, map_run_arn: str | None = None,
        version_arn: str | None = None, alias_arn: str | None = None,
    ) -> Page[ExecutionRecord]:
        """ListExecutions, newest first; Express executions are not listed (not recorded).
        `redrive_filter`: REDRIVEN (redriven at least once) or NOT_REDRIVEN. `map_run_arn`
        (no `machine`): the child executions of that Map Run. `version_arn`, `alias_arn`: the
        machine's executions of that version, or started through that alias."""
        if machine is not None and machine.type == "EXPRESS":
            raise StateMachineTypeNotSupported()
        check_status_filter(status)
        if redrive_filter is not None and redrive_filter not in REDRIVE_FILTERS:
            raise ValidationException.constraint(
                redrive_filter, "redriveFilter", f"Member must satisfy enum value set: [{', '.join(REDRIVE_FILTERS)}]"
            )
        redriven = None if redrive_filter is None else redrive_filter == "REDRIVEN"
        items, cursor = await self.store.list_executions(machine.arn if machine is not None else "", status, after,
                                                         limit, redriven, map_run_arn, version_arn, alias_arn)
        return Page(items, cursor)

    async def stop(self, scope: AccountRegion, arn: str, error: str | None, cause: str | None) -> float:
        """StopExecution; returns the stop date. Stopping an ended execution changes nothing."""
        record = await self.describe(scope, arn)
        here = False
        while True:
            live = self._live.get(arn)
            if live is not None:
                live.run.stop(error, cause)
                await asyncio.wait({live.task})
            else:  # left memory while it waits: loaded back, then stopped as it would be in memory
                loading = self.parking.wake(arn)
                if loading is None:
                    break
                await asyncio.wait({loading})
            here = True
        if here:
            record = await self.describe(scope, arn)
        if record.status == "RUNNING" and not here and self.remote_stop is not None:  # another server runs it
            return await self.remote_stop(arn, error, cause)
        elif record.status == "RUNNING":  # recorded RUNNING but not running here: close it
            stopped = self.clock.time()
            await self.store.close_execution(arn, "ExecutionAborted", "ABORTED", error, cause, stopped)
            self._wake_parents(arn)
            return stopped
        return record.stop_date if record.stop_date is not None else self.clock.time()

    async def history(
        self, scope: AccountRegion, arn: str, after: int | None, limit: int, reverse: bool, include_data: bool
    ) -> Page[HistoryEvent]:
        """GetExecutionHistory: the events emitted so far, even while the execution runs."""
        await self.describe(scope, arn)
        events = await self.store.get_history(arn, after, limit + 1, reverse)
        page = events[:limit]
        if not include_data:
            page = [_without_data(event) for event in page]
        return Page(page, page[-1]["id"] if len(events) > limit else None)

    async def ended(self, arn: str) -> ExecutionRecord:
        """The execution once it has ended (a `.sync` parent waits on its child here).

        A child recorded RUNNING but not yet running here is one that recovery is about to
        resume (parents can resume first): look again shortly, without holding the clock."""
        while True:
            live = self._live.get(arn)
            if live is not None:
                await asyncio.wait({live.task})
            if arn in self.parking:  # left memory while it waits: it ends once loaded back
                await self.parking.loaded(arn)
                continue
            record = await self.store.get_execution(arn)
            if record is None:
                raise ExecutionDoesNotExist.for_arn(arn)
            if record.status != "RUNNING":
                return record
            with self.clock.busy():
                await asyncio.sleep(RECOVERY_POLL_SECONDS)

    async def recover(self) -> int:
        """Resume every execution recorded RUNNING from its saved position; returns how many.

        Called on start-up, before the server accepts requests. An execution whose closing event
        was committed but whose status was not (the process died in between) is only closed. One
        that cannot be resumed (its records do not decode, its definition no longer compiles) is
        ended FAILED with a cause that says why, and the others carry on: one execution never
        keeps the server from starting."""
        running = await self.store.list_running()
        await self.adopt(running)
        return len(running)

    async def adopt(self, running: Sequence[ExecutionRecord]) -> None:
        """Resume executions recorded RUNNING that do not run here: on start-up, or taken over
        from a server whose lease expired (service/cluster.py). What was committed for their
        task tokens (answers, heartbeats) is handed to the tasks as they register again."""
        arns = {record.arn for record in running}
        self.dispatcher.callbacks.recorded.update({
            token.token: RecordedToken(token.answer, token.heartbeat) for token in await self.store.task_tokens()
            if token.execution_arn in arns})
        self._adopting |= arns  # a `.sync` parent resumed before its child waits for it out of memory
        for record in running:
            try:
                if record.map_run_arn is not None:  # a Distributed Map's child: its parent's Map resumes it
                    await self._orphan(record, arns)
                    continue
                await self.resume(record)
            except Exception as exc:
                log.exception("execution %s cannot be resumed", record.arn)
                try:
                    await self._end_failed(record.arn, f"The execution could not be resumed after a restart: {exc!r}")
                except Exception:  # not even its end can be written: it stays for the next start
                    log.exception("execution %s cannot be ended", record.arn)
            finally:
                self._adopting.discard(record.arn)  # running here now, or ended (its parents woken)

    async def _orphan(self, record: ExecutionRecord, running: set[str]) -> None:
        """A child whose parent is not running any more (it ended as the server died) ends ABORTED;
        so does an Express child, which has no position to resume from (its parent runs it anew)."""
        map_run = await self.store.get_map_run(record.map_run_arn or "")
        express = arns.parse_arn(record.arn).resource_type == "express"
        if express or map_run is None or map_run.execution_arn not in running:
            await self.store.close_execution(record.arn, "ExecutionAborted", "ABORTED", None, None, self.clock.time())

    async def resume(self, record: ExecutionRecord, machine: StateMachine | None = None,
                     role_arn: str = "", flushed: bool = False) -> None:
        """Run a RUNNING execution from its saved position: after a restart, or a redrive
        (service/redrive.py), whose ExecutionRedriven event is the last one recorded. A
        Distributed Map's child is handed its `machine` (the ItemProcessor) and `role_arn` by
        its parent (service/map_children.py): it has no state machine of its own to look up."""
        if record.map_run_arn is not None and self.take_over is not None:
            await self.take_over(record.arn)
        position = await self.store.get_position(record.arn, flushed)
        last = position.last_event or {}
        if last.get("type", "").startswith("Execution") and last.get("type") not in ("ExecutionStarted",
                                                                                     "ExecutionRedriven"):
            await self._close_recorded(record, last)
            self._wake_parents(record.arn)
            return
        if machine is None:
            revision = await self.store.get_revision(record.state_machine_arn, record.revision_id)
            if revision is None:  # its state machine is gone: nothing to run it with
                await self._end_failed(record.arn, "The state machine no longer exists.")
                return
            machine = self._compile(record.state_machine_arn, record.revision_id, revision.definition)
            role_arn = revision.role_arn
        machine_name = arns.parse_arn(record.state_machine_arn).parts[0]
        info = ExecutionInfo(
            execution_arn=record.arn, name=record.name, state_machine_arn=record.state_machine_arn,
            state_machine_name=machine_name, role_arn=role_arn, start_time=record.start_date,
            task_token_prefix=self.token_prefix(record.arn),
            input=json.loads(record.input), redrive_count=record.redrive_count, redrive_time=record.redrive_date,
        )
        resume = Resume(dict(position.frames), int(last.get("id", 0)))
        for frame in position.frames.values():  # its tokens answer from now on, not once re-registered
            phase = frame.get("phase") or {}
            if phase.get("kind") == TASK and phase.get("token"):
                self.dispatcher.callbacks.expect(phase["token"], record.arn)
        tasks = self.dispatcher.for_execution(record.test_case, machine_name)
        run = ExecutionRun(machine, info, clock=self.clock, sink=self.store.sink(record.arn),
                           tasks=tasks, resume=resume)
        # A Distributed Map's child: its parent's Map awaits its task; a mock test case counts the
        # invocations of its mocked states in memory (a Retry or a loop would start them again).
        self._prepare(run, unloads=record.map_run_arn is None and record.test_case is None)
        self._launch(run, record.arn)
        stop = self._stops.pop(record.arn, None)
        if stop is not None:  # asked while it was out of memory (stop_live)
            run.stop(*stop)
        log.debug("execution RESUMED %s at event %s", record.arn, resume.last_event_id)

    async def _end_failed(self, arn: str, cause: str) -> None:
        """End an execution the runner cannot end: ExecutionFailed (States.Runtime, `cause`) after
        its last recorded event, and the status FAILED, in one transaction."""
        self._forget(arn)
        await self.store.close_execution(arn, "ExecutionFailed", "FAILED", RUNTIME, cause, self.clock.time())
        self._wake_parents(arn)  # those that waited out of memory while it was being closed
        log.error("execution FAILED %s: %s", arn, cause)

    def _write_failed(self, arn: str, why: str) -> None:
        """The store could not record a write of this execution: end it FAILED, saying why."""
        live = self._live.get(arn)
        if live is not None:
            live.run.abandon(_unrecorded(why))
        else:
            self.parking.wake(arn)  # loading it back ends it FAILED (`_load_parked`)

    def is_live(self, arn: str) -> bool:
        """Does the execution run on this server (in memory, or parked out of it)?"""
        return arn in self._live or arn in self.parking

    def stop_live(self, arn: str, error: str | None, cause: str | None) -> None:
        """StopExecution asked by another server, of an execution running here."""
        live = self._live.get(arn)
        if live is not None:
            live.run.stop(error, cause)
        elif arn in self.parking:  # stopped once loaded back (`resume`)
            self._stops[arn] = (error, cause)
            self.parking.wake(arn)

    def release(self, arn: str) -> None:
        """Another server runs the execution now (its lease here expired): stop running it
        here without recording anything, as a shutdown does."""
        live = self._live.get(arn)
        if live is not None:
            live.task.cancel()
        elif arn in self.parking:
            self.parking.forget(arn)
            self._forget(arn)

    def release_all(self) -> None:
        for arn in list(self._live):
            self.release(arn)
        for arn in self.parking.arns():
            self._forget(arn)
        self.parking.forget_all()

    def _forget(self, arn: str) -> None:
        """The execution ended (or runs elsewhere): its tokens and parked activity task answer
        nothing here, and `.sync` parents that left memory waiting for it are loaded back."""
        self.dispatcher.callbacks.forget(arn)
        self.dispatcher.activities.abandon(arn)
        self._wake_parents(arn)

    def _wake_parents(self, arn: str) -> None:
        for parent in self._parents.pop(arn, ()):
            self._answered(parent)

    def wake_on_end(self, child: str, parent: str) -> bool:
        """A `.sync` parent may leave memory until `child` ends: True when the child runs here
        (in memory, parked, or about to be resumed: `adopt`), whose end (`_forget`) loads the
        parent back; False (the parent waits in memory) for a child that has ended, an Express
        one (not recorded), or one another server runs."""
        if not self.is_live(child) and child not in self._adopting:
            return False
        parents = self._parents.setdefault(child, [])
        if parent not in parents:
            parents.append(parent)
        return True

    def _answered(self, arn: str) -> None:
        """An answer to a token of the execution was committed while its task is not registered:
        an execution out of memory is loaded back to consume it."""
        if arn in self._live:  # maybe leaving memory right now: `_park` loads it back
            self._woken.add(arn)
        else:
            self.parking.wake(arn)

    async def _park(self, run: ExecutionRun, arn: str, wake_at: float | None) -> None:
        """The run ended at a park point (runtime/unloading.py): once its position is on disk,
        only the parking entry remains. Answered or stopped meanwhile, it is loaded back at once."""
        with self.clock.busy():
            await self.store.flush()
        self._live.pop(arn, None)
        self.parking.park(arn, wake_at)
        if run.stop_request is not None or arn in self._woken or self.store.failure(arn) is not None:
            self._woken.discard(arn)
            if run.stop_request is not None:
                self._stops.setdefault(arn, run.stop_request)
            self.parking.wake(arn)

    async def _load_parked(self, arn: str) -> None:
        """Load a parked execution back through the restart path, as a restarted server would."""
        record = await self.store.get_execution(arn)
        if record is None or record.status != "RUNNING":
            self._forget(arn)
            self._stops.pop(arn, None)
            return
        why = self.store.failure(arn)
        if why is not None:
            self._stops.pop(arn, None)
            await self._end_failed(arn, _unrecorded(why))
            return
        try:
            await self.resume(record, flushed=True)  # its writes were flushed as it parked (`_park`)
        except ServiceUnavailable:
            raise  # the database is unreachable for now: service/parking.py loads it back again
        except Exception as exc:  # as after a restart (`adopt`): it ends, the others carry on
            log.exception("execution %s cannot be loaded back", arn)
            await self._end_failed(arn, f"The execution could not be resumed after it was parked: {exc!r}")

    async def _close_recorded(self, record: ExecutionRecord, last: HistoryEvent) -> None:
        status = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
                  "ExecutionAborted": "ABORTED", "ExecutionTimedOut": "TIMED_OUT"}[last["type"]]
        details: dict[str, Any] = next((v for k, v in last.items() if k.endswith("EventDetails")), {})
        output = details.get("output") if status == "SUCCEEDED" else None
        outcome = ExecutionOutcome(status, None, details.get("error"), details.get("cause"), last["timestamp"])
        await self.store.finish_execution(record.arn, outcome, output)

    async def shutdown(self) -> None:
        """Cancel running tasks without recording an outcome: they stay RUNNING in the store,
        where recovery can find them on the next start."""
        self.map_runs.closing = True
        await self.parking.close()
        tasks = [live.task for live in self._live.values()] + list(self._express)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.store.flush()

    # -- running -------------------------------------------------------------------------------

    def _info(self, machine: StateMachineRecord, arn: str, name: str, value: Json) -> ExecutionInfo:
        return ExecutionInfo(
            execution_arn=arn, name=name, state_machine_arn=machine.arn,
            state_machine_name=machine.name, role_arn=machine.role_arn,
            start_time=self.clock.time(), input=value, task_token_prefix=self.token_prefix(arn),
        )

    def _prepare(self, run: ExecutionRun, unloads: bool = True) -> None:
        """What the service hands every recorded run: the Map Run observer, the starter of a
        Distributed Map's child executions, its closing events kept for the final commit, and
        whether it leaves memory while it waits (`unloads`)."""
        run.map_runs = self.map_runs
        run.branches.children = self.children
        run.keep_closing = True
        run.unloader.enabled = unloads and self.unloads

    def _launch(self, run: ExecutionRun, arn: str) -> None:
        self._woken.discard(arn)
        task = asyncio.create_task(self._drive(run, arn), name=f"execution {arn}")
        self._live[arn] = _Live(run, task)

    def _runner(self, machine: StateMachineRecord, info: ExecutionInfo, sink: EventSink,
                tasks: TaskHandler) -> ExecutionRun:
        compiled = self._compile(machine.arn, machine.revision_id, machine.definition)
        return ExecutionRun(compiled, info, clock=self.clock, sink=sink, tasks=tasks)

    def _compile(self, arn: str, revision_id: str | None, definition: str) -> StateMachine:
        """Compile once per revision: every execution of it shares the immutable model."""
        key = (arn, revision_id)
        compiled = self._compiled.get(key)
        if compiled is None or compiled[0] != definition:
            try:
                model = compile_definition(definition)
            except DefinitionError as refused:  # stored by a release that accepted it
                raise ValidationException(
                    f"The state machine's stored definition can no longer run here: {refused}") from refused
            compiled = self._compiled[key] = (definition, model)
        return compiled[1]

    async def _drive(self, run: ExecutionRun, arn: str) -> ExecutionOutcome | None:
        """Run the execution and record its end: closing events and status in one commit. When
        one of its writes failed for good, its end is ExecutionFailed after the last event that
        was recorded (States.Runtime, saying why), never a RUNNING row left behind. None: it
        parked and left memory (`_park`)."""
        self._reclaim.started(len(self._live) + len(self.parking))
        parked = False
        try:
            try:
                outcome = await _outcome_of(run, self.clock)
            except Unloaded as unloaded:
                parked = True
                await self._park(run, arn, unloaded.wake_at)
                return None
            output = _json_text(outcome.output) if outcome.status == "SUCCEEDED" else None
            why = self.store.failure(arn)
            try:
                with self.clock.busy():  # committing, not waiting on time (a Map's parent awaits this end)
                    if why is None and run.closing_events:
                        await self.store.finish_execution(arn, outcome, output, run.closing_events,
                                                          run.closing_frames)
                    elif why is None:  # the engine crashed before it closed the history: close it here
                        await self.store.close_execution(arn, "ExecutionFailed", outcome.status, outcome.error,
                                                         outcome.cause, outcome.stop_time)
            except Exception as exc:
                why = self.store.failure(arn) or describe(exc)
            if why is not None:
                outcome = ExecutionOutcome("FAILED", None, RUNTIME, _unrecorded(why), self.clock.time())
                await self._end_failed(arn, _unrecorded(why))
            log.debug("execution %s %s", outcome.status, arn)
            return outcome
        finally:
            if not parked:
                self._live.pop(arn, None)
                self._woken.discard(arn)
                self._forget(arn)
            self._reclaim.ended(len(self._live) + len(self.parking),  # parked ones still run
                                run.checkpoints.history.count)

    def _shrink(self) -> None:
        """A load has left: the tables it grew are sized for what runs now (a dict keeps the
        table of its largest size: ~3-5 MB for 100,000 parked executions, per table)."""
        shrink(self._live, self._woken, self._stops, self._parents, self._adopting, self._start_locks)
        self.parking.shrink()
        self.dispatcher.activities.shrink()
        self.dispatcher.callbacks.shrink()

    async def run_express(self, machine: StateMachine, info: ExecutionInfo, tasks: TaskHandler) -> ExecutionOutcome:
        """Run an Express execution, ending it TIMED_OUT after AWS's five-minute limit."""
        run = ExecutionRun(machine, info, clock=self.clock, sink=_DiscardSink(), tasks=tasks)
        with watchdog(self.clock, info.start_time + EXPRESS_LIMIT_SECONDS, lambda: run.stop(TIMEOUT, None)) as dog:
            outcome = await _outcome_of(run, self.clock)
        if dog.expired:
            outcome = ExecutionOutcome("TIMED_OUT", None, TIMEOUT, None, outcome.stop_time)
        log.debug("execution %s %s", outcome.status, info.execution_arn)
        return outcome


async def _outcome_of(run: ExecutionRun, clock: Clock) -> ExecutionOutcome:
    """The run's outcome; an engine bug fails the execution instead of leaving it RUNNING."""
    try:
        outcome: ExecutionOutcome = await run.run()
        return outcome
    except Exception as exc:
        log.exception("execution %s crashed in the engine", run.info.execution_arn)
        return ExecutionOutcome("FAILED", None, RUNTIME, f"Internal error in asl-engine: {exc!r}", clock.time())


def _no_prefix(arn: str) -> str:
    return ""


def _unrecorded(why: str) -> str:
    return f"asl-engine could not record this execution's history: {why}"


def check_status_filter(status: str | None) -> None:
    """ListExecutions' statusFilter: one of STATUSES, or absent."""
    if status is not None and status not in STATUSES:
        raise ValidationException.constraint(status, "statusFilter", f"Member must satisfy enum value set: {_STATUS_SET}")


def _arguments(name: str | None, input_text: str | None) -> tuple[str, Json, str]:
    """Check a start request's name and input the way AWS does; returns them parsed."""
    name = str(uuid.uuid4()) if name is None else name
    arns.check_name(name)
    input_text = "{}" if input_text is None else input_text
    if not input_text:  # AWS's words for "" (recorded: LocalStack's snapshot of StartExecution)
        raise InvalidExecutionInput("Invalid State Machine Execution Input: 'Invalid execution input.'")
    if exceeds(input_text):
        raise InvalidExecutionInput(
            f"Invalid State Machine Execution Input: 'The input exceeds the maximum size of {MAX_PAYLOAD_BYTES} bytes'"
        )
    try:
        value = parse_json(input_text)
    except ValueError as exc:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc}'") from None
    return name, value, input_text


def _record(machine: StateMachineRecord, info: ExecutionInfo, input_text: str,
            version_arn: str | None = None, alias_arn: str | None = None,
            test_case: str | None = None) -> ExecutionRecord:
    return ExecutionRecord(
        arn=info.execution_arn, state_machine_arn=machine.arn, name=info.name,
        revision_id=machine.revision_id, status="RUNNING", input=input_text, start_date=info.start_time,
        state_machine_version_arn=version_arn, state_machine_alias_arn=alias_arn, test_case=test_case,
    )


def _close(record: ExecutionRecord, outcome: ExecutionOutcome) -> None:
    record.status = outcome.status
    record.stop_date = outcome.stop_time
    record.error, record.cause = outcome.error, outcome.cause
    if outcome.status == "SUCCEEDED":
        record.output = _json_text(outcome.output)


def _json_text(value: Json) -> str:
    """Output as AWS returns it: compact JSON text."""
    return to_json(value)


def _without_data(event: HistoryEvent) -> HistoryEvent:
    """includeExecutionData=false: the same events with every input and output removed."""
    trimmed = dict(event)
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            trimmed[key] = {k: v for k, v in value.items() if k not in ("input", "output")}
    return trimmed
