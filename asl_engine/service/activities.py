"""Activities and task tokens: the API side of activity workers and callback tasks.

Activities live in the store, namespaced by account and region like state machines; the
dispatcher's `ActivityQueue` holds the set of existing activity ARNs, so a Task state on one that
does not exist fails as on AWS. Workers long-poll `GetActivityTask` (up to 60 s, as AWS) on the
event loop: a poll is a parked coroutine, so it holds up neither executions nor other requests.
`SendTask*` answer a token, whether an activity worker or a `.waitForTaskToken` consumer holds it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable, Protocol

from .. import arns
from ..arns import AccountRegion
from ..clock import Clock
from ..encryption import check_encryption
from ..aws_errors import (
    ActivityDoesNotExist,
    InvalidArn,
    InvalidOutput,
    InvalidToken,
    TaskDoesNotExist,
    TaskTimedOut,
    ValidationException,
)
from ..json_read import parse_json
from ..limits import MAX_PAYLOAD_BYTES, exceeds
from .executions import Page
from ..store import ActivityRecord, ActivityStore
from ..tasks import callbacks
from ..tasks.callbacks import PendingTask
from ..tasks.activities import POLL_SECONDS, ActivityTask
from ..tasks.dispatcher import TaskDispatcher

log = logging.getLogger("asl_engine.activities")

MAX_ERROR = 256
MAX_CAUSE = 32_768


class Activities:
    def __init__(self, store: ActivityStore, clock: Clock, dispatcher: TaskDispatcher,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.store = store
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.queue = dispatcher.activities
        self.callbacks = dispatcher.callbacks
        self.callbacks.on_timeout = self._record_timeout
        self._timeouts: set[asyncio.Task[None]] = set()  # timeouts being committed
        # Several servers on one PostgreSQL database (service/cluster.py): answers to tokens that
        # another server's executions wait on go through it.
        self.remote: RemoteTokens | None = None

    async def load(self) -> None:
        """On start-up: from now on only existing activities accept tasks."""
        self.queue.registered = set(await self.store.activity_arns())

    # -- activities ----------------------------------------------------------------------------

    async def create(self, scope: AccountRegion, name: str, tags: dict[str, str],
                     encryption: dict[str, Any] | None = None) -> ActivityRecord:
        """CreateActivity. Idempotent by name: an existing activity is returned unchanged, even
        when the tags differ (as AWS documents)."""
        arns.check_name(name)
        encryption = check_encryption(encryption)
        arn = scope.arn(f"activity:{name}")
        existing = await self.store.get_activity(arn)
        if existing is not None:
            return existing
        record = ActivityRecord(arn, scope.account, scope.region, name, self.clock.time(), tags, encryption)
        await self.store.put_activity(record)
        self._registered().add(arn)
        return record

    async def describe(self, scope: AccountRegion, arn: str) -> ActivityRecord:
        _check_activity_arn(arn)
        record = await self.store.get_activity(arn) if arns.parse_arn(arn).scope == scope else None
        if record is None:
            raise ActivityDoesNotExist.for_arn(arn)
        return record

    async def delete(self, scope: AccountRegion, arn: str) -> None:
        """DeleteActivity; deleting an absent activity succeeds, as on AWS."""
        _check_activity_arn(arn)
        if arns.parse_arn(arn).scope != scope:
            return
        await self.store.delete_activity(arn)
        self._registered().discard(arn)

    async def list(self, scope: AccountRegion, after: str | None, limit: int) -> Page[ActivityRecord]:
        rows = await self.store.list_activities(scope.account, scope.region, after, limit + 1)
        page = rows[:limit]
        return Page(page, page[-1].name if len(rows) > limit else None)

    async def get_task(self, scope: AccountRegion, arn: str, worker_name: str | None) -> ActivityTask | None:
        """GetActivityTask: the oldest waiting task, or None when none arrives in time."""
        if not self._known(scope, arn):
            await self.describe(scope, arn)  # InvalidArn, ActivityDoesNotExist
        if worker_name is not None and not 1 <= len(worker_name) <= 80:
            raise ValidationException.constraint(worker_name, "workerName",
                                                 "Member must have length between 1 and 80")
        task = await self.queue.get(arn, worker_name, self.poll_seconds)
        if task is not None:
            await self.store.flush(committed=True)  # ActivityStarted and the token's owner first
        return task

    def _known(self, scope: AccountRegion, arn: str) -> bool:
        """An existing activity of `scope`, known without reading the store: on one server the
        registry (`queue.registered`) is the store's list; with several, another may delete it."""
        registered = self.queue.registered
        return self.remote is None and registered is not None and arn in registered \
            and arns.parse_arn(arn).scope == scope

    def _registered(self) -> set[str]:
        if self.queue.registered is None:
            self.queue.registered = set()
        return self.queue.registered

    # -- task tokens -----------------------------------------------------------------------------

    async def send_success(self, token: str, output: str, scope: AccountRegion) -> None:
        """SendTaskSuccess: `output` must be JSON text; the token is checked first (InvalidToken
        before InvalidOutput, as AWS answers)."""
        if exceeds(output):
            raise ValidationException.constraint(
                "output", "output", f"Member must have length less than or equal to {MAX_PAYLOAD_BYTES}")
        elsewhere = await self._check_owner(token, scope)
        try:
            parse_json(output)
        except ValueError as exc:
            raise InvalidOutput(f"Invalid Output: '{exc}'") from None
        await self._commit_answer(token, callbacks.answer_text(output), elsewhere)

    async def send_failure(self, token: str, error: str | None, cause: str | None, scope: AccountRegion) -> None:
        if error is not None and len(error) > MAX_ERROR:
            raise ValidationException.constraint(
                "error", "error", f"Member must have length less than or equal to {MAX_ERROR}")
        if cause is not None and len(cause) > MAX_CAUSE:
            raise ValidationException.constraint(
                "cause", "cause", f"Member must have length less than or equal to {MAX_CAUSE}")
        elsewhere = await self._check_owner(token, scope)
        await self._commit_answer(token, callbacks.answer_text(error=error, cause=cause, failed=True), elsewhere)

    async def send_heartbeat(self, token: str, scope: AccountRegion) -> None:
        """SendTaskHeartbeat: the heartbeat is committed before the answer; after a restart the
        task's deadline counts from it."""
        elsewhere = await self._check_owner(token, scope)
        now = self.clock.time()
        if elsewhere is not None and self.remote is not None:
            await self.remote.heartbeat(token, elsewhere, now)
            return
        task = _answer(lambda: self.callbacks.heartbeat(token, now))
        await self.store.record_heartbeat(token, task.execution_arn, now)

    async def _check_owner(self, token: str, scope: AccountRegion) -> str | None:
        """A token is answered only from the account and region of the execution it belongs to;
        from any other it does not exist (account B cannot answer account A's tasks). A token
        the store saw answered or timed out, before a restart or after its execution ended, is
        TaskTimedOut: "the task associated with the token has already been closed"
        (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
        Returns the execution's ARN when another server runs the execution that waits on it."""
        try:
            task = _answer(lambda: self.callbacks.get(token))
        except TaskDoesNotExist:
            elsewhere = None if self.remote is None else await self.remote.waiting(token, scope)
            if elsewhere is not None:
                return elsewhere
            if await self.store.task_token_closed(token):
                raise TaskTimedOut("Task Timed Out") from None
            raise
        if arns.parse_arn(task.execution_arn).scope != scope:
            raise TaskDoesNotExist("Task Does Not Exist")
        return None

    def _record_timeout(self, task: PendingTask) -> None:
        """Commit that `task` timed out (queued now, with its execution's TaskTimedOut event)."""
        write = asyncio.ensure_future(self.store.record_task_timeout(task.token, task.execution_arn))
        self._timeouts.add(write)
        write.add_done_callback(functools.partial(self._timeout_recorded, task.token))

    def _timeout_recorded(self, token: str, write: asyncio.Task[None]) -> None:
        self._timeouts.discard(write)
        if not write.cancelled() and write.exception() is None:
            self.callbacks.timeout_recorded(token)  # the store answers for it now
        elif not write.cancelled():
            log.warning("a timed-out task token could not be recorded (a late answer after a restart "
                        "gets TaskDoesNotExist, not TaskTimedOut): %s", write.exception())

    async def _commit_answer(self, token: str, answer: str, elsewhere: str | None = None) -> None:
        """Commit the answer, then hand it to the execution: once SendTask* answers 200, the
        answer survives a crash and the execution consumes it (now, or after a restart). An
        execution `elsewhere` (on another server) gets it from there."""
        if elsewhere is not None and self.remote is not None:
            await self.remote.answer(token, elsewhere, answer)
            return
        task = _answer(lambda: self.callbacks.claim(token))
        try:
            await self.store.record_task_answer(token, task.execution_arn, answer)
        except BaseException:
            self.callbacks.unclaim(token)
            raise
        self.callbacks.deliver(token, answer)


class RemoteTokens(Protocol):
    """Task tokens that executions on other servers wait on (service/cluster.py)."""

    async def waiting(self, token: str, scope: AccountRegion) -> str | None:
        """The ARN of the execution in `scope`, running on another server, that waits on the token."""
        ...

    async def answer(self, token: str, execution_arn: str, answer: str) -> None:
        """Commit the answer and tell the execution's server; TaskTimedOut if the task closed meanwhile."""
        ...

    async def heartbeat(self, token: str, execution_arn: str, at: float) -> None: ...


def _answer(send: Callable[[], PendingTask]) -> PendingTask:
    """Run a registry call, turning its refusals into the API errors of the same names."""
    try:
        return send()
    except callbacks.InvalidToken as exc:
        raise InvalidToken(str(exc)) from None
    except callbacks.TaskDoesNotExist as exc:
        raise TaskDoesNotExist(str(exc)) from None
    except callbacks.TaskTimedOut as exc:
        raise TaskTimedOut(str(exc)) from None


def _check_activity_arn(arn: str) -> None:
    if arns.parse_arn(arn).resource_type != "activity":
        raise InvalidArn.for_arn(arn)
