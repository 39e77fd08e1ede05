"""The async shell around the pure core: it performs what `engine.step.advance` decides.

One state, in order, is one function (`Shell.run_state`): record <Type>StateEntered; advance
(the pure core decides), checkpoint, perform the effect, repeat until the state is done; a
failure goes to Retry (back off, checkpointed, attempt again) or Catch; <Type>StateExited. `run_program` strings states together
from StartAt to the end of a scope (the machine, a Parallel branch, a Map iteration).

The effects are small collaborators handed to the shell: `TaskAttempts` (a task's call,
timeouts, heartbeats, tokens, activities), `Branches` (Parallel and Map fan-out) and
`Checkpoints` (the one owner of history and saved positions). States that need no waiting
(Pass, Choice, Succeed, Fail) run straight through without yielding to the event loop, which
keeps a transition in microseconds.

JSONata evaluation holds the loop at most one slice: a call into the core that may evaluate
JSONata runs inside `offload.settle`, which finishes an overrunning evaluation in a worker
process and runs the (pure, hence repeatable) call again.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from .. import model as m
from ..clock import Clock
from ..dataflow import output_text
from ..engine.step import CallTask, Context, Fail, Next, RunBranches, Sleep, Step, advance
from ..errors import DATA_LIMIT_EXCEEDED, QUERY_EVALUATION_ERROR, RUNTIME, StatesError
from ..engine.decisions import find_catcher, iso_time, retry_delay
from ..history import HISTORY_FULL
from ..limits import MAX_ASSIGN_BYTES, MAX_HISTORY_EVENTS
from ..offload import settle, share_loop
from ..payload import to_json
from ..position import RUNNING, Frame, RedrivePhase, Resume, RetryPhase, WaitPhase
from ..tasks_api import TaskTimeout
from .branches import Branches
from .checkpoints import Checkpoints
from .ports import Probe
from .tasks import TaskAttempts
from .unloading import Unloader

Json = Any
T = TypeVar("T")


class Shell:
    """Runs the states of one execution, performing each step with its collaborators."""

    def __init__(self, clock: Clock, checkpoints: Checkpoints, tasks: TaskAttempts, branches: Branches,
                 resume: Resume | None, context: dict[str, Json], stopping: Callable[[], bool],
                 probe: Probe | None = None, unloader: Unloader | None = None) -> None:
        self.clock = clock
        self.checkpoints = checkpoints
        self.tasks = tasks
        self.branches = branches
        self.resume = resume
        self.base_context = context  # the `$$` object's Execution and StateMachine
        self.probe = probe  # TestState's: watches the states and stops at its placeholders
        self.stopping = stopping  # StopExecution or the timeout is ending the run (not a shutdown)
        self.unloader = unloader or Unloader(clock, stopping)  # a parked Wait may leave memory

    async def run_program(self, program: m.Program, value: Json, frame: Frame) -> Json:
        """Run a scope (the machine, a branch or an iteration) from StartAt to its end."""
        states = program.states
        saved = self.resume.take(frame.id) if self.resume is not None else None
        resumed = saved is not None and saved.get("state") is not None
        if resumed:
            frame.restore(saved)  # type: ignore[arg-type]
            state, value = states[frame.state], frame.input  # type: ignore[index]
            resumed = frame.take_resumed(RedrivePhase) is None  # a redriven state is entered again
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
            if self.checkpoints.behind():
                await self.checkpoints.catch_up()

    async def run_state(
        self, state: m.State, raw_input: Json, frame: Frame, input_text: str | None = None, resumed: bool = False
    ) -> tuple[Json, str | None, str]:
        """One state, in order: <Type>StateEntered (checkpointed with the next flush); then
        attempts: advance (the pure core decides), perform the effect the step asks for (sleep,
        call the task, run the branches; each collaborator checkpoints before it waits), repeat
        until the state is done; a failure goes to Retry (back off, checkpointed, attempt again)
        or to Catch; last <Type>StateExited, with the variables the state assigned.

        Returns (output, next state, output as JSON text): the text is the next state's input
        text too, so each payload is serialised once.
        """
        probe = self.probe
        if probe is not None and probe.stops_at(state, frame):
            return raw_input, None, input_text or to_json(raw_input)
        if resumed:
            entered, entered_at, attempts = frame.entered, frame.entered_at, frame.attempts
            backoff = frame.take_resumed(RetryPhase)
            if backoff is not None:  # its position on disk says just this (loaded back, restarted)
                await self.back_off(backoff.until, frame)
        else:
            entered_at, entered, attempts = self._entered(state, raw_input, input_text, frame)
        while True:  # one attempt per turn; Retry comes back here
            context = self.context(state, entered_at, frame.retry_count, frame)
            try:
                if type(state) is m.TaskState:
                    self.tasks.offer_token(state, context, frame)  # $$.Task.Token, before the core reads the fields
                ctx = Context(context, frame.variables, self.clock.time() if type(state) is m.WaitState else 0.0)
                step: Step = await self.settled(state, advance, state, raw_input, ctx) if state.flow.offloaded \
                    else advance(state, raw_input, ctx)  # a JSONPath step needs no coroutine (engine benchmark)
                while not isinstance(step, Next):
                    match step:
                        case Fail():
                            raise step.error
                        case Sleep():
                            await self.sleep(step.until, frame)
                            step = step.then
                        case CallTask():
                            result = await self.tasks.call(step, frame)
                            step = await self.settled(state, step.finish, result)
                        case RunBranches():
                            results = None if probe is None else probe.branches(step, frame)
                            if results is None:
                                results = await self.branches.run(step, frame, self.run_program)
                            step = await self.settled(state, step.finish, results)
                frame.assigned = step.assigned
                output = step.output
                text = output_text(state.name, output)
            except asyncio.CancelledError:
                if frame.aborts and not self.stopping():
                    self._aborted(state, frame)
                raise
            except StatesError as error:
                frame.assigned = None
                failure = self._located(state, error, entered, frame)
                delay = retry_delay(getattr(state, "retry", ()), attempts, failure)
                if delay is not None:
                    until = self.clock.time() + delay
                    frame.retry_count += 1
                    self.checkpoints.commit(frame, RetryPhase(until))
                    await self.back_off(until, frame)
                    continue
                self.state_failed(state, failure, frame)
                catcher = find_catcher(getattr(state, "catch", ()), failure)
                if catcher is None:
                    if frame.aborts and state.type != "Fail":
                        self._aborted(state, frame)
                    raise failure from None
                return self._caught(state, catcher, failure, raw_input, context, frame)
            self._exited(state, text, frame)
            return output, step.next, text

    async def settled(self, state: m.State, decide: Callable[..., T], *args: Any) -> T:
        """A call into the pure core; inside `offload.settle` when the state's flow may overrun
        its slice of the loop (JSONata)."""
        if state.flow.offloaded:
            return await settle(lambda: decide(*args), self.clock)
        return decide(*args)

    async def sleep(self, until: float, frame: Frame) -> None:
        """A Wait state's sleep, saved first so that a restart waits only for what remains."""
        clock = self.clock
        deadline = clock.wait_state_until(until)  # WAIT_TIME_SCALE shortens Wait states only
        resumed = frame.take_resumed(WaitPhase)
        if resumed is None:
            self.checkpoints.commit(frame, WaitPhase(deadline))
        else:  # its position on disk says just this (loaded back, restarted): not written again
            deadline = resumed.until
            self.checkpoints.save(frame, resumed)
        self.unloader.park(frame, deadline)
        await clock.sleep_until(deadline)

    async def back_off(self, until: float, frame: Frame) -> None:
        """Retry's interval before the next attempt, its `RetryPhase` committed first: like a
        Wait, the execution may leave memory until then (runtime/unloading.py) and, loaded back or
        restarted, backs off only for what remains, then makes the next attempt (its retry
        counters are in the position: `attempts`, `retry_count`)."""
        self.unloader.park(frame, until)
        await self.clock.sleep_until(until)
        self.checkpoints.save(frame, RUNNING)

    def context(self, state: m.State, entered_at: float, retry_count: int, frame: Frame) -> dict[str, Json]:
        """The `$$` object a state sees."""
        state_context: dict[str, Json] = {"Name": state.name, "EnteredTime": iso_time(entered_at)}
        if state.type in ("Task", "Parallel", "Map"):
            state_context["RetryCount"] = retry_count
        context: dict[str, Json] = {**self.base_context, "State": state_context}
        return context if self.probe is None else self.probe.context(state, context, frame)

    # -- The events of a state ------------------------------------------------------------------

    def _entered(self, state: m.State, raw_input: Json, input_text: str | None,
                 frame: Frame) -> tuple[float, int, list[int]]:
        """<Type>StateEntered, and the frame's new position (checkpointed with the next flush)."""
        history = frame.history
        if history.count >= MAX_HISTORY_EVENTS - 2:  # room for this state's events and the closing one
            raise StatesError(RUNTIME, HISTORY_FULL)
        entered_at = self.clock.time()
        entered = history.add(
            state.type + "StateEntered",
            frame.previous,
            {"name": state.name, "input": input_text or to_json(raw_input), "inputDetails": {"truncated": False}},
        )
        attempts = [0] * len(getattr(state, "retry", ()))
        frame.previous = frame.entered = entered
        frame.state, frame.input, frame.entered_at = state.name, raw_input, entered_at
        frame.attempts, frame.retry_count = attempts, 0
        self.checkpoints.save(frame, RUNNING)
        # A long run of states hands its events over a batch at a time. Here, not after the last
        # state's Exited: the position then names a state whose Exited is on disk, and a restart
        # ran it again (an Exited twice). Here it names the state just entered, as its events do.
        self.checkpoints.between_states()
        return entered_at, entered, attempts

    def _located(self, state: m.State, failure: StatesError, entered: int, frame: Frame) -> StatesError:
        """A failure as Retry and Catch see it: where it happened, for an error AWS words so."""
        if failure.in_state:
            failure = failure.replace(in_state=False, cause=(
                f"An error occurred while executing the state '{state.name}' "
                f"(entered at the event id #{entered}). {failure.cause}"
            ))
        if failure.error == QUERY_EVALUATION_ERROR and not failure.from_branches:
            failure = self._evaluation_failed(state, failure, frame)  # where it happened, not again above
        return failure

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
        frame.record(state.type + "StateExited", details)

    def state_failed(self, state: m.State, failure: StatesError, frame: Frame) -> None:
        """A failure the state will not retry (before Catch looks at it): Map and Parallel record
        <Type>StateFailed when a branch caused it; a probe (TestState) remembers the tested state's."""
        if self.probe is not None:
            self.probe.failed(state, failure, frame)
        if failure.from_branches:
            frame.record(state.type + "StateFailed")

    def _aborted(self, state: m.State, frame: Frame) -> None:
        frame.record(state.type + "StateAborted")

    def _evaluation_failed(self, state: m.State, failure: StatesError, frame: Frame) -> StatesError:
        """JSONata errors are recorded as EvaluationFailed, once per attempt; a Map then also fails."""
        details = {"error": failure.error, "cause": failure.cause, "state": state.name}
        frame.record("EvaluationFailed", details)
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
        text = output_text(state.name, output)
        self._exited(state, text, frame)
        return output, catcher.next, text


def _check_variable_sizes(state_name: str, texts: dict[str, str]) -> None:
    """workflow-variables: a variable, and all that one Assign sets together, hold at most 256 KiB."""
    total = sum(len(text.encode("utf-8")) for text in texts.values())
    if total > MAX_ASSIGN_BYTES:
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The variables assigned by the state '{state_name}' exceed the maximum size of 256 KiB.",
        )
