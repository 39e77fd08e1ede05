"""What an ended execution leaves in a server's memory: nothing (issue 20, "Memory returns").

A server that runs for weeks must hold only what still runs. Once an execution has ended, every
way it can end (it succeeds, a worker answers its activity task, its task misses a heartbeat,
it is stopped while parked), no registry keyed by execution or task token keeps it, its tokens
or its run: checked on a real server, inside its event loop, after its writes have committed.
That a timed-out token, dropped from memory once the store has it, still answers a late
SendTaskSuccess with TaskTimedOut is checked too (API_SendTaskSuccess.html: "TaskTimedOut: The
task token has either expired or the task associated with the token has already been closed").
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError
from postgres_server import fresh_db
from serving import ServerThread, boto_client
from sfn_support import create, error_of, unique, wait_done
from tasks_support import poll_task

from asl_engine.api.app import create_app
from asl_engine.config import Config
from asl_engine.service import reclaim


@pytest.fixture
def own_server(tmp_path: Any) -> Iterator[ServerThread]:
    """A server of this test's own, on the wall clock: its registries hold only this test's
    executions, and a parked execution stays parked until it is answered or stopped."""
    server = ServerThread(create_app(Config(db_path=fresh_db(tmp_path, "memory.db"))))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def activity_machine(sfn: Any, activity: str, **task: object) -> str:
    return create(sfn, json.dumps({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "End": True, **task}}}))


def in_loop(server: ServerThread, coroutine: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(coroutine, server.loop).result(timeout=30)


async def _settled(service: Any) -> None:
    """Every write made so far committed, and the timeouts' own records with them."""
    for _ in range(500):
        await service.store.flush()
        if not service.activities._timeouts:
            return
        await asyncio.sleep(0.01)


def live_runs(arns: set[str]) -> list[Any]:
    """The runs of these executions still in memory (found by class name: wherever the runtime
    keeps its ExecutionRun, one still referenced from anywhere is found here)."""
    return [obj for obj in gc.get_objects()
            if type(obj).__name__ == "ExecutionRun" and getattr(obj.info, "execution_arn", None) in arns]


def test_ended_executions_leave_nothing_in_the_servers_registries(own_server: ServerThread) -> None:
    sfn = boto_client(own_server.url)
    service = own_server.app.state.service
    activity = sfn.create_activity(name=unique("mem"))["activityArn"]
    ended: dict[str, str] = {}

    done = sfn.start_execution(stateMachineArn=create(sfn), input="{}")["executionArn"]
    ended[done] = "SUCCEEDED"

    answered = sfn.start_execution(stateMachineArn=activity_machine(sfn, activity), input="{}")["executionArn"]
    token = poll_task(sfn, activity)["taskToken"]
    sfn.send_task_success(taskToken=token, output='{"ok": true}')
    ended[answered] = "SUCCEEDED"

    missed = sfn.start_execution(stateMachineArn=activity_machine(sfn, activity, HeartbeatSeconds=1),
                                 input="{}")["executionArn"]
    late_token = poll_task(sfn, activity)["taskToken"]  # taken, then never heartbeated nor answered
    ended[missed] = "FAILED"

    stopped = sfn.start_execution(stateMachineArn=activity_machine(sfn, activity), input="{}")["executionArn"]
    sfn.stop_execution(executionArn=stopped)
    ended[stopped] = "ABORTED"

    for arn, status in ended.items():
        assert wait_done(sfn, arn, attempts=500)["status"] == status
    in_loop(own_server, _settled(service))

    async def registries() -> dict[str, int]:
        executions, callbacks = service.executions, service.executions.dispatcher.callbacks
        queue = service.executions.dispatcher.activities
        return {
            "running executions": len(executions._live),
            "start locks": len(executions._start_locks),
            "express executions": len(executions._express),
            "waiting tokens": len(callbacks._pending) + len(callbacks._futures) + len(callbacks._clocks),
            "timed-out tokens held in memory": len(callbacks._timed_out),
            "tokens expected after a restart": len(callbacks._expected) + len(callbacks.recorded),
            "answers being committed": len(callbacks._claims),
            "queued activity tasks": len(queue._activity_of) + sum(len(tasks) for tasks in queue._tasks.values()),
            "failed writes": sum(service.store.failure(arn) is not None for arn in ended),
        }

    counts = in_loop(own_server, registries())
    assert counts == dict.fromkeys(counts, 0)
    gc.collect()
    assert live_runs(set(ended)) == []
    # Dropped from memory, the timed-out token is still closed: the store answers for it.
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=late_token, output="{}")
    assert error_of(late)[0] == "TaskTimedOut"


def test_a_load_of_parked_executions_is_freed_once_it_has_ended(own_server: ServerThread,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An ended execution's objects are reference cycles, freed only by a full collection, which
    CPython postpones while its oldest generation is large: the server collects once the load
    has ended. With the automatic collector off, only that collection can free them."""
    monkeypatch.setattr(reclaim, "LOAD", 20)  # a load of 30 parked executions, not 1,000
    sfn = boto_client(own_server.url)
    activity = sfn.create_activity(name=unique("load"))["activityArn"]
    machine = activity_machine(sfn, activity)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        arns = {sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"] for _ in range(30)}
        for _ in arns:
            sfn.send_task_success(taskToken=poll_task(sfn, activity)["taskToken"], output="{}")
        for arn in arns:
            assert wait_done(sfn, arn, attempts=500)["status"] == "SUCCEEDED"
        # Collected when at most a tenth was still running: those few, and the one whose end set
        # the collection off (still on its way out), may wait for the next load. (An execution
        # parked out of memory has had several runs: one per time it was loaded back.)
        held = {run.info.execution_arn for run in live_runs(arns)}
        assert len(held) <= len(arns) // reclaim.SETTLED_SHARE + 1
    finally:
        if was_enabled:
            gc.enable()


def test_the_tables_a_load_grew_are_sized_for_what_is_left_once_it_has_ended(
        own_server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython never shrinks a dict's table as it empties: one that held 100,000 parked
    executions keeps megabytes with nothing in it. Once a load has ended (the last tenth too,
    and then nothing ends for `QUIET_SECONDS`), the server's registries are no bigger than when
    they were new, and the runs of that last tenth are freed as well."""
    monkeypatch.setattr(reclaim, "LOAD", 20)
    monkeypatch.setattr(reclaim, "QUIET_SECONDS", 0.2)
    sfn = boto_client(own_server.url)
    activity = sfn.create_activity(name=unique("tables"))["activityArn"]
    machine = activity_machine(sfn, activity)
    executions = own_server.app.state.service.executions

    def sizes() -> dict[str, int]:
        tables = {"running": executions._live, "parked": executions.parking._parked,
                  "queued": executions.dispatcher.activities._activity_of,
                  "tokens": executions.dispatcher.callbacks._pending,
                  "answers": executions.dispatcher.callbacks._futures}
        return {name: sys.getsizeof(table) for name, table in tables.items()}

    new = {name: sys.getsizeof({}) for name in sizes()}
    arns = [sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"] for _ in range(120)]
    grown = sizes()
    assert grown["parked"] > new["parked"]  # the load made them grow
    for _ in arns:
        sfn.send_task_success(taskToken=poll_task(sfn, activity)["taskToken"], output="{}")
    for arn in arns:
        assert wait_done(sfn, arn, attempts=500)["status"] == "SUCCEEDED"
    deadline = time.monotonic() + 10
    while sizes() != new and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sizes() == new
    assert live_runs(set(arns)) == []


def test_a_load_of_executions_one_after_another_is_freed_once_they_stop_ending(
        own_server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    """Executions started one at a time never make many run at once, yet leave their cycles
    behind as well: the server reclaims once no execution has ended for `QUIET_SECONDS` after
    `QUIET_LOAD` have. With the automatic collector off, only that reclaim can free them."""
    monkeypatch.setattr(reclaim, "QUIET_LOAD", 12)  # looked for after the last one, not before
    sfn = boto_client(own_server.url)
    watcher = own_server.app.state.service.executions._reclaim
    machine = create(sfn)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = watcher.reclaims
        arns: set[str] = set()
        for _ in range(12):
            arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
            assert wait_done(sfn, arn, attempts=500)["status"] == "SUCCEEDED"
            arns.add(arn)
        for _ in range(300):  # a guard against a hang, not a latency bound
            if watcher.reclaims > before:
                break
            time.sleep(0.05)
        assert watcher.reclaims == before + 1
        assert live_runs(arns) == []
        # The caches each execution refills are emptied with it (the server is idle meanwhile).
        assert [cache.cache_info().currsize for cache in reclaim.CHURNED] == [0] * len(reclaim.CHURNED)
    finally:
        if was_enabled:
            gc.enable()
