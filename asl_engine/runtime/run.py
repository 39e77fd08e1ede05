"""One execution from ExecutionStarted to its closing event: how it starts, stops and ends.

`ExecutionRun` composes the runtime: the shell (`shell.Shell`, which runs the states) and the
collaborators it is handed (`TaskAttempts`, `Branches`, `Checkpoints`). It owns what concerns
the execution as a whole: ExecutionStarted (or resuming from a saved position), the machine's
TimeoutSeconds, StopExecution, and the closing event (ExecutionSucceeded, Failed, Aborted or
TimedOut). A waiting execution is a parked coroutine, never a thread; on a server it may leave
memory altogether where it parks (runtime/unloading.py), to be run again from its saved position.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .. import model as m
from ..clock import Cancellable, Clock
from ..errors import RUNTIME, TIMEOUT, StatesError
from ..execution import EventSink, ExecutionInfo, ExecutionOutcome, HistoryEvent
from ..history import HISTORY_FULL
from ..engine.decisions import iso_time
from ..payload import to_json
from ..position import Frame, Resume
from ..tasks_api import TaskHandler
from ..watchdog import watchdog
from .branches import Branches
from .checkpoints import Checkpoints
from .ports import MapRunObserver, Probe
from .shell import Shell
from .tasks import TaskAttempts
from .unloading import Unloaded, Unloader

log = logging.getLogger("asl_engine.runner")

Json = Any


STANDARD_LIMIT_SECONDS = 365 * 24 * 3600.0
"""A Standard execution's longest run: "If an execution runs for more than the 1-year maximum, it
will fail with a States.Timeout error" (Step Functions service quotas). Without it a Retry or Wait
of decades pushed a virtual clock past the year 9999 and broke every later call."""
EXPRESS_LIMIT_SECONDS = 300.0
"""An Express execution's longest run: five minutes (the same quotas page)."""


class ExecutionRun:
    """One execution of a state machine, from ExecutionStarted to its closing event."""

    def __init__(
        self,
        machine: m.StateMachine,
        info: ExecutionInfo,
        *,
        clock: Clock,
        sink: EventSink,
        tasks: TaskHandler | None = None,
        resume: Resume | None = None,
        variables: dict[str, Json] | None = None,
        probe: Probe | None = None,
        max_seconds: float = STANDARD_LIMIT_SECONDS,
    ) -> None:
        self.machine = machine
        self.max_seconds = max_seconds
        self.variables = variables  # the root frame's variables at the start (TestState's `variables`)
        self.resume = resume
        self._announced = False
        self.info = info
        self.clock = clock
        self.checkpoints = Checkpoints(clock, sink)
        execution_context = {
            "Id": info.execution_arn,
            "Input": info.input,
            "StartTime": iso_time(info.start_time),
            "Name": info.name,
            "RoleArn": info.role_arn,
            "RedriveCount": info.redrive_count,
        }
        if info.redrive_time is not None:
            execution_context["RedriveTime"] = iso_time(info.redrive_time)
        context = {"Execution": execution_context,
                   "StateMachine": {"Id": info.state_machine_arn, "Name": info.state_machine_name}}
        # What ends the run early, shared with its collaborators as their `stopping()`; an object of
        # its own rather than a closure over the run, so that the run and its collaborators form
        # no reference cycle: an ended execution is freed at once, not by the cyclic collector
        # (28 objects per execution were, a young collection every 160 StartExecutions).
        self._ending = stopping = _Ending()
        self.branches = Branches(clock, self.checkpoints, resume, info, tasks, stopping)
        # Off unless the service unloads parked executions (service/executions.py: `unloads`).
        self.unloader = Unloader(clock, stopping)
        self.shell = Shell(clock, self.checkpoints, TaskAttempts(clock, self.checkpoints, tasks, info, self.unloader),
                           self.branches, resume, context, stopping, probe, self.unloader)
        self._main: asyncio.Future[Json] | None = None
        self._limit: Cancellable | None = None  # the longest run's timer, once armed (`_arm_limit`)
        self._abandoned: str | None = None  # why the execution must end FAILED (`abandon`)
        self.outcome: ExecutionOutcome | None = None
        # With `keep_closing`, the last events (the closing one and those of its transition) are
        # left in `closing_events` instead of the sink: a store writes them with the status, in
        # one transaction (service/executions.py).
        self.keep_closing = False
        self.closing_events: list[HistoryEvent] = []
        self.closing_frames: dict[str, str] = {}  # and, unless it succeeded, the positions they changed

    @property
    def map_runs(self) -> MapRunObserver | None:
        """Told about Distributed Maps' runs (DescribeMapRun); the service sets it, tests need not."""
        return self.branches.map_runs

    @map_runs.setter
    def map_runs(self, observer: MapRunObserver | None) -> None:
        self.branches.map_runs = observer

    async def run(self) -> ExecutionOutcome:
        """Run to the end and return how it ended; the closing event is the last one emitted.

        With `resume`, the execution carries on from the position saved on disk instead of
        starting: no ExecutionStarted again, event ids continue after the last one stored."""
        history = self.checkpoints.history
        if self.resume is not None:
            history.count = started = self.resume.last_event_id
        elif self._announced:
            started = 1
        else:
            history.add("ExecutionStarted", 0, self._started_details())
            started = 1
        frame = Frame("", started, history, dict(self.variables or {}))
        self.checkpoints.flush()
        self._main = asyncio.ensure_future(self.shell.run_program(self.machine.program, self.info.input, frame))
        if self._ending.request is not None or self._abandoned is not None:
            self._main.cancel()
        timeout = self.machine.timeout_seconds
        began = self.info.start_time if self.info.redrive_time is None else self.info.redrive_time  # redrive: anew
        self.unloader.timeout_at = None if timeout is None else began + timeout
        self.unloader.limit_at = began + self.max_seconds
        # Armed at the run's first wait (Unloader.park), not for every execution: one that never
        # waits cannot run for a year, and a timer per start cost 1-5 us. These references to the
        # run are set here and let go below: a run must be no reference cycle (runtime/unloading.py).
        self.unloader.arm = self._arm_limit
        history.on_full = self._history_full
        try:
            with watchdog(self.clock, self.unloader.timeout_at, self._time_out):
                try:
                    output = await self._main
                    outcome = self._succeeded(frame, output)
                except Unloaded:
                    raise  # parked and left memory: no closing event (runtime/unloading.py)
                except asyncio.CancelledError:
                    if self._abandoned is not None:
                        outcome = self._closed(frame, "ExecutionFailed", "FAILED", RUNTIME, self._abandoned)
                    elif self._ending.timed_out:
                        outcome = self._closed(frame, "ExecutionTimedOut", "TIMED_OUT", TIMEOUT, None)
                    elif self._ending.request is not None:
                        outcome = self._closed(frame, "ExecutionAborted", "ABORTED", *self._ending.request)
                    else:
                        raise
                except StatesError as failure:
                    outcome = self._closed(frame, "ExecutionFailed", "FAILED", failure.error, failure.cause)
                except Exception as exc:  # an engine bug still closes the history: ExecutionFailed, never a stop
                    log.exception("execution %s crashed in the engine", self.info.execution_arn)
                    outcome = self._closed(frame, "ExecutionFailed", "FAILED", RUNTIME,
                                           f"Internal error in asl-engine: {exc!r}")
        finally:  # however it ends (unloaded too: a pending timer would keep the run in memory)
            if self._limit is not None:
                self._limit.cancel()
            self.unloader.arm = history.on_full = None
        self.outcome = outcome
        return outcome

    def run_at_once(self) -> ExecutionOutcome | None:
        """Run a machine whose states only compute (`Program.at_once`) to its end without giving
        the event loop a turn: its outcome, or None when it would have had to (a long run shares
        the loop after its slice: runtime/shell.py) or the engine failed. Nothing it did left
        this object then (no task, no timer, events only in its own sink): the caller drops it
        and runs the execution as usual."""
        history = self.checkpoints.history
        if not self._announced:
            history.add("ExecutionStarted", 0, self._started_details())
        frame = Frame("", 1, history, dict(self.variables or {}))
        program = self.shell.run_program(self.machine.program, self.info.input, frame)
        try:
            program.send(None)
        except StopIteration as done:
            outcome = self._succeeded(frame, done.value)
        except StatesError as failure:
            outcome = self._closed(frame, "ExecutionFailed", "FAILED", failure.error, failure.cause)
        except Exception:  # an engine bug: the usual run meets it again, and records it
            return None
        else:
            program.close()
            return None
        self.outcome = outcome
        return outcome

    def announce(self) -> HistoryEvent:
        """The ExecutionStarted event, for a caller that stores it itself (with the execution's
        row, in one commit); `run` then does not emit it again."""
        self._announced = True
        self.checkpoints.history.count = 1
        return {"timestamp": self.info.start_time, "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
                "executionStartedEventDetails": self._started_details()}

    def _started_details(self) -> dict[str, Json]:
        return {"input": to_json(self.info.input), "inputDetails": {"truncated": False}, "roleArn": self.info.role_arn}

    @property
    def stopping(self) -> bool:
        """StopExecution or the execution's timeout is ending the run (not a server shutdown)."""
        return self._ending()

    @property
    def stop_request(self) -> tuple[str | None, str | None] | None:
        """StopExecution's (error, cause), once asked."""
        return self._ending.request

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """StopExecution: the run ends ABORTED with ExecutionAborted as its last event."""
        if self.outcome is not None or self._ending.request is not None:
            return
        self._ending.request = (error, cause)
        if self._main is not None:
            self._main.cancel()

    def _arm_limit(self) -> None:
        assert self.unloader.limit_at is not None
        self._limit = self.clock.call_at(self.unloader.limit_at, self._time_out)

    def _history_full(self) -> None:
        self.abandon(HISTORY_FULL)

    def abandon(self, cause: str) -> None:
        """End the run FAILED with States.Runtime and `cause` (its history could not be recorded)."""
        if self.outcome is not None or self._abandoned is not None:
            return
        self._abandoned = cause
        if self._main is not None:
            self._main.cancel()

    def _time_out(self) -> None:
        """The machine's TimeoutSeconds came: the run ends TIMED_OUT."""
        main = self._main
        if main is not None and not main.done():
            self._ending.timed_out = True
            main.cancel()

    def _succeeded(self, frame: Frame, output: Json) -> ExecutionOutcome:
        self.checkpoints.history.add(
            "ExecutionSucceeded",
            frame.previous,
            {"output": to_json(output), "outputDetails": {"truncated": False}},
        )
        self._close_history()
        return ExecutionOutcome("SUCCEEDED", output, stop_time=self.clock.time())

    def _closed(
        self, frame: Frame, event: str, status: str, error: str | None, cause: str | None
    ) -> ExecutionOutcome:
        details = {}
        if error is not None:
            details["error"] = error
        if cause is not None:
            details["cause"] = cause
        self.checkpoints.history.add(event, frame.previous, details)
        if self.keep_closing:  # where it ended, saved with its end: RedriveExecution resumes from there
            self.closing_frames = self.checkpoints.positions()
        self._close_history()
        return ExecutionOutcome(status, None, error, cause, stop_time=self.clock.time())

    def _close_history(self) -> None:
        """Hand over the closing events; an ended execution has no position to save."""
        self.closing_events = self.checkpoints.close(self.keep_closing)


class _Ending:
    """StopExecution's request or the machine's timeout, once either came: the run's
    `stopping()`, called by its shell, branches and unloader."""

    __slots__ = ("request", "timed_out")

    def __init__(self) -> None:
        self.request: tuple[str | None, str | None] | None = None  # StopExecution's (error, cause)
        self.timed_out = False

    def __call__(self) -> bool:
        return self.request is not None or self.timed_out
