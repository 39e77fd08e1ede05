"""Several servers on one PostgreSQL database: leases, the fence, and what servers ask each other.

Why a lease per server, not per execution: renewing costs one row a few times a lease whatever
the number of executions. A server's row in `asl_engine_servers` expires `lease_seconds` after
its last renewal (the database's clock, so servers' clocks never disagree); each RUNNING
execution names its server (`executions.owner`). An execution whose server's lease expired is
claimed by another (`claim_running`, `FOR UPDATE SKIP LOCKED`: two servers never claim one row;
each takes its share, so the servers left split the work), which resumes it from its saved
position as after a restart. A lease that expired is never
renewed: a server that finds its own expired (it was paused, or cut off) has lost every execution
and joins again under a new id.

Why a fence on every write: a server paused past its lease wakes up with writes queued for
executions another server now runs. Each write of an execution first calls `asl_engine_fence`
(postgres_migrations.py, script 3 -> 4) in its transaction: it holds the execution's row until
the commit, so a claim waits for a write under way and the claimer reads the position after it;
and it refuses (SQLSTATE AE001) the write of a server that no longer owns the execution. Such a
write is dropped and its execution released here (`on_lease_lost`), never ended: it runs on.

What one server asks of another goes through the database: a task's answer or heartbeat
(`task_tokens`, as a restart reads them), a stop (`execution_stops`), an activity task
(`activity_tasks`, taken with `SKIP LOCKED` by exactly one poller); `notify` wakes the server
concerned at once (NOTIFY on the channel `asl_engine`, which service/cluster.py listens to).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Sequence

from . import ExecutionRecord

log = logging.getLogger(__name__)

CHANNEL = "asl_engine"
LEASE_SECONDS = 10.0  # ASL_ENGINE_LEASE_SECONDS
FENCED = "AE001"  # asl_engine_fence's SQLSTATE: the execution runs on another server now
_CLAIM_BATCH = 100
# A RUNNING execution (`e`) no live server owns. In the claim's locking subquery it is checked
# again on the row as another server's claim left it, so no two servers claim one execution. A
# Distributed Map's child goes with its parent (the parent's Map resumes it, `take_over`) unless
# its parent is not running any more (it is then ended, service/executions.py `_orphan`).
_ORPHAN = ("e.status = 'RUNNING' AND (e.owner IS NULL OR NOT EXISTS (SELECT 1 FROM asl_engine_servers s "
           "WHERE s.id = e.owner AND s.expires > clock_timestamp())) AND (e.map_run_arn IS NULL OR NOT EXISTS "
           "(SELECT 1 FROM map_runs m JOIN executions p ON p.arn = m.execution_arn "
           "WHERE m.arn = e.map_run_arn AND p.status = 'RUNNING'))")


def is_fenced(error: BaseException) -> bool:
    """Was a write refused because another server runs its execution now?"""
    return getattr(error, "sqlstate", None) == FENCED


class ClusterMixin:
    """The PostgreSQL store's part in running several servers on one database."""

    server_id: str = ""
    lease_seconds: float = LEASE_SECONDS
    # Told (on the event loop) of an execution another server runs now: stop running it here.
    on_lease_lost: Callable[[str], None] | None = None
    _execution_columns: str
    _read: Callable[[str, Sequence[Any]], Awaitable[list[Any]]]  # the store's query on its read pool
    _enqueue: Callable[..., None]  # the store's queued write (group commit)
    _write: Callable[..., Awaitable[None]]  # the same, returning once committed
    _read_unsynced: Callable[[str, Sequence[Any]], Awaitable[list[Any]]]  # a write the next commit makes durable

    _renewed: float | None = None  # the event loop's time of the last lease taken or renewed
    unreachable = False  # the last read found the database unreachable (store/postgres.py `_read`)

    def trouble(self) -> str | None:
        """Why this server should get no calls now (GET /health answers 503), or None; known
        without a query: the last read, and the lease, renewed four times a lease."""
        if self.unreachable:
            return "the database is unreachable"
        if self._renewed is None or asyncio.get_running_loop().time() - self._renewed > self.lease_seconds:
            return "this server holds no lease on the database"
        return None

    def new_server_id(self) -> str:
        self.server_id = uuid.uuid4().hex
        return self.server_id

    async def join(self) -> None:
        """Take a lease under a new id (a server that lost its lease joins again this way)."""
        server = self.new_server_id()
        await self._read(
            "INSERT INTO asl_engine_servers (id, expires) "
            "VALUES (?, clock_timestamp() + make_interval(secs => ?)) RETURNING id",
            (server, self.lease_seconds))
        self._renewed = asyncio.get_running_loop().time()
        log.info("server %s holds a lease of %gs on the database", server, self.lease_seconds)

    async def renew(self) -> bool:
        """Extend the lease; False when it had expired (its executions may run elsewhere now).
        Expired leases of servers long gone are deleted on the way."""
        rows = await self._read(
            "UPDATE asl_engine_servers SET expires = clock_timestamp() + make_interval(secs => ?) "
            "WHERE id = ? AND expires > clock_timestamp() RETURNING id", (self.lease_seconds, self.server_id))
        if rows:
            self._renewed = asyncio.get_running_loop().time()
        return bool(rows)

    async def leave(self) -> None:
        """Give the lease up (a clean shutdown): the others take the executions over at once."""
        await self._read("DELETE FROM asl_engine_servers WHERE id = ? OR expires < clock_timestamp() - "
                         "interval '1 hour' RETURNING id", (self.server_id,))
        await self.notify({"kind": "left"})

    async def claim_running(self) -> list[ExecutionRecord]:
        """Take over this server's share of the RUNNING executions whose server's lease expired
        (or that name none), oldest first: the orphans over the live servers (at least
        `_CLAIM_BATCH`), so the servers left split a stopped server's executions between them;
        the next round takes what is left. This server resumes them."""
        rows = await self._read(
            f"UPDATE executions SET owner = ? WHERE seq IN (SELECT seq FROM executions e WHERE {_ORPHAN} "
            f"ORDER BY seq LIMIT (SELECT greatest(?, ceil(count(*)::numeric / greatest(1, (SELECT count(*) "
            f"FROM asl_engine_servers WHERE expires > clock_timestamp())))) FROM executions e WHERE {_ORPHAN}) "
            f"FOR UPDATE SKIP LOCKED) RETURNING seq, {self._execution_columns}", (self.server_id, _CLAIM_BATCH))
        return [ExecutionRecord(*row[1:]) for row in sorted(rows, key=lambda row: row[0])]

    async def take_over(self, arn: str) -> bool:
        """Claim one execution that is not running anywhere now (redrive: before it runs again here)."""
        rows = await self._read(
            "UPDATE executions SET owner = ? WHERE arn = ? AND (status <> 'RUNNING' OR owner IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM asl_engine_servers s WHERE s.id = executions.owner AND s.expires > clock_timestamp())) "
            "RETURNING arn", (self.server_id, arn))
        return bool(rows)

    async def notify(self, message: dict[str, Any]) -> None:
        """Tell every server (this one too) about `message`; delivered once committed."""
        await self._read("SELECT pg_notify(?, ?)", (CHANNEL, json.dumps(message)))

    # -- task tokens answered on another server ---------------------------------------------------

    async def token_waits(self, token: str, execution_arn: str) -> bool | None:
        """Does the RUNNING execution wait on this token? True: its saved position holds the
        token, and nobody answered it or saw it time out yet. None: it runs but its position
        does not hold the token (yet: a token is handed out as its position is being committed).
        False: no."""
        rows = await self._read(
            "SELECT EXISTS (SELECT 1 FROM frames f WHERE f.execution_arn = e.arn AND strpos(f.body, ?) > 0), "
            "EXISTS (SELECT 1 FROM task_tokens t WHERE t.token = ? AND (t.answer IS NOT NULL OR t.timed_out IS NOT NULL)) "
            "FROM executions e WHERE e.arn = ? AND e.status = 'RUNNING'", (token, token, execution_arn))
        if not rows or rows[0][1]:
            return False
        return True if rows[0][0] else None

    async def answer_token(self, token: str, execution_arn: str, answer: str) -> bool:
        """Commit an answer unless the token was answered or timed out meanwhile (False)."""
        rows = await self._read(
            "INSERT INTO task_tokens (token, execution_arn, answer) VALUES (?, ?, ?) ON CONFLICT (token) "
            "DO UPDATE SET answer = excluded.answer WHERE task_tokens.answer IS NULL "
            "AND task_tokens.timed_out IS NULL RETURNING token", (token, execution_arn, answer))
        return bool(rows)

    async def token_record(self, token: str) -> tuple[str | None, float | None] | None:
        """A token's committed answer and last heartbeat."""
        rows = await self._read("SELECT answer, heartbeat FROM task_tokens WHERE token = ?", (token,))
        return (rows[0][0], rows[0][1]) if rows else None

    async def answered_tokens(self, tokens: Sequence[str]) -> list[tuple[str, str]]:
        """(token, answer) of those of `tokens` that were answered (after a missed notification)."""
        return [(row[0], row[1]) for row in await self._read(
            "SELECT token, answer FROM task_tokens WHERE token = ANY(?) AND answer IS NOT NULL", (list(tokens),))]

    # -- stops -----------------------------------------------------------------------------------

    async def request_stop(self, arn: str, error: str | None, cause: str | None) -> None:
        await self._read("INSERT INTO execution_stops VALUES (?, ?, ?) ON CONFLICT (execution_arn) DO NOTHING "
                         "RETURNING execution_arn", (arn, error, cause))

    async def stop_requests(self, arns: Sequence[str] | None) -> dict[str, tuple[str | None, str | None]]:
        """The stops asked of these executions (None: of any) that have not ended yet."""
        if arns is None:
            rows = await self._read("SELECT execution_arn, error, cause FROM execution_stops", ())
        else:
            rows = await self._read("SELECT execution_arn, error, cause FROM execution_stops "
                                    "WHERE execution_arn = ANY(?)", (list(arns),))
        return {row[0]: (row[1], row[2]) for row in rows}

    async def drop_stop(self, arn: str) -> None:
        await self._read("DELETE FROM execution_stops WHERE execution_arn = ? RETURNING execution_arn", (arn,))

    # -- activity tasks, handed to one worker whichever server it polls ------------------------------

    async def queue_activity_task(self, token: str, activity_arn: str, input_text: str) -> None:
        """Queue (again, after a restart: for a new worker) a task on its activity, in the group
        commit (tasks queued together share a transaction), and wake the polls of every server
        as it commits."""
        await self._write([
            ("INSERT INTO activity_tasks (token, activity_arn, input) VALUES (?, ?, ?) "
             "ON CONFLICT (token) DO UPDATE SET worker = NULL", (token, activity_arn, input_text), False),
            ("SELECT pg_notify(?, ?)", (CHANNEL, json.dumps({"kind": "activity", "arn": activity_arn})), False),
        ])

    async def take_activity_task(self, activity_arn: str, worker: str) -> tuple[str, str] | None:
        """The oldest task no worker has, now this worker's: (token, input); None if none."""
        rows = await self._read_unsynced(
            "UPDATE activity_tasks SET worker = ? WHERE token = (SELECT token FROM activity_tasks "
            "WHERE activity_arn = ? AND worker IS NULL ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "RETURNING token, input", (worker, activity_arn))
        return (rows[0][0], rows[0][1]) if rows else None

    async def drop_activity_task(self, token: str) -> None:
        """Withdraw a task (it ended before a worker took it): no poller can take it from now on."""
        await self._read("DELETE FROM activity_tasks WHERE token = ? RETURNING token", (token,))

    def forget_activity_task(self, token: str) -> None:
        """Delete a task a worker has taken, with the next group commit (nothing waits for it:
        a taken task is never handed out again)."""
        self._enqueue([("DELETE FROM activity_tasks WHERE token = ?", (token,), False)])
