"""The SQLite store keeps state machines in memory once read (every StartExecution asks for its
machine; issue 20: a start must not re-read it), and what it hands out is always what committed
last: an update or a delete is seen by the next read, and a caller changing the record it got
changes nothing stored (UpdateStateMachine, DeleteStateMachine:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateStateMachine.html)."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from pathlib import Path

from asl_engine.store import StateMachineRecord
from asl_engine.store.sqlite import SqliteStore

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


def _machine(definition: str) -> StateMachineRecord:
    return StateMachineRecord(arn=ARN, account="123456789012", region="us-east-1", name="m", type="STANDARD",
                              definition=definition, role_arn="r", creation_date=1.0, tags={"team": "a"})


def test_machines_are_read_once_and_always_current(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def scenario() -> list[object]:
        store = SqliteStore(str(path))
        await store.open()
        seen: list[object] = []
        try:
            await store.put_state_machine(_machine('{"v":1}'), new_revision=False)
            first = await store.get_state_machine(ARN)
            assert first is not None
            first.tags["team"] = "changed by the caller"
            first.definition = "changed by the caller"
            with sqlite3.connect(path) as outside:  # not how a server's file changes: shows the cache
                outside.execute("UPDATE state_machines SET role_arn = 'outside' WHERE arn = ?", (ARN,))
            again = await store.get_state_machine(ARN)
            assert again is not None
            seen += [again.definition, again.tags, again.role_arn]
            await store.put_state_machine(dataclasses.replace(_machine('{"v":2}'), revision_id="r2"),
                                          new_revision=True)
            updated = await store.get_state_machine(ARN)
            assert updated is not None
            seen += [updated.definition, updated.revision_id, updated.role_arn]
            await store.delete_state_machine(ARN)
            seen.append(await store.get_state_machine(ARN))
        finally:
            await store.close()
        return seen

    assert asyncio.run(scenario()) == [
        '{"v":1}', {"team": "a"}, "r",  # from memory: the row changed behind the store's back is not read
        '{"v":2}', "r2", "r",  # an update is read back from the file
        None,  # a deleted machine is gone
    ]
