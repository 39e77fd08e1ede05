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
from asl_engine.store.sqlite import CHECKPOINT_SECONDS, SqliteStore

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
