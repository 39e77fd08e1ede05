"""The PostgreSQL store: `serve --db postgresql://user:password@host/db` (or `ASL_ENGINE_DB`).

Why PostgreSQL: teams that run asl-engine as a shared environment want a database they already
operate, backed up and replicated, and more than one server on it: today one serves and the
others wait as standbys (`wait_for_turn`). SQLite stays the default.

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
import re
from typing import Any, Sequence
from urllib.parse import urlsplit, urlunsplit

from .errors import DatabaseUnusable, describe, for_request
from .postgres_migrations import migrate
from .sqlite import SqliteStore, _apply, _Write

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
POOL_SIZE = 4  # connections for reads; the writer has its own
CONNECT_SECONDS = 10.0
# Held by the one server using a database (its writer connection's session). Servers sharing a
# database's executions need leases on them, which this store does not have yet; so a second
# server waits as a standby (`wait_for_turn`) and takes over (resumes every execution from its
# saved position, as after a restart) once the first is gone: the lock is released when that
# server's connection ends, however the server ends (a SIGKILL included).
_ONE_SERVER_LOCK = 0x61736C66
# A writer that lost its connection waits this long for the lock on a new one (the server may not
# yet have noticed the old connection is gone); if a standby has taken over, it gives up.
RELOCK_SECONDS = 10.0

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
    """The database as logs and the start-up line may show it: a URL without its password."""
    if not is_url(db):
        return db
    parts = urlsplit(db)
    if parts.password is None:
        return db
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _why(error: BaseException) -> str:
    """`describe` on one line: libpq's messages carry a hint on a second line."""
    return " ".join(describe(error).split())


class PostgresStore(SqliteStore):
    """`Store` on PostgreSQL: SQLite's group commit and queries (see the module docstring)."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        super().__init__(url)
        self.url = url
        self.pool_size = pool_size
        self._writer_conn: Any = None  # psycopg.Connection, used in worker threads only
        self._pool: Any = None  # psycopg_pool.AsyncConnectionPool, for reads
        self._upserts: dict[str, tuple[list[str], list[str]]] = {}  # table -> (key, other columns)
        self._sql: dict[str, str] = {}  # SQLite statement -> PostgreSQL statement
        # PostgreSQL checkpoints by itself: the writer never schedules SQLite's WAL checkpoint.
        self._checkpoint_due = True

    def wait_for_turn(self) -> None:
        """Connect and take the one-server lock; while another server holds it, wait as its
        standby (blocked in PostgreSQL: nothing polls). `serve` calls this before it listens, so
        a standby does not listen, and a signal stops it at once. `DatabaseUnusable` with one
        line if the database cannot be reached or logged into (or the driver is missing)."""
        psycopg = _driver()
        try:
            self._take_lock()
        except psycopg.Error as exc:
            raise DatabaseUnusable(f"cannot use the database {redact(self.url)}: {_why(exc)}") from None

    def _take_lock(self) -> None:
        if self._writer_conn is None:
            self._writer_conn = self._connect()
        row = self._writer_conn.execute("SELECT pg_try_advisory_lock(%s)", (_ONE_SERVER_LOCK,)).fetchone()
        if row and row[0]:
            return
        log.warning("another asl-engine server is using the database %s: this one waits as its standby "
                    "and takes over when it stops", redact(self.url))
        self._writer_conn.execute("SELECT pg_advisory_lock(%s)", (_ONE_SERVER_LOCK,))
        log.warning("the other server stopped: this one takes over the database %s", redact(self.url))

    async def open(self) -> None:
        """Take the lock (unless `wait_for_turn` has), upgrade the schema, open the read pool;
        `DatabaseUnusable` says why not."""
        psycopg = _driver()
        from psycopg_pool import AsyncConnectionPool, PoolTimeout

        try:
            await asyncio.to_thread(self._take_lock)
            await asyncio.to_thread(self._prepare)
            self._pool = AsyncConnectionPool(self.url, min_size=1, max_size=self.pool_size, open=False,
                                             kwargs={"autocommit": True}, timeout=CONNECT_SECONDS)
            await self._pool.open(wait=True, timeout=CONNECT_SECONDS)
        except (psycopg.Error, PoolTimeout, RuntimeError) as exc:
            await self._release()
            raise DatabaseUnusable(f"cannot use the database {redact(self.url)}: {_why(exc)}") from None
        self._writer = asyncio.create_task(self._write_loop(), name="asl-engine-store-writer")

    def _prepare(self) -> None:
        """Upgrade the schema (under the lock: never under a running older server) and read
        each table's key for the upserts."""
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
        """A new writer connection, holding the lock again. If a standby took over meanwhile, the
        writes stay queued and requests are answered ServiceUnavailable: nothing of this server
        is written after the other server began."""
        import psycopg

        if self._writer_conn is not None:
            self._writer_conn.close()
        self._writer_conn = None
        conn = self._connect()
        try:
            conn.execute(f"SET lock_timeout = {int(RELOCK_SECONDS * 1000)}")
            conn.execute("SELECT pg_advisory_lock(%s)", (_ONE_SERVER_LOCK,))
            conn.execute("RESET lock_timeout")
        except psycopg.errors.LockNotAvailable:
            conn.close()
            raise psycopg.OperationalError(
                "another asl-engine server took over this database while this one was cut off from it; "
                "restart this one (it then waits as a standby)") from None
        self._writer_conn = conn

    async def close(self) -> None:
        if self._pool is None:
            return
        await self.flush()
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
        """The batch in one transaction, a SAVEPOINT per write: SQLite's `_apply`, run in a
        worker thread on the writer connection (reconnected first if the last batch lost it)."""
        return await asyncio.to_thread(self._apply, writes)

    def _apply(self, writes: list[_Write]) -> list[BaseException | None]:
        """First the whole batch at once (`_apply_at_once`); if any write of it fails, nothing
        of it committed, and it is applied again write by write under savepoints (SQLite's
        `_apply`), so the failing write fails alone. A batch that met a connection the server
        had dropped (a restart, a failover) is tried once more on a new one, so no request pays
        for the stale connection."""
        for _ in range(2):
            if self._writer_conn is None or self._writer_conn.closed or self._writer_conn.broken:
                self._reconnect()
            translating = _Translating(self, self._writer_conn)
            try:
                errors: list[BaseException | None] = self._apply_at_once(translating, writes)
            except Exception as exc:  # the server refused a statement, or one could not be encoded
                if translating.in_transaction:
                    translating.execute("ROLLBACK")
                if self._writer_conn.broken:
                    errors = [exc] * len(writes)
                else:
                    errors = _apply(translating, writes)  # type: ignore[arg-type]
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
                for sql, params, many in write.statements:
                    if many:
                        conn.executemany(sql, params)
                    else:
                        conn.execute(sql, params)
            conn.execute("COMMIT")
        return [None] * len(writes)

    async def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """One query on a pooled connection. A connection the server dropped (a restart, a
        failover) is discarded by the pool and the query tried once more on a new one; if that
        fails too, the request is answered `ServiceUnavailable`, which SDKs retry."""
        import psycopg

        try:
            return await self._query(sql, params)
        except psycopg.OperationalError:
            try:
                return await self._query(sql, params)
            except psycopg.OperationalError as exc:
                raise for_request(exc) from None

    async def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        assert self._pool is not None, "store is not open"
        async with self._pool.connection() as conn:
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
    """The writer connection as `_apply` uses an sqlite3 connection: statements translated."""

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


def _driver() -> Any:
    """psycopg, or `DatabaseUnusable` saying how to install it (an optional extra)."""
    try:
        import psycopg
    except ImportError:
        raise DatabaseUnusable("a postgresql:// database needs the PostgreSQL driver: "
                               "pip install 'asl-engine[postgres]'") from None
    return psycopg
