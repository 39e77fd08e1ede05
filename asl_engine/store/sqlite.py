"""The SQLite store: WAL mode, one background writer, group commit.

Why a single writer task: SQLite allows one writer at a time, and a commit (an fsync) costs far
more than the inserts it covers. The runner's `emit` only appends to a queue; the writer takes
whatever has accumulated - events of many transitions of many executions - and commits it in one
transaction. Each transition's events stay together because one `emit` is one queue item.
Writes that the caller must see committed (a new execution, a new state machine) wait for their
batch; reads of executions and history first wait for everything queued before them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from typing import Any, Sequence

import aiosqlite

from ..execution import ExecutionOutcome, HistoryEvent, Json
from . import ActivityRecord, ExecutionRecord, Position, Revision, StateMachineRecord
from .migrations import migrate
from .sqlite_console import ConsoleMixin
from .sqlite_map_runs import MapRunsMixin
from .sqlite_versions import VersionsMixin

log = logging.getLogger(__name__)

# One statement: SQL, parameters, and whether the parameters are a list of rows (executemany).
Statement = tuple[str, Sequence[Any], bool]
_MAX_BATCH = 1024
CHECKPOINT_SECONDS = 1.0
_CHECKPOINT = "checkpoint"  # queued by a timer: the writer checkpoints the WAL when it reaches it

_MACHINE_COLUMNS = (
    "arn, account, region, name, type, definition, role_arn, creation_date, revision_id, "
    "update_date, logging_configuration, tracing_configuration, tags"
)
_EXECUTION_COLUMNS = (
    "arn, state_machine_arn, name, revision_id, status, input, start_date, output, error, cause, "
    "stop_date, redrive_count, test_case, state_machine_version_arn, state_machine_alias_arn"
)
_ACTIVITY_COLUMNS = "arn, account, region, name, creation_date, tags"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SqliteStore(VersionsMixin, MapRunsMixin, ConsoleMixin):
    """`Store` on one aiosqlite connection (autocommit mode; transactions are explicit)."""

    _execution_columns = _EXECUTION_COLUMNS

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[list[Statement] | asyncio.Future[None] | str] = asyncio.Queue()
        self._pending = 0
        self._writer: asyncio.Task[None] | None = None
        self._checkpoint_due = False

    async def open(self) -> None:
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        # WAL with synchronous=NORMAL: a commit survives the process being killed (the WAL is in
        # the OS page cache), only an OS crash or power loss can lose the last ones. That is the
        # durability this local server promises (README, Durability), at a fraction of the fsyncs.
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await migrate(self._conn)
        self._writer = asyncio.create_task(self._write_loop(), name="asl-engine-store-writer")

    async def close(self) -> None:
        if self._conn is None:
            return
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._conn.close()
        self._conn = None

    # -- writing -----------------------------------------------------------------------------

    def _enqueue(self, statements: list[Statement]) -> None:
        self._pending += 1
        self._queue.put_nowait(statements)

    async def _write(self, statements: list[Statement]) -> None:
        """Queue a write and return once it is committed."""
        self._enqueue(statements)
        await self.flush()

    async def flush(self) -> None:
        if self._pending == 0:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(done)
        await done

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < _MAX_BATCH:
                batch.append(self._queue.get_nowait())
            writes = [item for item in batch if isinstance(item, list)]
            waiters = [item for item in batch if isinstance(item, asyncio.Future)]
            error: BaseException | None = None
            try:
                if writes:
                    await self._commit(writes)
            except Exception as exc:  # a failed commit must not kill the writer
                log.exception("store commit of %d writes failed", len(writes))
                error = exc
            finally:
                self._pending -= len(writes)
            for waiter in waiters:
                if waiter.done():
                    continue
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)
            if _CHECKPOINT in batch:
                await self._checkpoint()
            elif writes and not self._checkpoint_due:
                self._checkpoint_due = True
                asyncio.get_running_loop().call_later(CHECKPOINT_SECONDS, self._queue.put_nowait, _CHECKPOINT)

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database file, a second after writes: a plain copy of the
        database file taken while the server runs (a backup, a CI artifact) then holds all but
        the last second, not whatever SQLite's page-count autocheckpoint happened to move."""
        self._checkpoint_due = False
        try:
            assert self._conn is not None
            await self._conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")  # read its row: no open statement
        except Exception:  # a busy reader only postpones it to the next round of writes
            log.debug("WAL checkpoint postponed", exc_info=True)

    async def _commit(self, writes: list[list[Statement]]) -> None:
        """One transaction for the whole batch, run in one hop to aiosqlite's thread.

        Sending each statement separately cost a thread hand-off and an event-loop wake-up per
        statement, which dominated the store's time (benchmarks/profile.py). aiosqlite has no
        public call for "run this function in your thread", so this uses its `_execute`."""
        assert self._conn is not None
        await self._conn._execute(_apply, self._conn._conn, writes)

    # -- state machines ----------------------------------------------------------------------

    async def put_state_machine(self, record: StateMachineRecord, *, new_revision: bool) -> None:
        row = (
            record.arn, record.account, record.region, record.name, record.type, record.definition,
            record.role_arn, record.creation_date, record.revision_id, record.update_date,
            _dumps(record.logging_configuration), _dumps(record.tracing_configuration),
            _dumps(record.tags),
        )
        statements: list[Statement] = [
            (f"INSERT OR REPLACE INTO state_machines ({_MACHINE_COLUMNS}) VALUES ({_marks(13)})", row, False)
        ]
        if new_revision:
            statements.append((
                "INSERT OR REPLACE INTO state_machine_revisions VALUES (?, ?, ?, ?, ?)",
                (record.arn, record.revision_id or "", record.definition, record.role_arn,
                 record.update_date or record.creation_date),
                False,
            ))
        await self._write(statements)

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        rows = await self._read(f"SELECT {_MACHINE_COLUMNS} FROM state_machines WHERE arn = ?", (arn,))
        return _machine(rows[0]) if rows else None

    async def get_revision(self, arn: str, revision_id: str | None) -> Revision | None:
        rows = await self._read(
            "SELECT definition, role_arn, update_date FROM state_machine_revisions "
            "WHERE state_machine_arn = ? AND revision_id = ?",
            (arn, revision_id or ""),
        )
        return Revision(*rows[0]) if rows else None

    async def delete_state_machine(self, arn: str) -> None:
        await self._write([("DELETE FROM state_machines WHERE arn = ?", (arn,), False),
                           *self._delete_versions_and_aliases(arn)])

    async def list_state_machines(
        self, account: str, region: str, after: str | None, limit: int
    ) -> list[StateMachineRecord]:
        rows = await self._read(
            f"SELECT {_MACHINE_COLUMNS} FROM state_machines WHERE account = ? AND region = ? "
            "AND name > ? ORDER BY name LIMIT ?",
            (account, region, after or "", limit),
        )
        return [_machine(row) for row in rows]

    # -- executions --------------------------------------------------------------------------

    async def create_execution(self, record: ExecutionRecord, events: Sequence[HistoryEvent] = ()) -> None:
        row = (
            record.arn, record.state_machine_arn, record.name, record.revision_id, record.status,
            record.input, record.start_date, record.output, record.error, record.cause,
            record.stop_date, record.redrive_count, record.test_case, record.state_machine_version_arn,
            record.state_machine_alias_arn,
        )
        await self._write([
            (f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES ({_marks(15)})", row, False),
            ("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)",
             [(record.arn, event["id"], _dumps(event)) for event in events], True),
        ])

    def sink(self, execution_arn: str) -> _Sink:
        return _Sink(self, execution_arn)

    async def finish_execution(self, arn: str, outcome: ExecutionOutcome, output: str | None) -> None:
        await self._write([
            (
                "UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop_date = ? "
                "WHERE arn = ?",
                (outcome.status, output, outcome.error, outcome.cause, outcome.stop_time, arn),
                False,
            ),
            ("DELETE FROM frames WHERE execution_arn = ?", (arn,), False),
        ])

    # Execution rows are written only by awaited writes (create, finish), so reading them needs
    # no flush of the queued history: that keeps DescribeExecution polling cheap.
    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        rows = await self._read(f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE arn = ?", (arn,))
        return ExecutionRecord(*rows[0]) if rows else None

    async def list_executions(
        self, state_machine_arn: str, status: str | None, after: int | None, limit: int
    ) -> tuple[list[ExecutionRecord], int | None]:
        sql = f"SELECT seq, {_EXECUTION_COLUMNS} FROM executions WHERE state_machine_arn = ?"
        params: list[Any] = [state_machine_arn]
        if status:
            sql += " AND status = ?"
            params.append(status)
        if after is not None:
            sql += " AND seq < ?"
            params.append(after)
        rows = await self._read(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit + 1))
        page = rows[:limit]
        cursor = page[-1][0] if len(rows) > limit else None
        return [ExecutionRecord(*row[1:]) for row in page], cursor

    async def get_history(
        self, execution_arn: str, after: int | None, limit: int, reverse: bool
    ) -> list[HistoryEvent]:
        await self.flush()
        if reverse:
            sql = "AND event_id < ? ORDER BY event_id DESC"
            bound = after if after is not None else 2**62
        else:
            sql = "AND event_id > ? ORDER BY event_id"
            bound = after if after is not None else 0
        rows = await self._read(
            f"SELECT body FROM history_events WHERE execution_arn = ? {sql} LIMIT ?",
            (execution_arn, bound, limit),
        )
        return [json.loads(row[0]) for row in rows]

    async def get_position(self, execution_arn: str) -> Position:
        await self.flush()
        rows = await self._read("SELECT frame_id, body FROM frames WHERE execution_arn = ?", (execution_arn,))
        last = await self._read(
            "SELECT body FROM history_events WHERE execution_arn = ? ORDER BY event_id DESC LIMIT 1",
            (execution_arn,),
        )
        last_event = json.loads(last[0][0]) if last else None
        return Position({frame_id: json.loads(body) for frame_id, body in rows}, last_event)

    async def list_running(self) -> list[ExecutionRecord]:
        await self.flush()
        rows = await self._read(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE status = 'RUNNING' ORDER BY seq", ()
        )
        return [ExecutionRecord(*row) for row in rows]

    # -- activities ----------------------------------------------------------------------------

    async def put_activity(self, record: ActivityRecord) -> None:
        row = (record.arn, record.account, record.region, record.name, record.creation_date,
               _dumps(record.tags))
        await self._write([
            (f"INSERT OR REPLACE INTO activities ({_ACTIVITY_COLUMNS}) VALUES ({_marks(6)})", row, False)
        ])

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        rows = await self._read(f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE arn = ?", (arn,))
        return _activity(rows[0]) if rows else None

    async def delete_activity(self, arn: str) -> None:
        await self._write([("DELETE FROM activities WHERE arn = ?", (arn,), False)])

    async def list_activities(
        self, account: str, region: str, after: str | None, limit: int
    ) -> list[ActivityRecord]:
        rows = await self._read(
            f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE account = ? AND region = ? "
            "AND name > ? ORDER BY name LIMIT ?",
            (account, region, after or "", limit),
        )
        return [_activity(row) for row in rows]

    async def activity_arns(self) -> list[str]:
        return [row[0] for row in await self._read("SELECT arn FROM activities", ())]

    async def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        assert self._conn is not None, "store is not open"
        return list(await self._conn.execute_fetchall(sql, params))


class _Sink:
    """The `EventSink` of one execution: turns a transition into one queued write."""

    def __init__(self, store: SqliteStore, execution_arn: str) -> None:
        self._store = store
        self._arn = execution_arn

    def emit(self, events: list[HistoryEvent], checkpoint: Json | None = None) -> None:
        statements: list[Statement] = [(
            "INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)",
            [(self._arn, event["id"], _dumps(event)) for event in events],
            True,
        )]
        if checkpoint is not None:
            statements.append((
                "INSERT OR REPLACE INTO frames VALUES (?, ?, ?)",
                [(self._arn, frame_id, body) for frame_id, body in checkpoint["frames"].items()],
                True,
            ))
        self._store._enqueue(statements)


def _apply(conn: sqlite3.Connection, writes: list[list[Statement]]) -> None:
    """Runs in aiosqlite's thread: every statement of the batch, then one COMMIT."""
    conn.execute("BEGIN")
    try:
        for statements in writes:
            for sql, params, many in statements:
                if many:
                    conn.executemany(sql, params)
                else:
                    conn.execute(sql, params)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _activity(row: Sequence[Any]) -> ActivityRecord:
    arn, account, region, name, creation_date, tags = row
    return ActivityRecord(arn, account, region, name, creation_date, json.loads(tags))


def _machine(row: Sequence[Any]) -> StateMachineRecord:
    values = list(row)
    values[10:13] = [json.loads(value) for value in values[10:13]]
    return StateMachineRecord(*values)
