"""Drives a compiled state machine: awaits tasks and the clock, records history, ends an execution.

The runner is the only part of the engine that awaits. States that need no waiting (Pass,
Choice, Succeed, Fail) run straight through without yielding to the event loop, which keeps a
transition in microseconds; Wait, Task, Parallel and Map await the clock, a task handler or
their branches. A waiting execution is a parked coroutine, never a thread.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from . import model as m
from .clock import Clock
from .dataflow import check_size
from .errors import DATA_LIMIT_EXCEEDED, QUERY_EVALUATION_ERROR, RUNTIME, TIMEOUT, StatesError
from .execution import EventSink, ExecutionInfo, ExecutionOutcome, HistoryEvent
from .history import History
from .limits import MAX_ASSIGN_BYTES, MAX_HISTORY_EVENTS
from .run_api import MapRunObserver, Probe
from .interpreter import find_catcher, iso_time, retry_delay
from .engine.step import Context
from .offload import share_loop
from .position import REDRIVE, RETRY, RUN, Frame, Resume
from .payload import to_json
from .states import StateRunner
from .tasks_api import TaskHandler, TaskTimeout
from .watchdog import watchdog

log = logging.getLogger(__name__)

Json = Any
FLUSH_EVENTS = 500  # events a long run of transitions hands to the store at once (each encoded on the loop)


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
    ) -> None:
        self.machine = machine
        self.probe = probe  # TestState's: watches the states and stops at its placeholders
        self.variables = variables  # the root frame's variables at the start (TestState's `variables`)
        self.resume = resume
        self._dirty: set[Frame] = set()
        self._announced = False
        # Told about Distributed Maps' runs (DescribeMapRun); the service sets it, tests need not.
        self.map_runs: MapRunObserver | None = None
        self.info = info
        self.clock = clock
        self.history = History(clock, sink)
        self.tasks = tasks
        self.execution_context = {
            "Id": info.execution_arn,
            "Input": info.input,
            "StartTime": iso_time(info.start_time),
            "Name": info.name,
            "RoleArn": info.role_arn,
            "RedriveCount": info.redrive_count,
        }
        if info.redrive_time is not None:
            self.execution_context["RedriveTime"] = iso_time(info.redrive_time)
        self.machine_context = {"Id": info.state_machine_arn, "Name": info.state_machine_name}
        self.states = StateRunner(self)
        self._main: asyncio.Future[Json] | None = None
        self._stop_request: tuple[str | None, str | None] | None = None
        self._timed_out = False
        self._abandoned: str | None = None  # why the execution must end FAILED (`abandon`)
        self.outcome: ExecutionOutcome | None = None
        # With `keep_closing`, the last events (the closing one and those of its transition) are
        # left in `closing_events` instead of the sink: a store writes them with the status, in
        # one transaction (service_executions).
        self.keep_closing = False
        self.closing_events: list[HistoryEvent] = []
        self.closing_frames: dict[str, str] = {}  # and, unless it succeeded, the positions they changed

    async def run(self) -> ExecutionOutcome:
        """Run to the end and return how it ended; the closing event is the last one emitted.

        With `resume`, the execution carries on from the position saved on disk instead of
        starting: no ExecutionStarted again, event ids continue after the last one stored."""
        if self.resume is not None:
            self.history.count = started = self.resume.last_event_id
        elif self._announced:
            started = 1
        else:
            self.history.add("ExecutionStarted", 0, self._started_details())
            started = 1
        frame = Frame("", started, self.history, dict(self.variables or {}))
        self.flush()
        self._main = asyncio.ensure_future(self.run_program(self.machine.program, self.info.input, frame))
        if self._stop_request is not None or self._abandoned is not None:
            self._main.cancel()
        timeout = self.machine.timeout_seconds
        began = self.info.start_time if self.info.redrive_time is None else self.info.redrive_time  # redrive: anew
        with watchdog(self.clock, None if timeout is None else began + timeout, self._time_out):
            try:
                output = await self._main
                outcome = self._succeeded(frame, output)
            except asyncio.CancelledError:
                if self._abandoned is not None:
                    outcome = self._closed(frame, "ExecutionFailed", "FAILED", RUNTIME, self._abandoned)
                elif self._timed_out:
                    outcome = self._closed(frame, "ExecutionTimedOut", "TIMED_OUT", TIMEOUT, None)
                elif self._stop_request is not None:
                    outcome = self._closed(frame, "ExecutionAborted", "ABORTED", *self._stop_request)
                else:
                    raise
            except StatesError as failure:
                outcome = self._closed(frame, "ExecutionFailed", "FAILED", failure.error, failure.cause)
            except Exception as exc:  # an engine bug still closes the history: ExecutionFailed, never a stop
                log.exception("execution %s crashed in the engine", self.info.execution_arn)
                outcome = self._closed(frame, "ExecutionFailed", "FAILED", RUNTIME,
                                       f"Internal error in asl-engine: {exc!r}")
        self.outcome = outcome
        return outcome

    def announce(self) -> HistoryEvent:
        """The ExecutionStarted event, for a caller that stores it itself (with the execution's
        row, in one commit); `run` then does not emit it again."""
        self._announced = True
        self.history.count = 1
        return {"timestamp": self.info.start_time, "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
                "executionStartedEventDetails": self._started_details()}

    def _started_details(self) -> dict[str, Json]:
        return {"input": to_json(self.info.input), "inputDetails": {"truncated": False}, "roleArn": self.info.role_arn}

    @property
    def stopping(self) -> bool:
        """StopExecution or the execution's timeout is ending the run (not a server shutdown)."""
        return self._stop_request is not None or self._timed_out

    def touch(self, frame: Frame) -> None:
        """The frame's position changed: save it with the next flush."""
        self._dirty.add(frame)

    def flush(self) -> None:
        """Hand the pending events, and the positions they lead to, to the sink as one unit."""
        dirty, self._dirty = self._dirty, set()
        checkpoint = {"frames": {frame.id: to_json(frame.snapshot()) for frame in dirty}} if dirty else None
        self.history.flush(checkpoint)

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """StopExecution: the run ends ABORTED with ExecutionAborted as its last event."""
        if self.outcome is not None or self._stop_request is not None:
            return
        self._stop_request = (error, cause)
        if self._main is not None:
            self._main.cancel()

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
            self._timed_out = True
            main.cancel()

    def _succeeded(self, frame: Frame, output: Json) -> ExecutionOutcome:
        self.history.add(
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
        self.history.add(event, frame.previous, details)
        if self.keep_closing:  # where it ended, saved with its end: RedriveExecution resumes from there
            self.closing_frames = {frame.id: to_json(frame.snapshot()) for frame in self._dirty}
        self._close_history()
        return ExecutionOutcome(status, None, error, cause, stop_time=self.clock.time())

    def _close_history(self) -> None:
        """Hand over the closing events; an ended execution has no position to save."""
        self._dirty.clear()
        if self.keep_closing:
            self.closing_events = self.history.take()
        else:
            self.flush()

    async def run_program(self, program: m.Program, value: Json, frame: Frame) -> Json:
        """Run a scope (the machine, a branch or an iteration) from StartAt to its end."""
        states = program.states
        saved = self.resume.take(frame.id) if self.resume is not None else None
        resumed = saved is not None and saved.get("state") is not None
        if resumed:
            frame.restore(saved)  # type: ignore[arg-type]
            state, value = states[frame.state], frame.input  # type: ignore[index]
            resumed = frame.take_resumed(REDRIVE) is None  # a redriven state is entered again
        else:
            state = states[program.start_at]
        text = None
        while True:
            value, next_name, text = await self.run_state(state, value, frame, text, resumed)
            resumed = False
            if next_name is None:
                return value
            state = states[next_name]
            await share_loop()  # a long run of states (or a large inline Map) shares the loop
            if self.history.pending >= FLUSH_EVENTS:  # encoded and written a batch at a time, not at the end
                self.flush()

    async def run_state(
        self, state: m.State, raw_input: Json, frame: Frame, input_text: str | None = None, resumed: bool = False
    ) -> tuple[Json, str | None, str]:
        """Enter a state, run it with Retry and Catch, and exit it.

        Returns (output, next state, output as JSON text): the text is the next state's input
        text too, so each payload is serialised once.
        """
        probe = self.probe
        if probe is not None and probe.stops_at(state, frame):
            return raw_input, None, input_text or to_json(raw_input)
        history = frame.history
        if resumed:
            entered, entered_at, attempts = frame.entered, frame.entered_at, frame.attempts
            backoff = frame.take_resumed(RETRY)
            if backoff is not None:
                await self.clock.sleep_until(backoff["until"])
                frame.phase = {"kind": RUN}
                self.touch(frame)
        else:
            if history.count >= MAX_HISTORY_EVENTS - 2:  # room for this state's events and the closing one
                raise StatesError(
                    RUNTIME, f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
                )
            entered_at = self.clock.time()
            entered = history.add(
                state.type + "StateEntered",
                frame.previous,
                {"name": state.name, "input": input_text or to_json(raw_input), "inputDetails": {"truncated": False}},
            )
            attempts = [0] * len(getattr(state, "retry", ()))
            frame.previous = frame.entered = entered
            frame.state, frame.input, frame.entered_at = state.name, raw_input, entered_at
            frame.attempts, frame.retry_count, frame.phase = attempts, 0, {"kind": RUN}
            self.touch(frame)
        while True:
            context = self.context(state, entered_at, frame.retry_count, frame)
            try:
                output, next_name = await self.states.execute(state, raw_input, context, frame)
                text = to_json(output)
                check_size(state.name, text)
            except asyncio.CancelledError:
                if frame.aborts and not self.stopping:
                    self._aborted(state, frame)
                raise
            except StatesError as error:
                frame.assigned = None
                failure = error
                if failure.in_state:
                    failure = failure.replace(in_state=False, cause=(
                        f"An error occurred while executing the state '{state.name}' "
                        f"(entered at the event id #{entered}). {failure.cause}"
                    ))
                if failure.error == QUERY_EVALUATION_ERROR and not failure.from_branches:
                    failure = self._evaluation_failed(state, failure, frame)  # where it happened, not again above
                delay = retry_delay(getattr(state, "retry", ()), attempts, failure)
                if delay is not None:
                    until = self.clock.time() + delay
                    frame.retry_count += 1
                    frame.phase = {"kind": RETRY, "until": until}
                    self.touch(frame)
                    self.flush()
                    await self.clock.sleep_until(until)
                    frame.phase = {"kind": RUN}
                    self.touch(frame)
                    continue
                self.state_failed(state, failure, frame)
                catcher = find_catcher(getattr(state, "catch", ()), failure)
                if catcher is None:
                    if frame.aborts and state.type != "Fail":
                        self._aborted(state, frame)
                    raise failure from None
                return self._caught(state, catcher, failure, raw_input, context, frame)
            self._exited(state, text, frame)
            return output, next_name, text

    def _exited(self, state: m.State, output_text: str, frame: Frame) -> None:
        """The state's Exited event; variables it assigned take effect now."""
        details: dict[str, Json] = {"name": state.name, "output": output_text, "outputDetails": {"truncated": False}}
        assigned = frame.assigned
        if assigned is not None:
            frame.assigned = None
            texts = {name: to_json(value) for name, value in assigned.items()}
            _check_variable_sizes(state.name, texts)
            if frame.variables is None:
                frame.variables = {}
            frame.variables.update(assigned)
            details["assignedVariables"] = texts
            details["assignedVariablesDetails"] = {"truncated": False}
        frame.previous = frame.history.add(state.type + "StateExited", frame.previous, details)

    def state_failed(self, state: m.State, failure: StatesError, frame: Frame) -> None:
        """A failure the state will not retry (before Catch looks at it); a probe (TestState)
        remembers the tested state's."""
        if self.probe is not None:
            self.probe.failed(state, failure, frame)
        self.states.failed(state, failure, frame)

    def _aborted(self, state: m.State, frame: Frame) -> None:
        frame.previous = frame.history.add(state.type + "StateAborted", frame.previous)

    def _evaluation_failed(self, state: m.State, failure: StatesError, frame: Frame) -> StatesError:
        """JSONata errors are recorded as EvaluationFailed, once per attempt; a Map then also fails."""
        details = {"error": failure.error, "cause": failure.cause, "state": state.name}
        frame.previous = frame.history.add("EvaluationFailed", frame.previous, details)
        return failure.replace(from_branches=True) if state.type == "Map" else failure

    def _caught(
        self, state: m.State, catcher: m.Catcher, failure: StatesError, raw_input: Json, context: Json, frame: Frame
    ) -> tuple[Json, str, str]:
        cause = failure.cause
        if cause is None and isinstance(failure, TaskTimeout):
            cause = ""  # a timed-out task's error output has Cause "" (recorded: test_invoke_timeout)
        error_output = {"Error": failure.error, "Cause": cause}
        step = state.flow.caught(catcher, raw_input, error_output, Context(context, frame.variables))
        if catcher.assign is not None:
            frame.assigned = step.assigned
        output = step.output
        text = to_json(output)
        check_size(state.name, text)
        self._exited(state, text, frame)
        return output, catcher.next, text

    def context(self, state: m.State, entered_at: float, retry_count: int, frame: Frame) -> dict[str, Json]:
        """The `$$` object a state sees."""
        state_context: dict[str, Json] = {"Name": state.name, "EnteredTime": iso_time(entered_at)}
        if state.type in ("Task", "Parallel", "Map"):
            state_context["RetryCount"] = retry_count
        context: dict[str, Json] = {
            "Execution": self.execution_context,
            "StateMachine": self.machine_context,
            "State": state_context,
        }
        return context if self.probe is None else self.probe.context(state, context, frame)



def _check_variable_sizes(state_name: str, texts: dict[str, str]) -> None:
    """workflow-variables: a variable, and all that one Assign sets together, hold at most 256 KiB."""
    total = sum(len(text.encode("utf-8")) for text in texts.values())
    if total > MAX_ASSIGN_BYTES:
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The variables assigned by the state '{state_name}' exceed the maximum size of 256 KiB.",
        )
