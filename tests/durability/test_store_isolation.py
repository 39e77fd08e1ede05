"""One write that cannot be stored fails alone: the group commit isolates it (SAVEPOINT per write).

Issue "Nothing acknowledged is lost, and no request can hurt another": the store commits up to
1,024 queued writes in one transaction, and one failing write (a lone surrogate such as "\\ud800"
has no UTF-8 form) used to roll back the whole batch: other clients got 500s, other executions
lost history events. Here the failing write and many good ones share one batch: the good ones
commit, the failing request gets an AWS error, the failing execution is reported so the service
can end it, and its later writes are not applied (its history keeps no holes).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from asl_engine.execution import ExecutionOutcome
from asl_engine.aws_errors import ValidationException
from asl_engine.store import ActivityRecord, ExecutionRecord, StateMachineRecord
from postgres_server import STORES, make_store

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


def _execution(name: str) -> ExecutionRecord:
    return ExecutionRecord(arn=f"arn:aws:states:us-east-1:123456789012:execution:m:{name}", state_machine_arn=MACHINE,
                           name=name, revision_id=None, status="RUNNING", input="{}", start_date=1.0)


def _event(event_id: int, text: str = "ok") -> dict[str, Any]:
    return {"id": event_id, "previousEventId": event_id - 1, "timestamp": 2.0, "type": "PassStateEntered",
            "stateEnteredEventDetails": {"name": "P", "input": text}}


def _activity(name: str, tag: str) -> ActivityRecord:
    return ActivityRecord(f"arn:aws:states:us-east-1:123456789012:activity:{name}", "123456789012", "us-east-1",
                          name, 1.0, {"t": tag})


@pytest.mark.parametrize("kind", STORES)  # PostgreSQL's store mirrors SQLite's savepoints
def test_a_failing_write_fails_only_its_own_request_and_execution(tmp_path: Path, kind: str) -> None:
    failed: list[tuple[str, str]] = []

    async def scenario() -> None:
        store = make_store(kind, tmp_path)
        await store.open()
        store.on_write_failed = lambda arn, why: failed.append((arn, why))
        await store.put_state_machine(StateMachineRecord(
            arn=MACHINE, account="123456789012", region="us-east-1", name="m", type="STANDARD",
            definition="{}", role_arn="r", creation_date=1.0), new_revision=True)
        executions = [_execution(f"e{n}") for n in range(20)]
        for execution in executions:
            await store.create_execution(execution, [_event(1)])
        poisoned = executions[7]
        # One batch: every execution's events 2..5 (the poisoned one's event 3 has a lone
        # surrogate), and 30 awaited writes, one of which (activity a13's tag) cannot be stored.
        for event_id in range(2, 6):
            for execution in executions:
                bad = execution is poisoned and event_id == 3
                store.sink(execution.arn).emit([_event(event_id, "\ud800" if bad else "ok")])
        results = await asyncio.gather(
            *(store.put_activity(_activity(f"a{n}", "\udfff" if n == 13 else "fine")) for n in range(30)),
            return_exceptions=True)
        assert isinstance(results[13], ValidationException)
        assert "lone surrogate" in results[13].message
        assert [n for n, result in enumerate(results) if result is not None] == [13]
        assert {record.name for record in await store.list_activities("123456789012", "us-east-1", None, 100)} \
            == {f"a{n}" for n in range(30)} - {"a13"}

        for execution in executions:
            ids = [event["id"] for event in await store.get_history(execution.arn, None, 100, reverse=False)]
            assert ids == ([1, 2] if execution is poisoned else [1, 2, 3, 4, 5]), execution.name
        assert [arn for arn, _ in failed] == [poisoned.arn]
        assert store.failure(poisoned.arn) is not None and "lone surrogate" in store.failure(poisoned.arn)

        # Nothing more is applied for it, except the closing write that ends it.
        store.sink(poisoned.arn).emit([_event(6)])
        await store.close_execution(poisoned.arn, "ExecutionFailed", "FAILED", "States.Runtime", "why", 3.0)
        events = await store.get_history(poisoned.arn, None, 100, reverse=False)
        assert [(event["id"], event["type"]) for event in events][-1] == (3, "ExecutionFailed")
        assert events[-1]["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": "why"}
        assert (await store.get_execution(poisoned.arn)).status == "FAILED"

        # The others end normally, closing event and status in one write.
        closing = _event(6)
        closing["type"] = "ExecutionSucceeded"
        await store.finish_execution(executions[0].arn, ExecutionOutcome("SUCCEEDED", {}, stop_time=4.0), "{}",
                                     [closing])
        assert (await store.get_execution(executions[0].arn)).status == "SUCCEEDED"
        assert (await store.get_history(executions[0].arn, None, 1, reverse=True))[0]["type"] == "ExecutionSucceeded"
        await store.close()

    asyncio.run(scenario())
