"""A Distributed Map's child executions: the `MapRunChildren` port (runtime/ports.py) the service
hands every recorded run.

As on AWS (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html), each
child is an execution of its own, of `ProcessorConfig.ExecutionType`: its state machine is
`...:stateMachine:<machine>/<label>`, its ARN `...:execution:<machine>/<label>:<name>`, and
DescribeExecution shows its `mapRunArn`. A STANDARD child is recorded like any execution
(Executions.start_child: ListExecutions(mapRunArn), DescribeExecution, GetExecutionHistory); an
EXPRESS child runs in memory like every Express execution, but its row is recorded, as AWS's
DescribeExecution and ListExecutions(mapRunArn) show Express children too; it has no history.

A child's name is derived from its Map Run and its index, so the parent's Map, asked again for the
same child (a restarted server resuming the parent, a redrive), finds it: RUNNING and not running
here, it resumes (through Executions.resume, the restart path, with the ItemProcessor its parent
hands it); ended, its end is the answer, unless it did not succeed and its parent was redriven
since it last ran (the parent's redriveDate is not before its last start): then it is redriven as
RedriveExecution would (service/redrive.py), from where it stopped, also when a restart comes
between the parent's redrive and the child's turn. Recovery therefore leaves
children to their parents (Executions.adopt).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, replace

from .. import arns
from ..distributed import names
from ..execution import ExecutionInfo, ExecutionOutcome
from ..payload import to_json
from ..runtime.ports import KEPT, NOT_REDRIVABLE, RERUN, ChildEnd, ChildRequest, ChildStopped, EndedChild
from ..store import ExecutionRecord, Store
from ..tasks_api import TaskHandler
from .executions import Executions
from .redrive import Redrive

_PARENTS_KEPT = 256  # parents whose role and test case are cached (one lookup per Map Run, not per child)


@dataclass(frozen=True)
class _Parent:
    role_arn: str
    test_case: str | None
    machine_name: str
    revision_id: str | None


class MapChildren:
    def __init__(self, store: Store, executions: Executions, redrive: Redrive) -> None:
        self.store = store
        self.executions = executions
        self.redrive = redrive
        self._parents: dict[str, _Parent] = {}

    async def run_child(self, request: ChildRequest) -> ChildEnd:
        busy = self.executions.clock.busy  # store I/O, not waiting on time (a virtual clock holds still)
        with busy():
            parent = await self._parent(request.parent_arn)
        name = _child_name(request.map_run_arn, request.index)
        info = ExecutionInfo(
            execution_arn="", name=name, state_machine_arn=names.child_machine_arn(request.map_run_arn),
            state_machine_name=names.child_machine_arn(request.map_run_arn).split(":stateMachine:", 1)[1],
            role_arn=parent.role_arn, start_time=self.executions.clock.time(), input=request.input,
        )
        tasks = self.executions.dispatcher.for_execution(parent.test_case, parent.machine_name)
        if request.express:
            return await self._express(request, parent, name, info, tasks)
        starting = asyncio.ensure_future(self._start(request, parent, name, info, tasks))
        try:
            with busy():
                arn = await asyncio.shield(starting)
        except asyncio.CancelledError:
            if self.executions.map_runs.closing:
                raise
            # Its Map Run failed or its parent stopped while it was being started: once it is
            # recorded and launched, it is stopped like a running child, never left RUNNING.
            with busy():
                arn = await starting
            raise ChildStopped(await self._stop(arn)) from None
        return await self._end(arn)

    async def _start(self, request: ChildRequest, parent: _Parent, name: str, info: ExecutionInfo,
                     tasks: TaskHandler) -> str:
        """Start, resume or redrive a Standard child (or find it ended); its ARN."""
        arn = names.child_execution_arn(request.map_run_arn, name)
        record = await self.store.get_execution(arn)
        if record is None:
            record = ExecutionRecord(
                arn=arn, state_machine_arn=info.state_machine_arn, name=name, revision_id=parent.revision_id,
                status="RUNNING", input=to_json(request.input), start_date=info.start_time,
                test_case=parent.test_case, map_run_arn=request.map_run_arn)
            await self.executions.start_child(record, request.machine, _with_arn(info, arn), tasks)
        elif record.status == "RUNNING" and self.executions.running(arn) is None:
            await self.executions.resume(record, request.machine, parent.role_arn)
        elif record.status != "SUCCEEDED" and await self._redriven_since(record, request.parent_arn):
            await self.redrive.redrive_child(arn, request.machine, parent.role_arn)
        return arn

    async def _redriven_since(self, child: ExecutionRecord, parent_arn: str) -> bool:
        """Was the parent redriven after the child last started (and can the child be redriven)?"""
        parent = await self.store.get_execution(parent_arn)
        return (parent is not None and _redriven_after(child, parent.redrive_date)
                and self.redrive.status(child).reason is None)

    async def ended(self, parent_arn: str, map_run_arn: str, count: int) -> dict[int, EndedChild]:
        """The children of a resumed Map Run that ended, and what `run_child` will do with each
        (for DescribeMapRun's pendingRedrive and failuresNotRedrivable, service/map_runs.py): an
        Express child that did not succeed runs anew ("Unsuccessful executions can always be
        redriven"), a Standard one is redriven unless it cannot be (redrive-map-run.html)."""
        indexes = {_child_name(map_run_arn, index): index for index in range(count)}
        parent = await self.store.get_execution(parent_arn)
        redrive_date = parent.redrive_date if parent is not None else None
        seen: set[int] = set()
        found: dict[int, EndedChild] = {}
        after = None
        while True:
            records, after = await self.store.list_executions("", None, after, 1000, map_run_arn=map_run_arn)
            for record in records:  # newest first: an Express child's latest run
                index = indexes.get(record.name)
                if index is None or index in seen:
                    continue
                seen.add(index)
                if record.status == "RUNNING":
                    continue
                if record.status == "SUCCEEDED" or not _redriven_after(record, redrive_date):
                    disposition = KEPT
                elif arns.parse_arn(record.arn).resource_type == "express" or self.redrive.status(record).reason is None:
                    disposition = RERUN
                else:
                    disposition = NOT_REDRIVABLE
                found[index] = EndedChild(record.status, disposition)
            if after is None:
                return found

    async def _express(self, request: ChildRequest, parent: _Parent, name: str, info: ExecutionInfo,
                       tasks: TaskHandler) -> ChildEnd:
        """An Express child: its row is recorded (DescribeExecution and ListExecutions(mapRunArn)
        show it, as on AWS), its history is not (Express has none). Its parent keeps its outcome
        (runtime/branches.py); restarted or redriven before it ended, it runs anew, as a new
        execution (recovery ends the row of the one cut short ABORTED)."""
        arn = names.child_execution_arn(request.map_run_arn, name, express=True)
        info = _with_arn(info, arn)
        busy = self.executions.clock.busy
        creating = asyncio.ensure_future(self.store.create_execution(ExecutionRecord(
            arn=arn, state_machine_arn=info.state_machine_arn, name=name, revision_id=parent.revision_id,
            status="RUNNING", input=to_json(request.input), start_date=info.start_time,
            test_case=parent.test_case, map_run_arn=request.map_run_arn)))
        finishing = None
        try:
            with busy():
                await asyncio.shield(creating)
            outcome = await self.executions.run_express(request.machine, info, tasks)
            output = to_json(outcome.output) if outcome.status == "SUCCEEDED" else None
            finishing = asyncio.ensure_future(self.store.finish_execution(arn, outcome, output))
            with busy():
                await asyncio.shield(finishing)
        except asyncio.CancelledError:
            if self.executions.map_runs.closing:
                raise
            with busy():  # its parent stopped, its Map Run failed: its row ends as it ended, never RUNNING
                await creating
                if finishing is not None:
                    await finishing
                    raise ChildStopped(ChildEnd(outcome.status, outcome.output, outcome.error, outcome.cause,
                                                arn)) from None
                aborted = ExecutionOutcome("ABORTED", stop_time=self.executions.clock.time())
                await self.store.finish_execution(arn, aborted, None)
            raise ChildStopped(ChildEnd("ABORTED", execution_arn=arn)) from None
        return ChildEnd(outcome.status, outcome.output, outcome.error, outcome.cause, arn)

    async def _end(self, arn: str) -> ChildEnd:
        """Await the child's end; cancelled (its parent stopped, its Map Run failed), abort it
        first and raise ChildStopped, unless the server is shutting down (it then resumes with
        its parent)."""
        running = self.executions.running(arn)
        if running is not None:
            try:
                await asyncio.shield(running[1])
            except asyncio.CancelledError:
                if self.executions.map_runs.closing:
                    raise
                raise ChildStopped(await self._stop(arn)) from None
        return await self._recorded(arn)

    async def _stop(self, arn: str) -> ChildEnd:
        """Abort the child if it still runs here; how it ended."""
        running = self.executions.running(arn)
        if running is not None:
            run, task = running
            if not task.done():
                run.stop()
                await asyncio.wait({task})
        return await self._recorded(arn)

    async def _recorded(self, arn: str) -> ChildEnd:
        """The child's end as its record says."""
        with self.executions.clock.busy():
            record = await self.store.get_execution(arn)
        assert record is not None  # executions are never deleted
        output = json.loads(record.output) if record.output is not None else None
        return ChildEnd(record.status, output, record.error, record.cause, arn)

    async def _parent(self, arn: str) -> _Parent:
        """What a child takes from its parent: the role, test case, machine name and revision. A
        parent that is itself a child (a Distributed Map in an ItemProcessor) has its own parent's."""
        parent = self._parents.get(arn)
        if parent is None:
            record = await self.store.get_execution(arn)
            assert record is not None  # the parent runs: it is recorded
            map_run = await self.store.get_map_run(record.map_run_arn) if record.map_run_arn is not None else None
            if map_run is not None:
                parent = replace(await self._parent(map_run.execution_arn),
                                 machine_name=arns.parse_arn(record.state_machine_arn).parts[0])
            else:
                revision = await self.store.get_revision(record.state_machine_arn, record.revision_id)
                parent = _Parent(revision.role_arn if revision is not None else "", record.test_case,
                                 arns.parse_arn(record.state_machine_arn).parts[0], record.revision_id)
            if len(self._parents) >= _PARENTS_KEPT:
                self._parents.clear()
            self._parents[arn] = parent
        return parent


def _child_name(map_run_arn: str, index: int) -> str:
    """The name of a Map Run's `index`th child: the same whenever its parent asks for it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{map_run_arn}#{index}"))


def _redriven_after(child: ExecutionRecord, redrive_date: float | None) -> bool:
    """Was the parent (last redriven at `redrive_date`) redriven after the child last started?"""
    last_start = child.redrive_date if child.redrive_date is not None else child.start_date
    return redrive_date is not None and last_start <= redrive_date


def _with_arn(info: ExecutionInfo, arn: str) -> ExecutionInfo:
    return replace(info, execution_arn=arn)
