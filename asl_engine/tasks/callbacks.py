"""Task tokens: a `.waitForTaskToken` or activity task parks on a future until someone answers.

`SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` (server side) call `succeed`,
`fail` and `heartbeat`. What the registry knows about a waiting task is plain data
(`PendingTask`), so a store can persist it and a restarted server can re-register it; only the
futures are process-local.

A server commits an answer before it acknowledges it: `claim` reserves the token (no timeout
and no second answer can take it meanwhile), the caller commits the answer, then `deliver` hands
it to the execution. After a restart, `recorded` holds what was committed; a task registering
its token again finds its answer there (and its last heartbeat, which its deadline counts from),
as Temporal records an activity's completion before the workflow sees it.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from ..allocator import shrink
from ..clock import Clock
from ..errors import TIMEOUT, StatesError
from ..json_read import parse_json
from ..tasks_api import HeartbeatTimeout

Json = Any
TOKEN_PREFIX = "AQ"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-=+/]{1,2048}$")


class InvalidToken(Exception):
    """The token is not one this engine could have issued (API error `InvalidToken`)."""


class TaskDoesNotExist(Exception):
    """A well-formed token with no waiting task (API error `TaskDoesNotExist`)."""


class TaskTimedOut(Exception):
    """The token's task already timed out (API error `TaskTimedOut`)."""


class StillWaiting(Exception):
    """`CallbackRegistry.wait(token, until)`: the moment passed with no answer and none being
    committed; the task still waits on its token (its execution may leave memory meanwhile)."""


@dataclass(slots=True)
class PendingTask:
    """A task waiting for its token: what SendTask* needs, and when it gives up (epoch seconds)."""

    token: str
    execution_arn: str
    state_name: str
    heartbeat_seconds: float | None = None
    heartbeat_deadline: float | None = None
    activity_arn: str | None = None
    answering: bool = False  # an answer is being committed: it wins over any timeout


@dataclass(frozen=True, slots=True)
class RecordedToken:
    """What a store committed for a token before a restart."""

    answer: str | None  # JSON text: {"output": <JSON text>} or {"error": ..., "cause": ...}
    heartbeat: float | None  # epoch seconds of the last recorded heartbeat


def answer_text(output_json: str | None = None, error: str | None = None, cause: str | None = None,
                failed: bool = False) -> str:
    """The recorded form of an answer (see `RecordedToken.answer`)."""
    if failed:
        return json.dumps({"error": error, "cause": cause})
    return json.dumps({"output": output_json})


def new_token(prefix: str = "") -> str:
    """A fresh opaque token; AWS's tokens are long URL-safe strings too."""
    return TOKEN_PREFIX + prefix + secrets.token_urlsafe(48)


class CallbackRegistry:
    """Token -> waiting task. One per process (or per test), shared by every execution."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingTask] = {}
        self._futures: dict[str, asyncio.Future[Json]] = {}
        self._clocks: dict[str, Clock] = {}
        self._timed_out: set[str] = set()  # until the store has them (`timeout_recorded`)
        self.recorded: dict[str, RecordedToken] = {}  # committed before a restart (a server fills it)
        # Tokens of resumed executions that have not registered again yet -> a stand-in task: an
        # answer arriving first is committed and kept in `recorded` until the task registers.
        self._expected: dict[str, PendingTask] = {}
        self._expected_of: dict[str, list[str]] = {}  # execution ARN -> its expected tokens (`forget` in O(1))
        self._claims: dict[str, asyncio.Future[bool]] = {}  # answers being committed (`claim`)
        # `wait(token, until)`: (until, token, its answer's future) in the order of `until` (one
        # linger for all), and the one coroutine that ends each wait once its moment passes.
        self._lingering: deque[tuple[float, str, asyncio.Future[Json]]] = deque()
        self._sweeper: asyncio.Task[None] | None = None
        # Told of each task that times out, so a server can commit it (a late answer is
        # TaskTimedOut after a restart too).
        self.on_timeout: Callable[[PendingTask], None] | None = None
        # Told of the execution ARN when an answer is kept for a task that has not registered:
        # the server loads an execution that had left memory (service/parking.py).
        self.on_kept: Callable[[str], None] | None = None

    def shrink(self) -> None:
        """Its tables sized for the tokens waiting now, once a load has left (service/reclaim.py)."""
        shrink(self._pending, self._futures, self._clocks, self._timed_out, self.recorded, self._expected,
               self._expected_of, self._claims)

    def expect(self, token: str, execution_arn: str) -> None:
        """A resumed execution waits on `token` (its position says so): accept answers to it
        from now on, even before its task has registered again."""
        if token not in self._expected:  # one parked out of memory keeps its stand-in (`park`)
            self._expect(PendingTask(token, execution_arn, ""))

    def _expect(self, task: PendingTask) -> None:
        if task.token not in self._expected:
            self._expected_of.setdefault(task.execution_arn, []).append(task.token)
        self._expected[task.token] = task

    def _unexpect(self, token: str) -> None:
        task = self._expected.pop(token, None)
        if task is not None:
            tokens = self._expected_of.get(task.execution_arn, [])
            if token in tokens:
                tokens.remove(token)
            if not tokens:
                self._expected_of.pop(task.execution_arn, None)

    def forget(self, execution_arn: str) -> None:
        """The execution ended: tokens it was expected to register again answer nothing."""
        for token in self._expected_of.pop(execution_arn, ()):
            self._expected.pop(token, None)

    def register(self, task: PendingTask, clock: Clock, opened: float | None = None) -> None:
        """Start waiting for `task.token`. The heartbeat window opens at the last recorded
        heartbeat, else at `opened` (when the task first began waiting), else now; an answer
        recorded before a restart is delivered at once."""
        recorded = self.recorded.pop(task.token, None)
        self._unexpect(task.token)
        if task.heartbeat_seconds is not None:
            marks = [mark for mark in (opened, recorded.heartbeat if recorded else None) if mark is not None]
            task.heartbeat_deadline = (max(marks) if marks else clock.time()) + task.heartbeat_seconds
        self._pending[task.token] = task
        self._futures[task.token] = asyncio.get_running_loop().create_future()
        self._clocks[task.token] = clock
        if recorded is not None and recorded.answer is not None:
            task.answering = True
            self.deliver(task.token, recorded.answer)

    def park(self, token: str) -> None:
        """The task's execution leaves memory while it waits (runtime/unloading.py): the token
        keeps answering as one expected again (`expect`), and the heartbeat window it had is
        kept as a recorded heartbeat, so the task registering again counts from it."""
        task = self._pending.pop(token, None)
        self._clocks.pop(token, None)
        future = self._futures.pop(token, None)
        if future is not None and not future.done():
            future.cancel()
        if task is None:
            return
        self._expect(task)  # an answer being committed (`answering`) is kept for it
        if task.heartbeat_deadline is not None and task.heartbeat_seconds is not None:
            self.recorded[token] = RecordedToken(None, task.heartbeat_deadline - task.heartbeat_seconds)

    def answered(self, token: str) -> bool:
        """Has the registered task's answer been delivered (it has not been consumed yet)?"""
        future = self._futures.get(token)
        return future is not None and future.done()

    def heartbeat_deadline(self, token: str) -> float | None:
        """When the waiting task times out for lack of a heartbeat (None: it has no HeartbeatSeconds)."""
        task = self._pending.get(token)
        return None if task is None else task.heartbeat_deadline

    def expected_tokens(self) -> list[str]:
        """Tokens answered here though no task waits on them in memory (resumed, or parked out of memory)."""
        return list(self._expected)

    def pending(self) -> list[PendingTask]:
        """Every waiting task, as plain data (for a store or a console)."""
        return list(self._pending.values())

    def get(self, token: str) -> PendingTask:
        """The waiting task of a token, or the API error that SendTask* must answer with."""
        if not isinstance(token, str) or not _TOKEN_SHAPE.match(token) or not token.startswith(TOKEN_PREFIX):
            raise InvalidToken("Invalid Token: 'Invalid token'")
        if token in self._timed_out:
            raise TaskTimedOut("Task Timed Out")
        task = self._pending.get(token) or self._expected.get(token)
        if task is None:
            raise TaskDoesNotExist("Task Does Not Exist")
        return task

    def claim(self, token: str) -> PendingTask:
        """Reserve a waiting task for the answer about to be committed; refuses a token that is
        already being answered (TaskDoesNotExist, as for one already answered)."""
        task = self.get(token)
        if task.answering:
            raise TaskDoesNotExist("Task Does Not Exist")
        task.answering = True
        self._claims[token] = asyncio.get_running_loop().create_future()
        return task

    def unclaim(self, token: str) -> None:
        """The answer could not be committed: the task waits (and may time out) as before."""
        task = self._pending.get(token) or self._expected.get(token)
        if task is not None:
            task.answering = False
        self._settle_claim(token, False)

    def _settle_claim(self, token: str, delivered: bool) -> None:
        claim = self._claims.pop(token, None)
        if claim is not None and not claim.done():
            claim.set_result(delivered)

    def claim_in_flight(self, token: str | None) -> asyncio.Future[bool] | None:
        """While an answer to `token` is being committed: a future that says, once it is over,
        whether the answer was delivered (True) or could not be committed (False). A timeout
        that comes meanwhile waits for it: an answer that commits was acknowledged and wins."""
        return self._claims.get(token or "")

    def deliver(self, token: str, answer: str) -> bool:
        """Hand a committed answer (`answer_text`) to the waiting execution; False when the task
        ended meanwhile (its execution stopped)."""
        future = self._futures.get(token)
        if future is None and token in self._expected:  # kept until the task registers again
            self.recorded[token] = RecordedToken(answer, None)
            self._settle_claim(token, True)
            if self.on_kept is not None:
                self.on_kept(self._expected[token].execution_arn)
            return True
        if future is None or future.done():
            self._settle_claim(token, False)
            return False
        recorded = parse_json(answer)
        if "output" in recorded:
            future.set_result(parse_json(recorded["output"]))
        else:
            future.set_exception(StatesError(recorded.get("error"), recorded.get("cause")))
        self._settle_claim(token, True)
        return True

    def succeed(self, token: str, output_json: str) -> None:
        """SendTaskSuccess without a store (in-process runs): `output_json` is the caller's JSON text."""
        self.claim(token)
        self.deliver(token, answer_text(output_json))

    def fail(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure: the task fails with this error and cause (both optional, as in AWS)."""
        self.claim(token)
        self.deliver(token, answer_text(error=error, cause=cause, failed=True))

    def heartbeat(self, token: str, now: float | None = None) -> PendingTask:
        """SendTaskHeartbeat at `now` (default: the task's clock): push the heartbeat deadline
        back by HeartbeatSeconds."""
        task = self.get(token)
        if token not in self._pending:  # expected after a restart: counted once it registers
            previous = self.recorded.get(token)
            self.recorded[token] = RecordedToken(previous.answer if previous else None, now)
            return task
        now = self._clocks[token].time() if now is None else now
        if task.heartbeat_seconds is not None:
            task.heartbeat_deadline = now + task.heartbeat_seconds
        return task

    def close(self, token: str, timed_out: bool = False) -> None:
        """The task ended (answered, timed out, or its execution stopped): forget the token."""
        task = self._pending.pop(token, None)
        self._clocks.pop(token, None)
        future = self._futures.pop(token, None)
        if future is not None and not future.done():
            future.cancel()
        if timed_out:
            self._timed_out.add(token)
            if task is not None and self.on_timeout is not None:
                self.on_timeout(task)

    def timeout_recorded(self, token: str) -> None:
        """The store has committed that `token` timed out and answers a late SendTask* from now
        on: the token need not be held here any more (every timed-out token was, for good)."""
        self._timed_out.discard(token)

    async def wait(self, token: str, until: float | None = None) -> Json:
        """The answer for `token`; raises its failure or `States.HeartbeatTimeout`. With `until`
        (now plus the same linger for every caller): `StillWaiting` once that moment has passed
        with no answer, the token still registered and answering."""
        task, future, clock = self._pending[token], self._futures[token], self._clocks[token]
        if until is not None:
            self._linger(until, token, future, clock)
        while task.heartbeat_deadline is not None:
            deadline = task.heartbeat_deadline
            timer = asyncio.ensure_future(clock.sleep_until(deadline))
            try:
                await asyncio.wait({future, timer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
            if future.done():
                break
            claim = self._claims.get(token)
            if claim is not None and task.heartbeat_deadline <= clock.time():
                await asyncio.wait({future, claim}, return_when=asyncio.FIRST_COMPLETED)
                if future.done():
                    break
            if task.heartbeat_deadline <= clock.time():
                self.close(token, timed_out=True)
                raise HeartbeatTimeout(TIMEOUT, None)
        ended = True
        try:
            return await future
        except (asyncio.CancelledError, StillWaiting):
            ended = False  # cancelled by the caller (TimeoutSeconds, a stop: it closes, saying
            raise  # whether it timed out), or it still waits after its linger
        finally:
            if ended:
                self.close(token)

    def _linger(self, until: float, token: str, future: asyncio.Future[Json], clock: Clock) -> None:
        """End the wait on `future` with StillWaiting at `until` unless answered by then: one
        coroutine for every lingering wait (a timer each cost a release of 10,000 parked activity
        tasks 0.3 s of CPU), sleeping until the oldest moment."""
        self._lingering.append((until, token, future))
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep(clock))

    async def _sweep(self, clock: Clock) -> None:
        lingering = self._lingering
        try:
            while lingering:
                until, token, future = lingering[0]
                if not future.done() and clock.time() < until:
                    await clock.sleep_until(until)
                    continue
                lingering.popleft()
                if not future.done() and self._futures.get(token) is future:
                    # Its answer goes to a new future from now on: the waiter sees StillWaiting
                    # and checks `answered` before it leaves memory.
                    self._futures[token] = asyncio.get_running_loop().create_future()
                    future.set_exception(StillWaiting(token))
        finally:
            self._sweeper = None
