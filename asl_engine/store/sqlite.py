"""The SQLite store: WAL mode, one background writer, group commit.

Why a single writer task: SQLite allows one writer at a time, and a commit (an fsync) costs far
more than the inserts it covers. The runner's `emit` only appends to a queue; the writer takes
whatever has accumulated - events of many transitions of many executions - and commits it in one
transaction. Each transition's events stay together because one `emit` is one queue item.
Writes that the caller must see committed (a new execution, a new state machine) wait for their
batch; reads of executions and history first wait for everything queued before them.

Why each write has its own SAVEPOINT: one write that cannot be stored (a lone surrogate, a full
disk) must fail its own request or its own execution, never the batch it shares with others. An
execution whose write fails for good is reported (`on_write_failed`) so the service ends it FAILED
with its closing event; one whose write meets a full disk keeps it queued and retries it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import aiosqlite
import orjson

from ..aws_errors import ExecutionAlreadyExists
from ..execution import ExecutionOutcome, HistoryEvent, Json
from ..history import details_key
from . import ActivityRecord, ExecutionRecord, Position, Revision, StateMachineRecord, TaskTokenRecord
from .check import check_database
from .errors import DatabaseUnusable, describe, for_request, is_transient
from .migrations import migrate
from .sqlite_console import ConsoleMixin
from .sqlite_map_runs import MapRunsMixin
from .sqlite_versions import VersionsMixin

log = logging.getLogger(__name__)

# One statement: SQL, parameters, and whether the parameters are a list of rows (executemany).
Statement = tuple[str, Sequence[Any], bool]
_MAX_BATCH = 1024
INLINE_WRITES = 16  # a batch this small commits on the event loop's thread (`_commit`)
CHECKPOINT_SECONDS = 1.0
CHECKPOINT_COMMITS = 200
"""Commits after which the WAL is checkpointed at once rather than at the end of the second: a
sequential load commits ~3,500 executions a second, ~140 MB of WAL between two checkpoints, and
appending to a WAL that long cost more than copying a short one more often (in process, one
execution's rows committed: 66-69 µs with a checkpoint every 3,000 commits, 56-59 µs every 100-250,
checkpoints included; 65 µs every 30)."""
LAZY_SECONDS = 0.002
"""At most this long, writes nobody waits for wait to share the next commit: longer than a
client's turn between two sequential calls (0.1 ms raw, 1.5 ms through boto3), short enough that
an execution's end shows in DescribeExecution as soon as a person could look."""
BACKLOG_CHARACTERS = 16 * 1024 * 1024
"""History queued and not yet committed past which a long run waits for the store
(`EventSink.behind`). A loop of states carrying 200 KB each made history faster than SQLite wrote
it: the queue held gigabytes (3.9 GB of RSS for one execution, 8.6 GB for two)."""
RETRY_SECONDS = 0.5  # how often an execution's write that met a full disk is tried again
_CHECKPOINT = "checkpoint"  # queued by a timer: the writer checkpoints the WAL when it reaches it

_MACHINE_COLUMNS = (
    "arn, account, region, name, type, definition, role_arn, creation_date, revision_id, "
    "update_date, logging_configuration, tracing_configuration, tags, encryption_configuration"
)
_EXECUTION_COLUMNS = (
    "arn, state_machine_arn, name, revision_id, status, input, start_date, output, error, cause, "
    "stop_date, redrive_count, test_case, state_machine_version_arn, state_machine_alias_arn, redrive_date, "
    "map_run_arn"
)
_ACTIVITY_COLUMNS = "arn, account, region, name, creation_date, tags, encryption_configuration"
# An ended execution's tokens that nobody answered and that did not time out; answered and
# timed-out ones stay, so a late SendTask* is TaskTimedOut ("the task associated with the token
# has already been closed", the API reference's words) rather than TaskDoesNotExist.
_DELETE_OPEN_TOKENS = "DELETE FROM task_tokens WHERE execution_arn = ? AND answer IS NULL AND timed_out IS NULL"


def _dumps(value: Any) -> str:
    """Compact JSON text; orjson writes a history event in a tenth of the standard library's
    time, which writes what orjson refuses (an unpaired surrogate, an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loads(text: str) -> Any:
    """JSON text `_dumps` wrote; orjson reads it in a third of the time, the standard library
    what orjson refuses (an integer beyond 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


@dataclass(slots=True, eq=False)
class _Write:
    """One queue item: statements applied together or not at all."""

    statements: list[Statement]
    owner: str | None = None  # the execution whose history or position this is
    done: asyncio.Future[None] | None = None  # set when the caller awaits the commit
    closing: bool = False  # ends an execution whose earlier write failed: always tried
    size: int = 0  # characters of history it carries (`SqliteStore.backlog`)


class SqliteStore(VersionsMixin, MapRunsMixin, ConsoleMixin):
    """`Store` on one aiosqlite connection (autocommit mode; transactions are explicit)."""

    _execution_columns = _EXECUTION_COLUMNS

    def __init__(self, path: str, check: bool = False) -> None:
        self.path = path
        # Run `PRAGMA quick_check` on open; `serve` checks the file before it listens instead.
        self.check = check
        self._conn: aiosqlite.Connection | None = None
        # The event loop's own connection: small batches commit on it (see `_commit`), and reads
        # run on it: a point read costs SQLite tens of microseconds, less than the two thread
        # switches of a trip through aiosqlite. In WAL mode it sees every committed write and never
        # waits for the writer. One connection for both: a connection that reads after another
        # one's commit throws its page cache away, and re-reading those pages was a tenth of the
        # server's CPU releasing parked executions (issue 20).
        self._inline: sqlite3.Connection | None = None
        self._queue: deque[_Write | asyncio.Future[None] | str] = deque()
        self._queued = asyncio.Event()  # the queue holds something
        self._urgent = False  # ... that someone waits for: commit it now
        self._window: asyncio.Future[None] | None = None  # the writer lets lazy writes wait (`_next_batch`)
        self._turn_due = False  # `_commit_turn` is scheduled: requests' writes queued this turn
        # How long writes nobody waits for may wait to share a commit (`_next_batch`); 0 for a
        # database with no WAL to write (":memory:", and PostgreSQL, whose commits are its own).
        self._lazy_seconds = 0.0
        self._pending = 0
        self.backlog = 0  # characters of history queued and not yet committed (`_Write.size`)
        self._writer: asyncio.Task[None] | None = None
        self._checkpoint_due = False
        self._commits = 0  # since the last checkpoint
        self._idle = False  # the writer waits for writes, or lets lazy ones wait: `_commit_here` may commit
        self._failed: dict[str, str] = {}  # execution ARN -> why its write failed for good
        self._machines: dict[str, tuple[Any, ...]] = {}  # get_state_machine's rows, by ARN
        self._revisions: dict[str, dict[str, Revision]] = {}  # get_revision's, by ARN and revision
        self._strict: set[asyncio.Future[None]] = set()  # flushes that wait for held writes too
        # Told (on the event loop) when an execution's write failed for good: the service ends it.
        self.on_write_failed: Callable[[str, str], None] | None = None

    async def open(self) -> None:
        """Open, check and upgrade the file; `DatabaseUnusable` says in one line why not."""
        check_database(self.path, quick_check=self.check)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await self._conn.execute("PRAGMA journal_mode=WAL")
            await self._conn.execute("PRAGMA busy_timeout=5000")
            # WAL with synchronous=NORMAL: a commit survives the process being killed (the WAL is
            # in the OS page cache), only an OS crash or power loss can lose the last ones. That is
            # the durability this local server promises (README, Durability), at a fraction of the
            # fsyncs.
            await self._conn.execute("PRAGMA synchronous=NORMAL")
            await migrate(self._conn)
            if self.path != ":memory:":  # another connection to ":memory:" is another database
                self._inline = sqlite3.connect(self.path, isolation_level=None)
                for pragma in ("busy_timeout=5000", "synchronous=NORMAL", "wal_autocheckpoint=0"):
                    self._inline.execute(f"PRAGMA {pragma}")  # checkpoints (fsyncs) stay in the thread
                self._lazy_seconds = LAZY_SECONDS
        except (sqlite3.Error, RuntimeError) as exc:
            await self._conn.close()  # its thread would keep a failed start-up alive
            self._conn = None
            raise DatabaseUnusable(f"cannot use the database file {self.path}: {describe(exc)}") from None
        self._writer = asyncio.create_task(self._write_loop(), name="asl-engine-store-writer")

    @classmethod
    async def try_open(cls, path: str) -> None:
        """Open the file (upgrading its schema) and close it: `serve` does, before it listens, so a
        newer schema, a foreign database or a full disk stop it with one line (`DatabaseUnusable`)
        rather than a traceback from inside the server's start-up."""
        store = cls(path)
        await store.open()
        await store.close()

    async def close(self) -> None:
        if self._conn is None:
            return
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._conn.close()
        self._conn = None
        if self._inline is not None:
            self._inline.close()
        self._inline = None

    # -- writing -----------------------------------------------------------------------------

    def _enqueue(self, statements: list[Statement], owner: str | None = None, size: int = 0) -> None:
        """Queue a write without waiting; `owner` is the execution whose history it carries, of
        `size` characters. Nobody waits for it: it may wait `_lazy_seconds` to share the next commit."""
        if owner is not None and owner in self._failed:
            return  # the execution is being ended for a write that failed: nothing after it counts
        self._pending += 1
        self.backlog += size
        self._put(_Write(statements, owner, size=size), urgent=False)

    def _put(self, item: _Write | asyncio.Future[None] | str, urgent: bool) -> None:
        """Queue `item` for the writer; `urgent`: someone waits for it, commit without delay."""
        self._queue.append(item)
        self._queued.set()
        if urgent:
            self._urgent = True
            self._end_window()

    def _end_window(self) -> None:
        """The writer stops letting lazy writes wait: something urgent came, or they were taken."""
        if self._window is not None and not self._window.done():
            self._window.set_result(None)

    async def _write(self, statements: list[Statement], owner: str | None = None,
                     closing: bool = False, lazy: bool = False) -> None:
        """Commit a write, behind those queued before it, and return once it is committed, or raise
        the error it failed with (`errors.for_request`). An execution's write (`owner`) that meets
        a full disk is kept and retried until it commits instead: an execution's record is never
        dropped. `lazy`: what waits for it is no request, so it may wait `_lazy_seconds` to
        share the next commit (an execution's end, with the next StartExecution's row)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        write = _Write(statements, owner, done, closing)
        self._pending += 1
        if lazy:
            self._put(write, urgent=False)
        else:
            self._urge(write)
        await done  # raises the write's error, if any

    def _urge(self, item: _Write | asyncio.Future[None]) -> None:
        """Queue what a caller waits for: committed at the end of this turn of the loop
        (`_commit_turn`) when the writer is idle, without waking it; else by the writer, now."""
        if self._idle and self._inline is not None:
            self._queue.append(item)
            if not self._turn_due:
                self._turn_due = True
                asyncio.get_running_loop().call_soon(self._commit_turn)
        else:
            self._put(item, urgent=True)

    def _commit_turn(self) -> None:
        """Commit, once the requests this turn of the event loop woke have queued their writes,
        all of them and the writes queued before them, in one transaction on the loop's own
        connection: eight clients' StartExecutions that arrive together share one commit, and a
        lone request pays a callback, not two hops through the writer's task (which were a
        tenth of a StartExecution's CPU). Lazy writes waiting in the queue share it too. When
        the writer is busy or the queue holds what it must do (a checkpoint, more than
        INLINE_WRITES), the writer is told to do it all now."""
        self._turn_due = False
        if not self._queue or self._commit_here():
            return
        self._queued.set()
        self._urgent = True
        self._end_window()

    def _commit_here(self) -> bool:
        """Commit the queued writes on the event loop's connection when the writer is idle
        (waiting for writes, or letting lazy ones wait), then answer the flushes queued with
        them. False when the writer must do it (a checkpoint, more than INLINE_WRITES queued).
        Writes that meet a passing failure, and the flushes that wait for them to commit, go
        back to the front of the queue for the writer to retry, in order."""
        if not self._idle or self._inline is None or len(self._queue) > INLINE_WRITES or _CHECKPOINT in self._queue:
            return False
        items = list(self._queue)
        self._queue.clear()
        self._queued.clear()
        self._urgent = False
        self._end_window()
        live = self._live([item for item in items if isinstance(item, _Write)])
        retry: list[_Write | asyncio.Future[None]] = []
        if live:
            retry.extend(self._settle_all(live, _apply(self._inline, live)))
            self._wrote()
        self._answer_flushes(items, retry)
        if retry:  # a passing failure (a full disk): the writer retries them, in order, first
            self._queue.extendleft(reversed(retry))
            self._queued.set()
            self._urgent = True
        return True

    def _answer_flushes(self, items: Sequence[object], held: list[_Write | asyncio.Future[None]]) -> None:
        """Answer the flushes among `items`, now that the writes before them were tried; one that
        waits for them to commit (`flush(committed=True)`) while some are `held` for a retry waits
        with them: it is appended to `held`."""
        for waiter in items:
            if isinstance(waiter, asyncio.Future) and not waiter.done():
                if held and waiter in self._strict:
                    held.append(waiter)
                else:
                    self._strict.discard(waiter)
                    waiter.set_result(None)

    def _live(self, writes: list[_Write]) -> list[_Write]:
        """The writes to try: those of an execution being ended for a failed write are dropped."""
        live = [w for w in writes if w.closing or w.owner is None or w.owner not in self._failed]
        for write in writes:
            if write not in live:
                self._settle(write, RuntimeError(f"execution write dropped: {self._failed.get(write.owner or '')}"))
        return live

    def _settle_all(self, writes: list[_Write], errors: list[BaseException | None]) -> list[_Write]:
        """Settle each write with its error; returns the executions' writes that met a passing
        failure, to be retried in order before anything newer."""
        held: list[_Write] = []
        for write, error in zip(writes, errors):
            if error is not None and write.owner is not None and is_transient(error):
                held.append(write)
            else:
                self._settle(write, error)
        return held

    async def flush(self, committed: bool = False) -> None:
        """Wait until everything queued so far has been tried (a read then sees what committed);
        with `committed`, until it has committed, however long a full disk holds it back."""
        if self._pending == 0:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if committed:
            self._strict.add(done)
        self._urge(done)
        await done

    def failure(self, execution_arn: str) -> str | None:
        """Why a write of this execution failed for good (it is being ended FAILED), or None."""
        return self._failed.get(execution_arn)

    async def _next_batch(self) -> list[_Write | asyncio.Future[None] | str]:
        """Wait for writes; when nobody waits for those queued (an execution's events, its end),
        give them up to `_lazy_seconds` to share a commit with what comes next (the next
        request's write commits them on the loop, `_commit_here`). Sharing one commit writes
        the pages both touch once: on SQLite, a sequential StartExecution's own row and the
        previous execution's end share the executions, index and sequence pages."""
        loop = asyncio.get_running_loop()
        self._idle = True
        try:
            while True:
                await self._queued.wait()
                if self._lazy_seconds and not self._urgent:  # a future and a timer: no task, no wait_for
                    window = self._window = loop.create_future()
                    timer = loop.call_later(self._lazy_seconds, self._end_window)
                    try:
                        await window
                    finally:
                        timer.cancel()
                        self._window = None
                if self._queue:
                    break
                self._queued.clear()  # `_commit_here` took them meanwhile
        finally:
            self._idle = False
        batch: list[_Write | asyncio.Future[None] | str] = []
        while self._queue and len(batch) < _MAX_BATCH:
            batch.append(self._queue.popleft())
        if not self._queue:
            self._queued.clear()
            self._urgent = False
        return batch

    async def _write_loop(self) -> None:
        # Executions' writes that met a passing failure, oldest first, and the flushes that wait
        # for them to commit.
        held: list[_Write | asyncio.Future[None]] = []
        while True:
            if held:
                await asyncio.sleep(RETRY_SECONDS)
                batch: list[_Write | asyncio.Future[None] | str] = [*held]
                held = []
                while self._queue and len(batch) < _MAX_BATCH:
                    batch.append(self._queue.popleft())
                if not self._queue:
                    self._queued.clear()
                    self._urgent = False
            else:
                batch = await self._next_batch()
            writes = [item for item in batch if isinstance(item, _Write)]
            live = self._live(writes)
            errors: list[BaseException | None] = []
            if live:
                try:
                    errors = await self._commit(live)
                except Exception as exc:  # the connection itself failed: every write shares it
                    errors = [exc] * len(live)
            held.extend(self._settle_all(live, errors))
            if held and any(error is not None for error in errors):
                log.warning("%d writes wait for the database to accept them again (%s)",
                            len(held), describe(next(e for e in errors if e is not None)))
            self._answer_flushes(batch, held)
            if _CHECKPOINT in batch:
                await self._checkpoint()
            elif writes:
                self._wrote()

    def _wrote(self) -> None:
        """Writes went into the WAL (one commit): its checkpoint is due a second from now, if not
        yet, or now, after CHECKPOINT_COMMITS."""
        self._commits += 1
        if self._commits == CHECKPOINT_COMMITS:
            self._put(_CHECKPOINT, False)
        if not self._checkpoint_due:
            self._checkpoint_due = True
            asyncio.get_running_loop().call_later(CHECKPOINT_SECONDS, self._put, _CHECKPOINT, False)

    def _settle(self, write: _Write, error: BaseException | None) -> None:
        """A write is done: committed, or failed for good (its request or execution hears why)."""
        self._pending -= 1
        self.backlog -= write.size
        if error is not None:
            if write.owner is not None and not write.closing and write.owner not in self._failed:
                self._failed[write.owner] = describe(error)
                log.error("a write of execution %s failed: %s", write.owner, describe(error))
                if self.on_write_failed is not None:
                    self.on_write_failed(write.owner, self._failed[write.owner])
            elif write.done is None:
                log.error("a write failed: %s", describe(error))
        if write.done is not None and not write.done.done():
            if error is None:
                write.done.set_result(None)
            else:
                write.done.set_exception(for_request(error))

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database file, a second after writes or after CHECKPOINT_COMMITS
        commits, whichever comes first: a plain copy of the database file taken while the server
        runs (a backup, a CI artifact) then holds all but the last second, not whatever SQLite's
        page-count autocheckpoint happened to move."""
        self._checkpoint_due = False
        self._commits = 0
        try:
            assert self._conn is not None
            await self._conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")  # read its row: no open statement
        except Exception:  # a busy reader only postpones it to the next round of writes
            log.debug("WAL checkpoint postponed", exc_info=True)

    async def _commit(self, writes: list[_Write]) -> list[BaseException | None]:
        """One transaction for the whole batch; returns each write's error (None: committed).

        A batch of up to INLINE_WRITES writes (one request's, a few transitions') commits on the
        event loop's own connection: in WAL mode with synchronous=NORMAL a commit appends to the
        WAL without an fsync, tens of microseconds, less than a thread hand-off and the loop's
        wake-up after it (which was a third of a StartExecution's CPU). A larger batch runs in
        one hop to aiosqlite's thread, so the loop keeps serving while it is written; so do the
        checkpoints, the only fsyncs. aiosqlite has no public call for "run this function in
        your thread", so this uses its `_execute`."""
        assert self._conn is not None
        if self._inline is not None and len(writes) <= INLINE_WRITES:
            return _apply(self._inline, writes)
        errors: list[BaseException | None] = await self._conn._execute(  # type: ignore[no-untyped-call]
            _apply, self._conn._conn, writes)
        return errors

    # -- state machines ----------------------------------------------------------------------

    async def put_state_machine(self, record: StateMachineRecord, *, new_revision: bool) -> None:
        row = (
            record.arn, record.account, record.region, record.name, record.type, record.definition,
            record.role_arn, record.creation_date, record.revision_id, record.update_date,
            _dumps(record.logging_configuration), _dumps(record.tracing_configuration),
            _dumps(record.tags), _optional_dumps(record.encryption_configuration),
        )
        statements: list[Statement] = [
            (f"INSERT OR REPLACE INTO state_machines ({_MACHINE_COLUMNS}) VALUES ({_marks(14)})", row, False)
        ]
        if new_revision:
            statements.append((
                "INSERT OR REPLACE INTO state_machine_revisions VALUES (?, ?, ?, ?, ?)",
                (record.arn, record.revision_id or "", record.definition, record.role_arn,
                 record.update_date or record.creation_date),
                False,
            ))
        await self._changing_machine(arn=record.arn, statements=statements)

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The machine as last committed; read from the file once, then from memory (every
        StartExecution asks, and only this store writes the file), as a record of its own."""
        row = self._machines.get(arn)
        if row is None:
            rows = await self._read(f"SELECT {_MACHINE_COLUMNS} FROM state_machines WHERE arn = ?", (arn,))
            if not rows:
                return None
            row = self._machines[arn] = rows[0]
        return _machine(row)  # built afresh from the row: nothing the caller changes is shared

    async def _changing_machine(self, arn: str, statements: list[Statement]) -> None:
        """Write a change of a machine; the cached copy goes before and after (a read while the
        write waits may have cached the old row), so the next read sees what committed."""
        self._machines.pop(arn, None)
        self._revisions.pop(arn, None)
        try:
            await self._write(statements)
        finally:
            self._machines.pop(arn, None)
            self._revisions.pop(arn, None)

    async def get_revision(self, arn: str, revision_id: str | None) -> Revision | None:
        """Read once, then from memory (a parked execution loaded back asks each time): a
        revision is never rewritten, and the machine's change forgets its ARN's anyway."""
        known = self._revisions.get(arn, {}).get(revision_id or "")
        if known is not None:
            return known
        rows = await self._read(
            "SELECT definition, role_arn, update_date FROM state_machine_revisions "
            "WHERE state_machine_arn = ? AND revision_id = ?",
            (arn, revision_id or ""),
        )
        if not rows:
            return None
        revision = self._revisions.setdefault(arn, {})[revision_id or ""] = Revision(*rows[0])
        return revision

    async def delete_state_machine(self, arn: str) -> None:
        await self._changing_machine(arn, [("DELETE FROM state_machines WHERE arn = ?", (arn,), False),
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
        """The execution's row and its first events, committed; ExecutionAlreadyExists when its
        ARN has a row already (the caller reads it only then, not before every start)."""
        row = (
            record.arn, record.state_machine_arn, record.name, record.revision_id, record.status,
            record.input, record.start_date, record.output, record.error, record.cause,
            record.stop_date, record.redrive_count, record.test_case, record.state_machine_version_arn,
            record.state_machine_alias_arn, record.redrive_date, record.map_run_arn,
        )
        try:
            await self._write([
                (f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES ({_marks(17)})", row, False),
                ("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)",
                 [(record.arn, event["id"], _dumps(event)) for event in events], True),
            ])
        except sqlite3.IntegrityError as exc:
            if "executions.arn" not in str(exc):
                raise
            raise ExecutionAlreadyExists.for_arn(record.arn) from None

    def sink(self, execution_arn: str) -> _Sink:
        return _Sink(self, execution_arn)

    async def finish_execution(self, arn: str, outcome: ExecutionOutcome, output: str | None,
                               events: Sequence[HistoryEvent] = (), frames: Mapping[str, str] | None = None) -> None:
        """The end of an execution in one transaction: its closing `events`, its status, and
        no open task tokens left. A SUCCEEDED execution keeps no position; one that did not
        succeed keeps its frames, with the `frames` its last transition changed, for
        RedriveExecution to resume from. Retried until it commits (a full disk passes). Lazy: no
        request waits for it (StopExecution's answer waits `LAZY_SECONDS` more at most)."""
        if outcome.status == "SUCCEEDED":
            position: Statement = ("DELETE FROM frames WHERE execution_arn = ?", (arn,), False)
        else:
            position = ("INSERT OR REPLACE INTO frames VALUES (?, ?, ?)",
                        [(arn, frame_id, body) for frame_id, body in (frames or {}).items()], True)
        await self._write([
            ("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)",
             [(arn, event["id"], _dumps(event)) for event in events], True),
            (
                "UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop_date = ? "
                "WHERE arn = ?",
                (outcome.status, output, outcome.error, outcome.cause, outcome.stop_time, arn),
                False,
            ),
            position,
            (_DELETE_OPEN_TOKENS, (arn,), False),
        ], owner=arn, lazy=True)

    async def redrive_execution(self, arn: str, redrive_count: int, redrive_date: float, tokens: str,
                                event: HistoryEvent, frames: Mapping[str, str],
                                map_runs: Mapping[str, int] | None = None) -> None:
        """RedriveExecution, committed before returning: the execution RUNNING again with its
        redrive fields, its frames replaced by the positions to resume from, its ExecutionRedriven
        event, and the new redrive count of each Map Run it redrives, in one transaction."""
        await self._write([
            ("UPDATE map_runs SET redrive_count = ? WHERE arn = ?",
             [(count, map_run_arn) for map_run_arn, count in (map_runs or {}).items()], True),
            ("UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, "
             "stop_date = NULL, redrive_count = ?, redrive_date = ?, redrive_tokens = ? WHERE arn = ?",
             (redrive_count, redrive_date, tokens, arn), False),
            ("DELETE FROM frames WHERE execution_arn = ?", (arn,), False),
            ("INSERT OR REPLACE INTO frames VALUES (?, ?, ?)",
             [(arn, frame_id, body) for frame_id, body in frames.items()], True),
            ("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)", (arn, event["id"], _dumps(event)), False),
        ], owner=arn)

    async def redrive_tokens(self, arn: str) -> str | None:
        """The client tokens of the execution's last redrives (JSON text), as `redrive_execution` saved them."""
        rows = await self._read("SELECT redrive_tokens FROM executions WHERE arn = ?", (arn,))
        return rows[0][0] if rows else None

    async def close_execution(self, arn: str, event_type: str, status: str, error: str | None,
                              cause: str | None, stop_time: float) -> None:
        """End an execution the runner cannot end (its write failed, it cannot be resumed, or it
        is not running here): its closing event goes after the last one recorded, with its
        status, in one transaction."""
        await self.flush()
        rows = await self._read("SELECT MAX(event_id) FROM history_events WHERE execution_arn = ?", (arn,))
        last = int(rows[0][0] or 0)
        details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        event = {"timestamp": stop_time, "type": event_type, "id": last + 1, "previousEventId": last,
                 details_key(event_type) or "details": details}
        await self._write([
            ("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)", (arn, last + 1, _dumps(event)), False),
            ("UPDATE executions SET status = ?, output = NULL, error = ?, cause = ?, stop_date = ? WHERE arn = ?",
             (status, error, cause, stop_time, arn), False),
            ("DELETE FROM frames WHERE execution_arn = ?", (arn,), False),
            (_DELETE_OPEN_TOKENS, (arn,), False),
        ], owner=arn, closing=True)

    # -- task tokens: answers and heartbeats recorded before SendTask* answers -------------------

    async def record_task_answer(self, token: str, execution_arn: str, answer: str) -> None:
        """Commit the answer to a task token (JSON text); the execution consumes it from here."""
        await self._write([(
            "INSERT INTO task_tokens (token, execution_arn, answer) VALUES (?, ?, ?) "
            "ON CONFLICT (token) DO UPDATE SET answer = excluded.answer", (token, execution_arn, answer), False)])

    async def record_heartbeat(self, token: str, execution_arn: str, at: float) -> None:
        """Commit the time of a task's last heartbeat: its deadline counts from here."""
        await self._write([(
            "INSERT INTO task_tokens (token, execution_arn, heartbeat) VALUES (?, ?, ?) "
            "ON CONFLICT (token) DO UPDATE SET heartbeat = excluded.heartbeat", (token, execution_arn, at), False)])

    async def record_task_timeout(self, token: str, execution_arn: str) -> None:
        """Commit that a task token timed out: a late answer gets TaskTimedOut, after a restart too."""
        await self._write([(
            "INSERT INTO task_tokens (token, execution_arn, timed_out) VALUES (?, ?, 1) "
            "ON CONFLICT (token) DO UPDATE SET timed_out = 1", (token, execution_arn), False)])

    async def task_token_closed(self, token: str) -> bool:
        """Whether the token's task was answered or timed out (its execution may have ended since)."""
        rows = await self._read(
            "SELECT 1 FROM task_tokens WHERE token = ? AND (answer IS NOT NULL OR timed_out IS NOT NULL)", (token,))
        return bool(rows)

    async def task_tokens(self) -> list[TaskTokenRecord]:
        """What was recorded for the open tokens of executions still RUNNING (read on start-up)."""
        rows = await self._read(
            "SELECT token, execution_arn, answer, heartbeat FROM task_tokens WHERE timed_out IS NULL "
            "AND execution_arn IN (SELECT arn FROM executions WHERE status = 'RUNNING')", ())
        return [TaskTokenRecord(*row) for row in rows]

    # Execution rows are written only by awaited writes (create, finish), so reading them needs
    # no flush of the queued history: that keeps DescribeExecution polling cheap.
    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        rows = await self._read(f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE arn = ?", (arn,))
        return ExecutionRecord(*rows[0]) if rows else None

    async def list_executions(
        self, state_machine_arn: str, status: str | None, after: int | None, limit: int,
        redriven: bool | None = None, map_run_arn: str | None = None,
        version_arn: str | None = None, alias_arn: str | None = None,
    ) -> tuple[list[ExecutionRecord], int | None]:
        column = "state_machine_arn" if map_run_arn is None else "map_run_arn"
        sql = f"SELECT seq, {_EXECUTION_COLUMNS} FROM executions WHERE {column} = ?"
        params: list[Any] = [state_machine_arn if map_run_arn is None else map_run_arn]
        if status == "RUNNING":
            sql += " AND status = 'RUNNING'"  # a literal: executions_running serves it (migrations.py)
        elif status:
            sql += " AND status = ?"
            params.append(status)
        if redriven is not None:
            sql += " AND redrive_count > 0" if redriven else " AND redrive_count = 0"
        for column, value in (("state_machine_version_arn", version_arn), ("state_machine_alias_arn", alias_arn)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
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
        return [_loads(row[0]) for row in rows]

    async def get_position(self, execution_arn: str, flushed: bool = False) -> Position:
        if not flushed:
            await self.flush()
        rows = await self._read("SELECT frame_id, body FROM frames WHERE execution_arn = ?", (execution_arn,))
        last = await self._read(
            "SELECT body FROM history_events WHERE execution_arn = ? ORDER BY event_id DESC LIMIT 1",
            (execution_arn,),
        )
        last_event = _loads(last[0][0]) if last else None
        return Position({frame_id: _loads(body) for frame_id, body in rows}, last_event)

    async def list_running(self) -> list[ExecutionRecord]:
        await self.flush()
        rows = await self._read(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE status = 'RUNNING' ORDER BY seq", ()
        )
        return [ExecutionRecord(*row) for row in rows]

    # -- activities ----------------------------------------------------------------------------

    async def put_activity(self, record: ActivityRecord) -> None:
        row = (record.arn, record.account, record.region, record.name, record.creation_date,
               _dumps(record.tags), _optional_dumps(record.encryption_configuration))
        await self._write([
            (f"INSERT OR REPLACE INTO activities ({_ACTIVITY_COLUMNS}) VALUES ({_marks(7)})", row, False)
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
        if self._inline is not None:
            return self._inline.execute(sql, params).fetchall()
        assert self._conn is not None, "store is not open"
        return list(await self._conn.execute_fetchall(sql, params))  # ":memory:": its one connection


class _Sink:
    """The `EventSink` of one execution: turns a transition into one queued write."""

    def __init__(self, store: SqliteStore, execution_arn: str) -> None:
        self._store = store
        self._arn = execution_arn

    def emit(self, events: list[HistoryEvent], checkpoint: Json | None = None) -> None:
        rows = [(self._arn, event["id"], _dumps(event)) for event in events]
        statements: list[Statement] = [("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)", rows, True)]
        size = sum(len(row[2]) for row in rows) if len(rows) > 8 else 0  # a transition's few: no count
        if checkpoint is not None:
            statements.append((
                "INSERT OR REPLACE INTO frames VALUES (?, ?, ?)",
                [(self._arn, frame_id, body) for frame_id, body in checkpoint["frames"].items()],
                True,
            ))
        self._store._enqueue(statements, self._arn, size)

    async def written(self) -> None:
        await self._store.flush(committed=True)

    def behind(self) -> bool:
        return self._store.backlog > BACKLOG_CHARACTERS


def _apply(conn: sqlite3.Connection, writes: list[_Write]) -> list[BaseException | None]:
    """One transaction for the batch (on the loop's connection, or in aiosqlite's thread).

    Tried first as it nearly always goes, every statement in one transaction: no savepoint per
    write, which were four of the twelve statements of a sequential StartExecution's commit.
    When a statement fails (a name in use, a lone surrogate, a full disk), the transaction is
    rolled back and the batch is tried again write by write (`_apply_each`), so that the failure
    is reported to its own write alone."""
    try:
        conn.execute("BEGIN")
        for write in writes:
            execute(conn, write)
        conn.execute("COMMIT")
    except Exception:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return _apply_each(conn, writes)
    return [None] * len(writes)


def execute(conn: sqlite3.Connection, write: _Write) -> None:
    """The write's statements, on `conn`, in the transaction open there."""
    for sql, params, many in write.statements:
        if many:
            conn.executemany(sql, params)
        else:
            conn.execute(sql, params)


def _apply_each(conn: sqlite3.Connection, writes: list[_Write]) -> list[BaseException | None]:
    """Each write under its own SAVEPOINT, then one COMMIT.

    A write that fails is rolled back to its savepoint and reported alone; the others commit.
    Once a write of an execution fails, that execution's later writes in the batch are not
    tried (they would leave a hole in its history). Once one meets a passing failure (a full
    disk), no later write is tried: none may commit before an earlier one it may depend on (an
    answer before the position that holds its token). When SQLite drops the whole transaction
    (it may on a full disk), or the COMMIT fails, every write gets that error."""
    errors: list[BaseException | None] = [None] * len(writes)
    failed: dict[str, BaseException] = {}
    blocked: BaseException | None = None
    try:
        conn.execute("BEGIN")
        for index, write in enumerate(writes):
            if blocked is not None or (write.owner is not None and write.owner in failed):
                errors[index] = blocked or failed[write.owner or ""]
                continue
            conn.execute("SAVEPOINT w")
            try:
                execute(conn, write)
            except Exception as exc:
                if not conn.in_transaction:
                    raise  # SQLite rolled back everything: nothing of this batch is kept
                conn.execute("ROLLBACK TO w")
                errors[index] = exc
                if write.owner is not None:
                    failed[write.owner] = exc
                if is_transient(exc):
                    blocked = exc
            conn.execute("RELEASE w")
        conn.execute("COMMIT")
    except Exception as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [error or exc for error in errors]
    return errors


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _activity(row: Sequence[Any]) -> ActivityRecord:
    arn, account, region, name, creation_date, tags, encryption = row
    return ActivityRecord(arn, account, region, name, creation_date, _loads(tags),
                          encryption_configuration=_optional_loads(encryption))


def _machine(row: Sequence[Any]) -> StateMachineRecord:
    """The record of a cached row, built afresh for every caller (orjson: a start pays it)."""
    values = list(row[:13])
    values[10:13] = [_loads(value) for value in values[10:13]]
    return StateMachineRecord(*values, encryption_configuration=_optional_loads(row[13]))  # type: ignore[misc]


def _optional_dumps(value: Any) -> str | None:
    return None if value is None else _dumps(value)


def _optional_loads(text: str | None) -> Any:
    return None if text is None else _loads(text)
