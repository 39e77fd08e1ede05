"""A database file the server cannot run on stops start-up at once: exit status 1, one clear line.

Issue "Nothing acknowledged is lost, and no request can hurt another": a garbage or truncated file
used to log "Application startup failed. Exiting." and leave the process alive, serving nothing;
a file with a page corrupted in the middle was served without notice. Now `serve` checks the file
before it listens (SQLite's `PRAGMA quick_check`, https://www.sqlite.org/pragma.html#pragma_quick_check)
and refuses a damaged one in one line that names the file; `--skip-db-check` (or
ASL_ENGINE_SKIP_DB_CHECK=1) skips the page check for huge files.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
from processes import Server

from asl_engine.execution import ExecutionOutcome
from asl_engine.store import ExecutionRecord, StateMachineRecord
from asl_engine.store.sqlite import SqliteStore

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


def _database(path: Path) -> None:
    """A real asl-engine database with enough history to span many pages."""

    async def fill() -> None:
        store = SqliteStore(str(path))
        await store.open()
        await store.put_state_machine(StateMachineRecord(
            arn=MACHINE, account="123456789012", region="us-east-1", name="m", type="STANDARD",
            definition='{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}', role_arn="r",
            creation_date=1.0), new_revision=True)
        for n in range(200):
            arn = f"arn:aws:states:us-east-1:123456789012:execution:m:e{n}"
            await store.create_execution(ExecutionRecord(arn, MACHINE, f"e{n}", None, "RUNNING", "{}", 1.0))
            events = [{"id": i, "previousEventId": i - 1, "timestamp": 1.0, "type": "PassStateEntered",
                       "stateEnteredEventDetails": {"name": "P", "input": "y" * 200}} for i in range(1, 6)]
            await store.finish_execution(arn, ExecutionOutcome("SUCCEEDED", {}, stop_time=2.0), "{}", events)
        await store.close()

    asyncio.run(fill())
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _refused(server: Server, *extra: str) -> str:
    """Start the server on a file it must refuse; the one line it printed."""
    result = server.run_to_exit(*extra)
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(server.db) in lines[0]
    return lines[0]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.db"
    _database(path)
    return path


def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(os.urandom(64 * 1024))
    assert "not a usable SQLite database: file is not a database" in _refused(Server(tmp_path, "g", db=path))


def test_a_truncated_file_is_refused_in_one_line(tmp_path: Path, database: Path) -> None:
    with open(database, "r+b") as handle:
        handle.truncate(os.path.getsize(database) // 2)
    line = _refused(Server(tmp_path, "t", db=database))
    assert "malformed" in line or "damaged" in line


def test_a_page_corrupted_in_the_middle_is_refused_unless_the_check_is_skipped(tmp_path: Path, database: Path) -> None:
    with sqlite3.connect(database) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = [row[0] for row in db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'history_events' AND pagetype = 'leaf' ORDER BY pageno")]
    middle = pages[len(pages) // 2]
    with open(database, "r+b") as handle:  # keep the page's header, scramble its cells
        handle.seek((middle - 1) * page_size + 64)
        handle.write(os.urandom(page_size - 64))
    server = Server(tmp_path, "m", db=database)
    line = _refused(server)
    assert "damaged" in line and "quick_check" in line and "ASL_ENGINE_SKIP_DB_CHECK" in line

    server.start("--skip-db-check")  # asked to, it serves the file as it is
    try:
        assert server.client().describe_state_machine(stateMachineArn=MACHINE)["name"] == "m"
    finally:
        server.stop()


def test_a_database_in_a_missing_directory_is_refused_in_one_line(tmp_path: Path) -> None:
    server = Server(tmp_path, "x", db=tmp_path / "missing" / "x.db")
    assert "does not exist" in _refused(server)


def test_a_second_server_on_the_same_file_is_refused_in_one_line(tmp_path: Path) -> None:
    """Two servers on one SQLite file both ran every execution: each Task was called twice and an
    activity task handed out twice (README "Several servers": several servers need PostgreSQL).
    The first holds the file; the second stops in one line, and once the first is gone (killed:
    its hold goes with the process) a new server takes the file."""
    first = Server(tmp_path, "one")
    first.start()
    try:
        second = Server(tmp_path, "two", db=first.db)
        assert "another asl-engine server is using it" in _refused(second)
        assert first.client().list_state_machines()["stateMachines"] == []
    finally:
        first.kill()
    second.start()
    try:
        assert second.client().list_state_machines()["stateMachines"] == []
    finally:
        second.stop()


@pytest.mark.parametrize("prepare, words", [
    ("PRAGMA user_version = 99", "schema version 99 is newer than this asl-engine supports"),
    ("CREATE TABLE executions (a)", "table executions already exists"),  # another program's database
])
def test_a_file_it_cannot_upgrade_is_refused_in_one_line(tmp_path: Path, prepare: str, words: str) -> None:
    """These failed inside the server's start-up, as an 18-26 line traceback and exit status 3;
    `serve` now opens (and upgrades) the file before it listens."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE other (a)")
        db.execute(prepare)
    assert words in _refused(Server(tmp_path, "u", db=path))
