"""Several servers on one PostgreSQL database, all serving: what each does for the others.

Each server holds a lease (store/postgres_cluster.py) and runs the executions it started or took
over; any server answers any call. This module keeps the lease (renewed four times a lease; one
found expired releases every execution here and joins again under a new id), takes over the
executions of servers whose lease expired (`Executions.adopt`: exactly the restart path), and
listens on the database's channel for what other servers ask:

- a task token answered (or heartbeat) on another server: the answer is committed there, in
  `task_tokens`, and handed here to the waiting task. A token names its execution (its prefix),
  so any server can tell whether, and in which account, an execution waits on it;
- StopExecution of an execution running here: stopped here, the asker waits for its end;
  UpdateMapRun of a Distributed Map running here: its runner takes the new settings;
- activity tasks (cluster_activities.py); a state machine or the activities changed elsewhere.

SQLite (one server) never loads this: `join_cluster` returns None.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from typing import TYPE_CHECKING, Any

from .. import arns
from ..arns import AccountRegion
from ..aws_errors import TaskTimedOut
from ..store import Store
from ..store.postgres_cluster import CHANNEL
from ..tasks import callbacks as registry
from ..tasks.callbacks import TOKEN_PREFIX, RecordedToken
from .cluster_activities import SharedActivityQueue

if TYPE_CHECKING:
    from ..store.postgres import PostgresStore
    from .facade import Service

log = logging.getLogger("asl_engine.cluster")

POLL_SECONDS = 0.05  # how often a stopped execution's end, or a token's position, is looked for
# A token answered on another server as its execution's position is being committed: looked for
# this many times, POLL_SECONDS apart, before it is TaskDoesNotExist.
TOKEN_LOOKS = 20
RELISTEN_SECONDS = 0.5  # the first pause before listening again; it doubles up to RELISTEN_MAX_SECONDS
RELISTEN_MAX_SECONDS = 10.0
_RANDOM = 64  # characters of a token after its prefix (secrets.token_urlsafe(48))


def token_prefix(execution_arn: str) -> str:
    """What a task token starts with (after AQ): its execution's ARN, base64url."""
    return base64.urlsafe_b64encode(execution_arn.encode()).decode().rstrip("=")


def execution_of(token: str) -> str | None:
    """The execution a token of `token_prefix` names; None for any other token."""
    prefix = token[len(TOKEN_PREFIX):-_RANDOM] if token.startswith(TOKEN_PREFIX) else ""
    if not prefix:
        return None
    try:
        arn = base64.urlsafe_b64decode(prefix + "=" * (-len(prefix) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return arn if arn.startswith("arn:") else None


async def join_cluster(service: Service, store: Store) -> Cluster | None:
    """On a PostgreSQL store, this server's part in the cluster (not started); else None."""
    from ..store.postgres import PostgresStore

    if not isinstance(store, PostgresStore):
        return None
    return Cluster(service, store)


class Cluster:
    def __init__(self, service: Service, store: PostgresStore) -> None:
        self.service = service
        self.store = store
        self.executions = service.executions
        self.callbacks = service.tasks.callbacks
        self.queue = SharedActivityQueue(store, service.tasks.activities.registered, 2 * store.lease_seconds)
        self.queue.on_taken = service.tasks.activities.on_taken  # loads back a parked execution (service/parking.py)
        service.tasks.activities = self.queue
        service.activities.queue = self.queue
        service.activities.remote = self
        self.executions.token_prefix = token_prefix
        self.executions.remote_stop = self.stop_elsewhere
        self.executions.map_runs.remote_update = self.update_map_run_elsewhere
        self.executions.take_over = store.take_over
        store.on_lease_lost = self.executions.release
        self._adopting: set[str] = set()  # executions being resumed here
        self._tasks: list[asyncio.Task[None]] = []
        self._round = asyncio.Lock()
        self._listening = asyncio.Event()
        self._wake = asyncio.Event()  # a server left: take its executions over now

    async def start(self) -> None:
        """Listen, then keep the lease and take over what stopped servers left. Stops asked
        while no server ran an execution are applied to the ones resumed at start-up."""
        self._tasks = [asyncio.create_task(self._listen(), name="asl-engine-cluster-listen"),
                       asyncio.create_task(self._keep_lease(), name="asl-engine-cluster-lease")]
        await asyncio.wait_for(self._listening.wait(), 30)
        await self._apply_stops(None)

    async def close(self) -> None:
        """Stop listening and renewing (the store gives the lease up when it closes)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the lease, and executions of servers that stopped -------------------------------------------

    async def _keep_lease(self) -> None:
        """Renew four times a lease, save the live counts of the map runs running here, take
        over what stopped servers left. Wall-clock time on purpose, not the execution clock
        (which a test may stop or scale): the lease runs on the database's clock."""
        interval = self.store.lease_seconds / 4
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                if not await self.store.renew():
                    log.error("this server's lease expired (it was paused or cut off from the database): "
                              "its executions run elsewhere now; it joins again")
                    self.executions.release_all()
                    await self.store.join()
                self.executions.map_runs.save_running()  # DescribeMapRun on the other servers
                await self.take_over()
            except Exception:
                log.warning("the lease could not be renewed or executions taken over; trying again", exc_info=True)

    async def take_over(self) -> None:
        """Resume the executions of servers whose lease expired, as after a restart."""
        async with self._round:
            claimed = await self.store.list_running()
            if not claimed:
                return
            log.info("taking over %d executions of servers that stopped", len(claimed))
            self._adopting = {record.arn for record in claimed}
            try:
                await self.executions.adopt(claimed)
            finally:
                self._adopting = set()
            await self._apply_stops([record.arn for record in claimed])

    async def _apply_stops(self, execution_arns: list[str] | None) -> None:
        """Stop those of `execution_arns` (None: any) that a StopExecution asked to stop."""
        if execution_arns != []:
            for arn, (error, cause) in (await self.store.stop_requests(execution_arns)).items():
                self.executions.stop_live(arn, error, cause)

    # -- asked by this server of the others -------------------------------------------------------

    async def waiting(self, token: str, scope: AccountRegion) -> str | None:
        execution_arn = execution_of(token)
        if execution_arn is None or arns.parse_arn(execution_arn).scope != scope:
            return None
        for _ in range(TOKEN_LOOKS):
            waits = await self.store.token_waits(token, execution_arn)
            if waits is not None:
                return execution_arn if waits else None
            with self.service.clock.busy():  # its position is being committed: look again shortly
                await asyncio.sleep(POLL_SECONDS)
        return None

    async def answer(self, token: str, execution_arn: str, answer: str) -> None:
        if not await self.store.answer_token(token, execution_arn, answer):
            raise TaskTimedOut("Task Timed Out")
        await self.store.notify({"kind": "answer", "token": token})

    async def heartbeat(self, token: str, execution_arn: str, at: float) -> None:
        await self.store.record_heartbeat(token, execution_arn, at)
        await self.store.notify({"kind": "heartbeat", "token": token})

    async def stop_elsewhere(self, arn: str, error: str | None, cause: str | None) -> float:
        """StopExecution of an execution another server runs (or will, once it takes it over):
        asked of it through the database; returns once the execution has ended."""
        await self.store.request_stop(arn, error, cause)
        await self.store.notify({"kind": "stop", "arn": arn})
        while True:
            record = await self.store.get_execution(arn)
            if record is None or record.status != "RUNNING":
                break
            with self.service.clock.busy():
                await asyncio.sleep(POLL_SECONDS)
        await self.store.drop_stop(arn)
        return record.stop_date if record is not None and record.stop_date is not None else self.service.clock.time()

    async def update_map_run_elsewhere(self, arn: str) -> None:
        """UpdateMapRun stored settings of a map that may run on another server: it takes them."""
        await self.store.notify({"kind": "map_run", "arn": arn})

    # -- asked of this server ------------------------------------------------------------------------

    async def _listen(self) -> None:
        """LISTEN on the channel, on a connection of its own; after a lost connection, listen
        again and deliver the answers that may have been missed meanwhile. Any failure (the
        connection, or the pool still reconnecting while catching up: the store's
        ServiceUnavailable) is passing: tried again after a pause that doubles up to
        RELISTEN_MAX_SECONDS, for as long as the server runs."""
        import psycopg

        first = True
        pause = RELISTEN_SECONDS
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self.store.url, autocommit=True, connect_timeout=int(RELISTEN_MAX_SECONDS)) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        await self._missed()  # before `first` clears: a failure here catches up again
                    first = False
                    self._listening.set()
                    pause = RELISTEN_SECONDS
                    async for note in conn.notifies():
                        try:
                            await self._heard(json.loads(note.payload))
                        except Exception:
                            log.warning("a message from another server could not be handled", exc_info=True)
            except Exception as exc:
                log.warning("the connection listening to the other servers was lost (%s); listening again in %gs",
                            str(exc).strip() or type(exc).__name__, pause)
            # The database comes back in wall-clock time: a virtual clock must not jump ahead meanwhile.
            with self.service.clock.busy():
                await asyncio.sleep(pause)
            pause = min(2 * pause, RELISTEN_MAX_SECONDS)

    async def _heard(self, message: dict[str, Any]) -> None:
        kind = message["kind"]
        if kind == "answer":
            await self._deliver(message["token"])
        elif kind == "heartbeat":
            record = await self.store.token_record(message["token"])
            if record is not None and record[1] is not None:
                try:
                    self.callbacks.heartbeat(message["token"], record[1])
                except (registry.TaskDoesNotExist, registry.TaskTimedOut, registry.InvalidToken):
                    pass  # not waiting here
        elif kind == "stop":
            if self.executions.is_live(message["arn"]):
                await self._apply_stops([message["arn"]])
        elif kind == "activity":
            self.queue.wake(message["arn"])
        elif kind == "started":
            self.queue.started(message["token"], message["worker"])
        elif kind in ("recorded", "withdrawn"):
            self.queue.settled(message["token"], kind == "recorded")
        elif kind == "map_run":
            map_run = await self.store.get_map_run(message["arn"])
            if map_run is not None:
                self.executions.map_runs.take_settings(map_run.arn, map_run.max_concurrency,
                                                       map_run.tolerated_failure_percentage,
                                                       map_run.tolerated_failure_count)
        elif kind == "machine":
            self.store.forget_machine(message["arn"])
        elif kind == "activities":
            self.queue.registered = set(await self.store.activity_arns())
        elif kind == "left":
            self._wake.set()

    async def _deliver(self, token: str, answer: str | None = None) -> None:
        """An answer committed by another server: to the task waiting here, if one does."""
        try:
            task = self.callbacks.get(token)
        except registry.TaskDoesNotExist:
            if execution_of(token) in self._adopting:  # resumed here, not registered again yet
                record = await self.store.token_record(token)
                if record is not None and record[0] is not None:
                    self.callbacks.recorded[token] = RecordedToken(record[0], record[1])
            return
        except (registry.TaskTimedOut, registry.InvalidToken):
            return
        if task.answering:
            return
        if answer is None:
            record = await self.store.token_record(token)
            answer = record[0] if record is not None else None
        if answer is not None and not task.answering:
            self.callbacks.claim(token)
            self.callbacks.deliver(token, answer)

    async def _missed(self) -> None:
        """After listening again: answers and stops asked elsewhere meanwhile, machines and
        activities changed there, tasks queued there, and a round of takeovers."""
        self.store.forget_machines()
        self.queue.registered = set(await self.store.activity_arns())
        self.queue.wake_all()
        tokens = [task.token for task in self.callbacks.pending()] + self.callbacks.expected_tokens()  # parked too
        for token, answer in await self.store.answered_tokens(tokens):
            await self._deliver(token, answer)
        await self._apply_stops(None)
        self._wake.set()
