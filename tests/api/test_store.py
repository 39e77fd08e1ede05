"""The SQLite store on its own: schema versions, group commit, read-your-writes."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from asl_engine.execution import ExecutionOutcome
from asl_engine.store import ExecutionRecord, StateMachineRecord
from asl_engine.store.migrations import LATEST
from asl_engine.store.sqlite import SqliteStore


def _machine() -> StateMachineRecord:
    return StateMachineRecord(
        arn="arn:aws:states:us-east-1:123456789012:stateMachine:m", account="123456789012",
        region="us-east-1", name="m", type="STANDARD", definition="{}", role_arn="r", creation_date=1.0,
    )


def _execution(name: str) -> ExecutionRecord:
    return ExecutionRecord(
        arn=f"arn:aws:states:us-east-1:123456789012:execution:m:{name}",
        state_machine_arn=_machine().arn, name=name, revision_id=None, status="RUNNING",
        input="{}", start_date=2.0,
    )


def _event(event_id: int) -> dict:
    return {"id": event_id, "previousEventId": event_id - 1, "timestamp": 3.0, "type": "PassStateEntered"}


def test_schema_version_and_wal(tmp_path):
    path = tmp_path / "s.db"

    async def scenario() -> None:
        store = SqliteStore(str(path))
        await store.open()
        await store.close()
        again = SqliteStore(str(path))  # a second open finds the schema current
        await again.open()
        await again.close()

    asyncio.run(scenario())
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_emitted_events_are_read_back_and_committed_in_groups(tmp_path):
    path = tmp_path / "s.db"

    async def scenario() -> None:
        store = SqliteStore(str(path))
        await store.open()
        execution = _execution("e1")
        await store.create_execution(execution)
        sink = store.sink(execution.arn)
        for event_id in range(1, 301):  # 300 transitions, emitted without awaiting anything
            frame = json.dumps({"at": event_id})
            sink.emit([_event(event_id)], checkpoint={"frames": {"": frame, f"/2.0:{event_id % 3}": frame}})
        events = await store.get_history(execution.arn, None, 1000, reverse=False)
        assert [e["id"] for e in events] == list(range(1, 301))
        position = await store.get_position(execution.arn)
        assert position.frames == {"": {"at": 300}, "/2.0:0": {"at": 300}, "/2.0:1": {"at": 298}, "/2.0:2": {"at": 299}}
        assert position.last_event["id"] == 300
        tail = await store.get_history(execution.arn, 298, 10, reverse=False)
        assert [e["id"] for e in tail] == [299, 300]
        await store.finish_execution(execution.arn, ExecutionOutcome("SUCCEEDED", {}, stop_time=4.0), "{}")
        assert (await store.get_execution(execution.arn)).status == "SUCCEEDED"
        assert (await store.get_position(execution.arn)).frames == {}
        await store.close()

    asyncio.run(scenario())
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM history_events").fetchone()[0] == 300


def test_machines_list_by_scope_and_keep_revisions(tmp_path):
    async def scenario() -> None:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        machine = _machine()
        await store.put_state_machine(machine, new_revision=True)
        machine.definition, machine.revision_id = '{"v":2}', "rev2"
        await store.put_state_machine(machine, new_revision=True)
        assert (await store.get_revision(machine.arn, None)).definition == "{}"
        assert (await store.get_revision(machine.arn, "rev2")).definition == '{"v":2}'
        assert [m.name for m in await store.list_state_machines("123456789012", "us-east-1", None, 10)] == ["m"]
        assert await store.list_state_machines("123456789012", "eu-west-1", None, 10) == []
        await store.delete_state_machine(machine.arn)
        assert await store.get_state_machine(machine.arn) is None
        await store.close()

    asyncio.run(scenario())
