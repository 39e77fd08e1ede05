"""What each state type does when it runs, in AWS's order of steps.

`StateRunner.execute` returns a state's output and the next state's name (None at the end) or
raises `StatesError`; the runner wraps it with the Entered/Exited events, Retry and Catch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from . import model as m
from .dataflow import apply_input_path, apply_output_path, apply_result_path
from .errors import StatesError
from .interpreter import fail_fields, no_choice_matched, wait_deadline
from .jsonata_states import JsonataStates
from .mapping import MapRunner
from .offload import settle
from .task_runner import TaskRunner
from .paths import Scope
from .position import WAIT

if TYPE_CHECKING:
    from .runner import ExecutionRun, Frame

Json = Any


class StateRunner:
    """Runs the body of one state of an execution (JSONPath query language)."""

    def __init__(self, run: "ExecutionRun") -> None:
        self.run = run
        self.maps = MapRunner(run)
        self.jsonata = JsonataStates(self)
        self.tasks = TaskRunner(run)
        self._sync: dict[tuple[str, str], Callable[..., Any]] = {
            ("Pass", m.JSONPATH): self._pass,
            ("Choice", m.JSONPATH): self._choice,
            ("Succeed", m.JSONPATH): self._succeed,
            ("Fail", m.JSONPATH): self._fail,
            ("Pass", m.JSONATA): self.jsonata.pass_,
            ("Choice", m.JSONATA): self.jsonata.choice,
            ("Succeed", m.JSONATA): self.jsonata.succeed,
            ("Fail", m.JSONATA): self.jsonata.fail,
        }
        self._async: dict[str, Callable[..., Any]] = {
            "Wait": self._wait,
            "Task": self._task,
            "Parallel": self._parallel,
            "Map": self.maps.execute,
        }

    async def execute(
        self, state: m.State, raw_input: Json, context: Json, frame: "Frame"
    ) -> tuple[Json, str | None]:
        handler = self._sync.get((state.type, state.query_language))
        if handler is not None and state.query_language == m.JSONATA:
            return await settle(lambda: handler(state, raw_input, context, frame), self.run.clock)
        if handler is not None:
            return handler(state, raw_input, context, frame)  # type: ignore[no-any-return]
        return await self._async[state.type](state, raw_input, context, frame)  # type: ignore[no-any-return]

    def assign(self, state: Any, source: Json, context: Json, frame: "Frame") -> None:
        """JSONPath Assign: evaluated against the state's result; applied once the state exits."""
        if state.assign is not None:
            frame.assigned = state.assign.evaluate(Scope(source, context, frame.variables))

    def failed(self, state: m.State, failure: StatesError, frame: "Frame") -> None:
        """A failure the state will not retry: Map and Parallel record it when a branch caused it."""
        if failure.from_branches:
            frame.previous = frame.history.add(state.type + "StateFailed", frame.previous)

    # -- states that never wait -------------------------------------------------------------

    def _pass(self, state: m.PassState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        scope = Scope(raw, context, frame.variables)
        value = apply_input_path(state.input_path, scope)
        if state.parameters is not None:
            value = state.parameters.evaluate(Scope(value, context, frame.variables))
        result = state.result if state.has_result else value
        self.assign(state, result, context, frame)
        return self._finish(state, raw, result, scope, frame)

    def _choice(self, state: m.ChoiceState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        scope = Scope(raw, context, frame.variables)
        value = apply_input_path(state.input_path, scope)
        rule_scope = Scope(value, context, frame.variables)
        next_name = state.default
        self.assign(state, value, context, frame)
        for rule in state.choices:
            if rule.predicate(rule_scope):
                next_name = rule.next
                if rule.assign is not None:
                    frame.assigned = {**(frame.assigned or {}), **rule.assign.evaluate(rule_scope)}
                break
        else:
            if next_name is None:
                raise no_choice_matched()
        return apply_output_path(state.output_path, value, scope), next_name

    def _succeed(self, state: m.SucceedState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, None]:
        scope = Scope(raw, context, frame.variables)
        value = apply_input_path(state.input_path, scope)
        self.assign(state, value, context, frame)
        return apply_output_path(state.output_path, value, scope), None

    def _fail(self, state: m.FailState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, None]:
        error, cause = fail_fields(state, Scope(raw, context, frame.variables))
        raise StatesError(error, cause)

    def _finish(self, state: Any, raw: Json, result: Json, scope: Scope, frame: "Frame") -> tuple[Json, str | None]:
        """ResultPath then OutputPath, and where to go next."""
        merged = apply_result_path(state.result_path, raw, result)
        return apply_output_path(state.output_path, merged, scope), state.next

    async def complete(self, state: Any, raw: Json, result: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        """After a Task, Map or Parallel produced its result: ResultSelector, Assign, ResultPath,
        OutputPath in JSONPath; Assign and Output in JSONata."""
        if state.query_language == m.JSONATA:
            return await settle(lambda: self.jsonata.after_result(state, raw, context, frame, result), self.run.clock)
        if state.result_selector is not None:
            result = state.result_selector.evaluate(Scope(result, context, frame.variables))
        self.assign(state, result, context, frame)
        return self._finish(state, raw, result, Scope(raw, context, frame.variables), frame)

    # -- states that wait ---------------------------------------------------------------------

    async def _wait(self, state: m.WaitState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        clock = self.run.clock
        if state.query_language == m.JSONATA:
            now = clock.time()
            deadline, (output, _) = await settle(lambda: (
                self.jsonata.wait_deadline(state, raw, context, frame, now),
                self.jsonata.pass_(state, raw, context, frame),  # type: ignore[arg-type]
            ), clock)
        else:
            scope = Scope(raw, context, frame.variables)
            value = apply_input_path(state.input_path, scope)
            deadline = wait_deadline(state, value, Scope(value, context, frame.variables), clock.time())
            self.assign(state, value, context, frame)
            output = apply_output_path(state.output_path, value, scope)
        deadline = clock.wait_state_until(deadline)  # WAIT_TIME_SCALE shortens Wait states only
        resumed = frame.take_resumed(WAIT)
        if resumed is not None:
            deadline = resumed["until"]  # a restart waits only for what remains
        frame.phase = {"kind": WAIT, "until": deadline}
        self.run.touch(frame)
        self.run.flush()
        await clock.sleep_until(deadline)
        return output, state.next

    async def _task(self, state: m.TaskState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        return await self.tasks.execute(state, raw, context, frame)

    async def effective_parameters(self, state: Any, raw: Json, context: Json, frame: "Frame") -> Json:
        """What a Task or Parallel works on: InputPath then Parameters, or JSONata Arguments."""
        if state.query_language == m.JSONATA:
            return await settle(lambda: self.jsonata.arguments(state, raw, context, frame), self.run.clock)
        value = apply_input_path(state.input_path, Scope(raw, context, frame.variables))
        if state.parameters is not None:
            value = state.parameters.evaluate(Scope(value, context, frame.variables))
        return value

    async def _parallel(self, state: m.ParallelState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        value = await self.effective_parameters(state, raw, context, frame)
        results = await self.maps.run_branches(state, value, frame)
        return await self.complete(state, raw, results, context, frame)

