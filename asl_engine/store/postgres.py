"""The PostgreSQL store: `serve --db postgresql://user:password@host/db` (or `ASL_ENGINE_DB`).

Why PostgreSQL: teams that run asl-engine as a shared environment want a database they already
operate, backed up and replicated, and several servers on it, all serving at once: each runs
the executions it holds a lease on and answers any call (postgres_cluster.py, service/cluster.py).
SQLite stays the default.

Why it reuses the SQLite store: the queries are the same and the guarantees must be the same, so
they are written once. `SqliteStore` keeps its group commit (one background writer, one
transaction per batch of transitions, a SAVEPOINT per write so one failed write fails alone,
awaited writes answered only once committed) and its queries, written in the SQL both databases
speak; this class swaps the connection underneath and translates SQLite's two idioms the
queries use: `?` placeholders, and `INSERT OR REPLACE` (an upsert on the table's primary key).
Writes go through one psycopg connection in a worker thread, as SQLite's go through aiosqlite's
thread; reads take a connection from a small pool, so they never wait behind a commit.

Why psycopg 3 (not asyncpg): both are maintained, but psycopg is released with every
PostgreSQL release on libpq (so a URL, TLS and authentication mean what `psql` makes of them),
gives SAVEPOINTs and LISTEN/NOTIFY first-class async and sync APIs, and has its own pool.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any, Sequence
from urllib.parse import urlsplit, urlunsplit

from ..aws_errors import ExecutionAlreadyExists, ExecutionNotRedrivable, TaskTimedOut
from ..execution import HistoryEvent
from . import ExecutionRecord
from .errors import DatabaseUnusable, describe, for_request
from .postgres_cluster import LEASE_SECONDS, ClusterMixin, is_fenced
from .postgres_migrations import migrate
from .sqlite import SqliteStore, Statement, _apply_each, _Write, execute

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
POOL_SIZE = 4  # connections for reads; the writer has its own
POOL_VARIABLE = "ASL_ENGINE_DB_POOL"
LEASE_VARIABLE = "ASL_ENGINE_LEASE_SECONDS"
CONNECT_SECONDS = 10.0
_FENCE = "SELECT asl_engine_fence(?, ?)"

_UPSERT = re.compile(r"INSERT OR REPLACE INTO (\w+)(?: \(([^)]*)\))? VALUES ")
# Each table's primary key and other columns, read from the catalog (no list to keep in step).
_TABLES = """
SELECT c.relname, a.attname, a.attnum = ANY(i.indkey) AS key, a.attidentity <> '' AS identity
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""


def is_url(db: str) -> bool:
    """Does `--db` name a PostgreSQL database (rather than an SQLite file)?"""
    return db.startswith(URL_SCHEMES)


def redact(db: str) -> str:
    """The database as logs and the start-up line may show it: a URL without its password, whether
    in the user part (`user:pw@`) or a libpq query parameter (`?password=pw`)."""
    if not is_url(db):
        return db
    parts = urlsplit(db)
    if parts.password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1))
    query = "&".join(_PASSWORD.sub(r"\1***", item) for item in parts.query.split("&"))
    return urlunsplit(parts._replace(query=query))


_PASSWORD = re.compile(r"^(\s*password\s*=).*", re.IGNORECASE | re.DOTALL)  # one `key=value` of a query


_REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")  # the statuses RedriveExecution takes (service/redrive.py)


def _why(error: BaseException) -> str:
    """`describe` on one line: libpq's messages carry a hint on a second line."""
    return " ".join(describe(error).split())


class PostgresStore(ClusterMixin, SqliteStore):
    """`Store` on PostgreSQL: SQLite's group commit and queries (see the module docstring)."""

    def __init__(self, url: str, pool_size: int | None = None, lease_seconds: float | None = None) -> None:
        super().__init__(url)
        self.url = url
        self.pool_size = pool_size or int(_setting(POOL_VARIABLE, POOL_SIZE, 1))
        self.lease_seconds = lease_seconds or _setting(LEASE_VARIABLE, LEASE_SECONDS, 0.5)
        self.new_server_id()
        self._writer_server = ""  # the server id the writer's session names new executions with
        self._lost: set[str] = set()  # executions whose write was fenced: another server runs them
        self._writer_conn: Any = None  # psycopg.Connection, used in worker threads only
        self._pool: Any = None  # psycopg_pool.AsyncConnectionPool, for reads
        self._upserts: dict[str, tuple[list[str], list[str]]] = {}  # table -> (key, other columns)
        self._sql: dict[str, str] = {}  # SQLite statement -> PostgreSQL statement
        # PostgreSQL checkpoints by itself: the writer never schedules SQLite's WAL checkpoint.
        self._checkpoint_due = True

    def connect(self) -> None:
        """Connect the writer: `serve` calls this before it listens, so a database that cannot
        be reached or logged into (or a missing driver) stops it with one line
        (`DatabaseUnusable`)."""
        psycopg = _driver()
        try:
            if self._writer_conn is None:
                self._writer_conn = self._connect()
        except psycopg.Error as exc:
            raise DatabaseUnusable(f"cannot use the database {redact(self.url)}: {_why(exc)}") from None

    async def open(self) -> None:
        """Connect, upgrade the schema, open the read pool, take a lease (postgres_cluster.py);
        `DatabaseUnusable` says why not."""
        psycopg = _driver()
        from psycopg_pool import AsyncConnectionPool, PoolTimeout

        try:
            await asyncio.to_thread(self._prepare)
            self._pool = AsyncConnectionPool(self.url, min_size=1, max_size=self.pool_size, open=False,
                                             kwargs={"autocommit": True}, timeout=CONNECT_SECONDS)
            await self._pool.open(wait=True, timeout=CONNECT_SECONDS)
            await self.join()
        except (psycopg.Error, PoolTimeout, RuntimeError) as exc:
            await self._release()
            raise DatabaseUnusable(f"cannot use the database {redact(self.url)}: {_why(exc)}") from None
        self._writer = asyncio.create_task(self._write_loop(), name="asl-engine-store-writer")

    def _prepare(self) -> None:
        """Upgrade the schema and read each table's key for the upserts."""
        if self._writer_conn is None:
            self._writer_conn = self._connect()
        migrate(self._writer_conn)
        rows = self._writer_conn.execute(_TABLES).fetchall()
        upserts: dict[str, tuple[list[str], list[str]]] = {}
        for table, column, key, identity in rows:
            keys, others = upserts.setdefault(table, ([], []))
            if key:
                keys.append(column)
            elif not identity:
                others.append(column)
        self._upserts = upserts

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=int(CONNECT_SECONDS))

    def _reconnect(self) -> None:
        """A new writer connection (the fence keeps a server that was cut off from writing what
        another server runs now)."""
        if self._writer_conn is not None:
            self._writer_conn.close()
        self._writer_conn = None
        self._writer_server = ""
        self._writer_conn = self._connect()

    async def close(self) -> None:
        if self._pool is None:
            return
        await self.flush()
        try:
            await self.leave()
        except Exception:  # the lease then expires by itself
            log.warning("the lease could not be given up; it expires in %gs", self.lease_seconds, exc_info=True)
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._release()

    async def _release(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._writer_conn is not None:
            await asyncio.to_thread(self._writer_conn.close)
            self._writer_conn = None

    async def _checkpoint(self) -> None:
        """Nothing to do: PostgreSQL's own checkpointer writes its WAL back."""

    async def _commit(self, writes: list[_Write]) -> list[BaseException | None]:
        """The batch in one transaction (`_apply`, savepoints only when a write fails), run in a
        worker thread on the writer connection (reconnected first if the last batch lost it)."""
        return await asyncio.to_thread(self._apply, writes)

    def _apply(self, writes: list[_Write]) -> list[BaseException | None]:
        """First the whole batch at once (`_apply_at_once`); if any write of it fails, nothing
        of it committed, and it is applied again write by write under savepoints (SQLite's
        `_apply_each`), so the failing write fails alone. A batch that met a connection the server
        had dropped (a restart, a failover) is tried once more on a new one, so no request pays
        for the stale connection."""
        for _ in range(2):
            if self._writer_conn is None or self._writer_conn.closed or self._writer_conn.broken:
                self._reconnect()
            if self._writer_server != self.server_id:  # new executions are this server's
                self._writer_conn.execute("SELECT set_config('asl_engine.server', %s, false)", (self.server_id,))
                self._writer_server = self.server_id
            translating = _Translating(self, self._writer_conn)
            try:
                errors: list[BaseException | None] = self._apply_at_once(translating, writes)
            except Exception as exc:  # the server refused a statement, or one could not be encoded
                if translating.in_transaction:
                    translating.execute("ROLLBACK")
                if self._writer_conn.broken:
                    errors = [exc] * len(writes)
                else:
                    errors = _apply_each(translating, writes)  # type: ignore[arg-type]
            if not self._writer_conn.broken:
                break
        return errors

    @staticmethod
    def _apply_at_once(conn: _Translating, writes: list[_Write]) -> list[BaseException | None]:
        """The batch in one transaction sent as one pipeline: one round trip to the server
        instead of four per write (a savepoint, the write, its release). Raises if any
        statement fails; then nothing of the batch is committed."""
        with conn.pipeline():
            conn.execute("BEGIN")
            for write in writes:
                execute(conn, write)  # type: ignore[arg-type]
            conn.execute("COMMIT")
        return [None] * len(writes)

    # -- several servers: the fence on every write of an execution (postgres_cluster.py) --------------

    def _enqueue(self, statements: list[Statement], owner: str | None = None, size: int = 0) -> None:
        if owner is not None:
            statements = [(_FENCE, (owner, self.server_id), False), *statements]
        super()._enqueue(statements, owner, size)

    async def _write(self, statements: list[Statement], owner: str | None = None, closing: bool = False,
                     lazy: bool = False) -> None:
        if owner is not None:
            statements = [(_FENCE, (owner, self.server_id), False), *statements]
        await super()._write(statements, owner, closing, lazy)

    def _settle(self, write: _Write, error: BaseException | None) -> None:
        """A fenced write is dropped, and its execution released here (it runs on elsewhere),
        not ended FAILED as a write that failed is."""
        if error is None or write.owner is None or not is_fenced(error):
            super()._settle(write, error)
            return
        self._pending -= 1
        if write.owner not in self._lost:
            self._lost.add(write.owner)
            log.warning("execution %s runs on another server now: this one stops running it", write.owner)
            if self.on_lease_lost is not None:
                self.on_lease_lost(write.owner)
        if write.done is not None and not write.done.done():
            write.done.set_exception(for_request(error))

    async def create_execution(self, record: ExecutionRecord, events: Sequence[HistoryEvent] = ()) -> None:
        """Two servers starting one name at once: the second finds the first's row."""
        import psycopg

        try:
            await super().create_execution(record, events)
        except psycopg.errors.UniqueViolation:
            raise ExecutionAlreadyExists.for_arn(record.arn) from None

    async def record_task_answer(self, token: str, execution_arn: str, answer: str) -> None:
        """Commit the answer (in the group commit, as on SQLite) unless another server committed
        one first (two SendTask* for one token on two servers at once): then TaskTimedOut, the
        task having been closed, and the other answer is the one delivered."""
        await self._write([(
            "INSERT INTO task_tokens (token, execution_arn, answer) VALUES (?, ?, ?) ON CONFLICT (token) "
            "DO UPDATE SET answer = excluded.answer WHERE task_tokens.answer IS NULL "
            "AND task_tokens.timed_out IS NULL", (token, execution_arn, answer), False)])
        record = await self.token_record(token)
        if record is None or record[0] != answer:
            raise TaskTimedOut("Task Timed Out")

    async def list_running(self) -> list[ExecutionRecord]:
        """The RUNNING executions this server takes over now: those of servers whose lease
        expired (all of them, on a database one server used alone)."""
        await self.flush()
        claimed = await self.claim_running()
        self._lost.difference_update(record.arn for record in claimed)
        return claimed

    async def redrive_execution(self, arn: str, redrive_count: int, *args: Any, **kwargs: Any) -> None:
        """RedriveExecution runs the execution here. Two servers may redrive it at once: one
        conditional update decides which (still ended, its redrive count unchanged), making it
        RUNNING and this server's; the other finds it RUNNING (ExecutionNotRedrivable, as AWS
        answers for a running execution). A stop asked of its earlier run is forgotten."""
        rows = await self._read("SELECT status FROM executions WHERE arn = ?", (arn,))
        ended = rows[0][0] if rows and rows[0][0] in _REDRIVABLE else None
        if ended is None or not await self._read(
                "UPDATE executions SET owner = ?, status = 'RUNNING' WHERE arn = ? AND status = ? "
                "AND redrive_count = ? RETURNING arn", (self.server_id, arn, ended, redrive_count - 1)):
            raise ExecutionNotRedrivable("Execution is RUNNING and cannot be redriven")
        try:
            await self.drop_stop(arn)
            self._lost.discard(arn)
            await super().redrive_execution(arn, redrive_count, *args, **kwargs)
        except BaseException:  # not redriven after all: it is ended as it was
            await self._read("UPDATE executions SET status = ? WHERE arn = ? AND status = 'RUNNING' "
                             "AND redrive_count = ? RETURNING arn", (ended, arn, redrive_count - 1))
            raise

    async def put_activity(self, record: Any) -> None:
        await super().put_activity(record)
        await self.notify({"kind": "activities"})

    async def delete_activity(self, arn: str) -> None:
        await super().delete_activity(arn)
        await self.notify({"kind": "activities"})

    async def _changing_machine(self, arn: str, statements: list[Statement]) -> None:
        await super()._changing_machine(arn, statements)
        await self.notify({"kind": "machine", "arn": arn})

    def forget_machine(self, arn: str) -> None:
        """Another server changed the machine: read it again next time."""
        self._machines.pop(arn, None)
        self._revisions.pop(arn, None)

    def forget_machines(self) -> None:
        """Changes made elsewhere may have gone unheard (service/cluster.py listened again): read
        every machine again."""
        self._machines.clear()
        self._revisions.clear()

    async def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """One query on a pooled connection. A connection the server dropped (a restart, a
        failover) is discarded by the pool and the query tried once more on a new one; if that
        fails too, the request is answered `ServiceUnavailable`, which SDKs retry."""
        import psycopg

        try:
            rows = await self._query(sql, params)
        except psycopg.OperationalError:
            try:
                rows = await self._query(sql, params)
            except psycopg.OperationalError as exc:
                self.unreachable = True  # GET /health answers 503 until a read succeeds again
                raise for_request(exc) from None
        self.unreachable = False
        return rows

    async def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        assert self._pool is not None, "store is not open"
        async with self._pool.connection() as conn:
            cursor = await conn.execute(self.translate(sql), params)
            return list(await cursor.fetchall())

    async def _read_unsynced(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """A write whose commit need not wait for the disk: one that a later synchronous commit
        of this server makes durable before anyone relies on it (PostgreSQL writes its log in
        order), such as taking an activity task, which GetActivityTask answers only once
        ActivityStarted has committed."""
        assert self._pool is not None, "store is not open"
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            cursor = await conn.execute(self.translate(sql), params)
            return list(await cursor.fetchall())

    def translate(self, sql: str) -> str:
        """The PostgreSQL form of one of the SQLite store's statements (cached)."""
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = _translate(sql, self._upserts)
        return translated


def _translate(sql: str, tables: dict[str, tuple[list[str], list[str]]]) -> str:
    """`?` -> `%s` (a literal `%` doubled), `INSERT OR REPLACE` -> `INSERT ... ON CONFLICT (key)
    DO UPDATE` of the columns given (all of them when the statement lists none)."""
    sql = sql.replace("%", "%%")
    match = _UPSERT.match(sql)
    if match:
        table, listed = match.group(1), match.group(2)
        keys, others = tables[table]
        columns = [name.strip() for name in listed.split(",")] if listed else others
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in keys)
        sql = (f"INSERT INTO {table}{f' ({listed})' if listed else ''} VALUES {sql[match.end():]} "
               f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")
    return sql.replace("?", "%s")


class _Translating:
    """The writer connection as `_apply_each` uses an sqlite3 connection: statements translated."""

    def __init__(self, store: PostgresStore, conn: Any) -> None:
        self._store = store
        self._conn = conn
        self._cursor = conn.cursor()

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        status = self._conn.info.transaction_status
        return bool(status in (TransactionStatus.INTRANS, TransactionStatus.INERROR))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._store.translate(sql), params or None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._store.translate(sql), rows)

    def pipeline(self) -> Any:
        return self._conn.pipeline()


def _setting(name: str, default: float, least: float) -> float:
    """A number from the environment (`default` when unset); `DatabaseUnusable` when it is not one."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = least - 1
    if not value >= least:
        raise DatabaseUnusable(f"{name} must be a number >= {least:g}, not {text!r}")
    return value


def _driver() -> Any:
    """psycopg, or `DatabaseUnusable` saying how to install it (an optional extra)."""
    try:
        import psycopg
    except ImportError:
        raise DatabaseUnusable("a postgresql:// database needs the PostgreSQL driver: "
                               "pip install 'asl-engine[postgres]'") from None
    return psycopg
