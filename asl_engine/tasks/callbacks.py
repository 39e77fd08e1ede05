"""Task tokens: a `.waitForTaskToken` or activity task parks on a future until someone answers.

`SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` (server side) call `succeed`,
`fail` and `heartbeat`. What the registry knows about a waiting task is plain data
(`PendingTask`), so a store can persist it and a restarted server can re-register it; only the
futures are process-local.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..errors import TIMEOUT, StatesError
from ..tasks_api import TaskTimeout

Json = Any
TOKEN_PREFIX = "AQ"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-=+/]{1,2048}$")


class InvalidToken(Exception):
    """The token is not one this engine could have issued (API error `InvalidToken`)."""


class TaskDoesNotExist(Exception):
    """A well-formed token with no waiting task (API error `TaskDoesNotExist`)."""


class TaskTimedOut(Exception):
    """The token's task already timed out (API error `TaskTimedOut`)."""


@dataclass(slots=True)
class PendingTask:
    """A task waiting for its token: what SendTask* needs, and when it gives up (epoch seconds)."""

    token: str
    execution_arn: str
    state_name: str
    heartbeat_seconds: float | None = None
    heartbeat_deadline: float | None = None
    activity_arn: str | None = None


def new_token(prefix: str = "") -> str:
    """A fresh opaque token; AWS's tokens are long URL-safe strings too."""
    return TOKEN_PREFIX + prefix + secrets.token_urlsafe(48)


class CallbackRegistry:
    """Token -> waiting task. One per process (or per test), shared by every execution."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingTask] = {}
        self._futures: dict[str, asyncio.Future[Json]] = {}
        self._clocks: dict[str, Clock] = {}
        self._timed_out: set[str] = set()

    def register(self, task: PendingTask, clock: Clock) -> None:
        """Start waiting for `task.token`; the heartbeat window opens now."""
        if task.heartbeat_seconds is not None:
            task.heartbeat_deadline = clock.time() + task.heartbeat_seconds
        self._pending[task.token] = task
        self._futures[task.token] = asyncio.get_running_loop().create_future()
        self._clocks[task.token] = clock

    def pending(self) -> list[PendingTask]:
        """Every waiting task, as plain data (for a store or a console)."""
        return list(self._pending.values())

    def get(self, token: str) -> PendingTask:
        """The waiting task of a token, or the API error that SendTask* must answer with."""
        if not isinstance(token, str) or not _TOKEN_SHAPE.match(token) or not token.startswith(TOKEN_PREFIX):
            raise InvalidToken("Invalid Token: 'Invalid token'")
        if token in self._timed_out:
            raise TaskTimedOut("Task Timed Out")
        task = self._pending.get(token)
        if task is None:
            raise TaskDoesNotExist("Task Does Not Exist")
        return task

    def succeed(self, token: str, output_json: str) -> None:
        """SendTaskSuccess: `output_json` is the JSON text the caller sent."""
        self.get(token)
        self._resolve(token, json.loads(output_json), None)

    def fail(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure: the task fails with this error and cause (both optional, as in AWS)."""
        self.get(token)
        self._resolve(token, None, StatesError(error, cause))

    def heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: push the heartbeat deadline back by HeartbeatSeconds."""
        task = self.get(token)
        if task.heartbeat_seconds is not None:
            task.heartbeat_deadline = self._clocks[token].time() + task.heartbeat_seconds

    def close(self, token: str, timed_out: bool = False) -> None:
        """The task ended (answered, timed out, or its execution stopped): forget the token."""
        self._pending.pop(token, None)
        self._clocks.pop(token, None)
        future = self._futures.pop(token, None)
        if future is not None and not future.done():
            future.cancel()
        if timed_out:
            self._timed_out.add(token)

    async def wait(self, token: str) -> Json:
        """The answer for `token`; raises its failure or `States.HeartbeatTimeout`."""
        task, future, clock = self._pending[token], self._futures[token], self._clocks[token]
        while task.heartbeat_deadline is not None:
            deadline = task.heartbeat_deadline
            timer = asyncio.ensure_future(clock.sleep_until(deadline))
            try:
                await asyncio.wait({future, timer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
            if future.done():
                break
            if task.heartbeat_deadline <= clock.time():
                # AWS records a missed heartbeat as TaskTimedOut with States.Timeout (recorded:
                # test_heartbeats::test_heartbeat_timeout), not States.HeartbeatTimeout.
                self.close(token, timed_out=True)
                raise TaskTimeout(TIMEOUT, None)
        try:
            return await future
        finally:
            self.close(token)

    def _resolve(self, token: str, output: Json, failure: StatesError | None) -> None:
        future = self._futures.get(token)
        if future is None or future.done():
            raise TaskDoesNotExist("Task Does Not Exist")
        if failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(output)
