"""The database file: it upgrades in place from an older schema, and a copy taken while the server
runs is a working database (issue "Durable executions": WAL checkpointing, schema upgrades).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from asl_engine.store.migrations import LATEST, SCRIPTS
from asl_engine.store import ExecutionRecord
from asl_engine.store import sqlite as sqlite_store
from asl_engine.store.sqlite import CHECKPOINT_COMMITS, CHECKPOINT_SECONDS, SqliteStore

ROLE = "arn:aws:iam::123456789012:role/db"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:old"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:old:e1"


def test_a_version_1_file_upgrades_in_place_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as db:  # what the first release wrote
        db.executescript(SCRIPTS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO state_machines VALUES (?, '123456789012', 'us-east-1', 'old', 'STANDARD', ?, ?, 1.0,"
                   " NULL, NULL, '{}', '{}', '{}')", (MACHINE, '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}', ROLE))
        db.execute("INSERT INTO executions (arn, state_machine_arn, name, revision_id, status, input, output, error,"
                   " cause, start_date, stop_date) VALUES (?, ?, 'e1', NULL, 'SUCCEEDED', '{}', '{}', NULL, NULL, 1.0, 2.0)",
                   (EXECUTION, MACHINE))

    async def reopen() -> tuple[Any, Any]:
        store = SqliteStore(str(path))
        await store.open()
        try:
            return await store.get_state_machine(MACHINE), await store.get_execution(EXECUTION)
        finally:
            await store.close()

    machine, execution = asyncio.run(reopen())
    assert machine is not None and machine.name == "old"
    assert execution is not None and execution.status == "SUCCEEDED" and execution.test_case is None
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == LATEST


def test_a_copy_of_the_file_taken_while_the_server_runs_is_a_working_database(sfn: Any, server: Any) -> None:
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = sfn.create_state_machine(name=f"copied-{time.monotonic_ns()}", definition=definition,
                                   roleArn=ROLE)["stateMachineArn"]
    time.sleep(CHECKPOINT_SECONDS + 0.5)  # the WAL reaches the database file a second after writes
    copy = Path(server.db).with_name(f"copy-{time.monotonic_ns()}.db")
    shutil.copyfile(server.db, copy)  # the file alone, as `cp` or a backup tool takes it
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM state_machines WHERE arn = ?", (arn,)).fetchone() == (1,)


def test_a_long_run_of_commits_reaches_the_database_file_before_the_second_is_up(
        tmp_path: Path, monkeypatch: Any) -> None:
    """CHECKPOINT_COMMITS commits in a row are checkpointed at once: a copy of the file alone then
    holds them even though the second-after-writes checkpoint is an hour away here."""
    monkeypatch.setattr(sqlite_store, "CHECKPOINT_SECONDS", 3600.0)
    path = tmp_path / "busy.db"

    def copied_executions() -> int:
        copy = tmp_path / f"copy-{time.monotonic_ns()}.db"
        shutil.copyfile(path, copy)  # the file alone, without its WAL
        with sqlite3.connect(copy) as db:
            return int(db.execute("SELECT count(*) FROM executions").fetchone()[0])

    async def commits(first: int, last: int, store: SqliteStore) -> None:
        for index in range(first, last):  # each awaited: one commit each
            await store.create_execution(ExecutionRecord(
                arn=f"{EXECUTION}-{index}", state_machine_arn=MACHINE, name=f"e1-{index}", revision_id=None,
                status="RUNNING", input="{}", start_date=1.0))

    async def scenario() -> tuple[int, int]:
        created = SqliteStore(str(path))  # the schema, in the file once the store closes
        await created.open()
        await created.close()
        store = SqliteStore(str(path))
        await store.open()
        try:
            await commits(0, CHECKPOINT_COMMITS - 1, store)
            await asyncio.sleep(0.2)
            before = copied_executions()
            await commits(CHECKPOINT_COMMITS - 1, CHECKPOINT_COMMITS, store)
            deadline = time.monotonic() + 30  # a guard against a hang, not a latency bound
            while (after := copied_executions()) < CHECKPOINT_COMMITS and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return before, after
        finally:
            await store.close()

    assert asyncio.run(scenario()) == (0, CHECKPOINT_COMMITS)


def test_a_version_10_file_with_running_executions_lists_them_by_status_after_its_upgrade(tmp_path: Path) -> None:
    """Schema 11 indexes the running executions alone (executions_running): a file written before
    it still lists its RUNNING and SUCCEEDED executions, resumes the running one, and the filter
    of ListExecutions (statusFilter, API_ListExecutions) reads the new index."""
    path = tmp_path / "v10.db"
    with sqlite3.connect(path) as db:
        for script in SCRIPTS[:10]:
            db.executescript(script)
        db.execute("PRAGMA user_version = 10")
        for name, status in (("e1", "SUCCEEDED"), ("e2", "RUNNING"), ("e3", "SUCCEEDED")):
            db.execute("INSERT INTO executions (arn, state_machine_arn, name, status, input, start_date) "
                       "VALUES (?, ?, ?, ?, '{}', 1.0)", (f"{EXECUTION[:-3]}:{name}", MACHINE, name, status))

    async def listed() -> tuple[list[str], list[str], list[str], list[str]]:
        store = SqliteStore(str(path))
        await store.open()
        try:
            running, _ = await store.list_executions(MACHINE, "RUNNING", None, 10)
            succeeded, _ = await store.list_executions(MACHINE, "SUCCEEDED", None, 10)
            every, _ = await store.list_executions(MACHINE, None, None, 10)
            resumed = await store.list_running()
            return ([r.name for r in running], [r.name for r in succeeded], [r.name for r in every],
                    [r.name for r in resumed])
        finally:
            await store.close()

    assert asyncio.run(listed()) == (["e2"], ["e3", "e1"], ["e3", "e2", "e1"], ["e2"])
    with sqlite3.connect(path) as db:
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "executions_running" in indexes and "executions_by_status" not in indexes
        plan = db.execute("EXPLAIN QUERY PLAN SELECT seq FROM executions WHERE state_machine_arn = ? "
                          "AND status = 'RUNNING' ORDER BY seq DESC", (MACHINE,)).fetchall()
        assert "executions_running" in str(plan)
