"""Task states answered from test code (`asl.mock`), with SFN Local's mock semantics.

An answer is a `MockedResponse` of an SFN Local mock file: `returns` is the integration's raw
response (`{"StatusCode": 200, "Payload": ...}` for `lambda:invoke`; a function-ARN Task gets
the `Payload` alone, as SFN Local gives it), `raises=("Error", "Cause")` fails the task. Each
execution keeps one invocation counter per mocked state, advanced by every call (retries, loop
re-entries, Map iterations), as SFN Local does; successive `mock()` calls on one state queue up,
each for its `times` calls (None: every call from then on). A call past the last answer fails
with States.Runtime, as an SFN Local mock file with no entry for that invocation does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import RUNTIME, StatesError
from ..tasks.mock import MockedResponse
from ..tasks_api import TaskHandler, TaskRequest

Json = Any


@dataclass
class _Answers:
    """One `mock()` call: an answer, or a list of them, for `times` calls (None: forever)."""

    responses: list[MockedResponse]
    times: int | None


def responses(returns: Json, raises: Any, times: int | None) -> _Answers:
    """The answers of one `mock()` call, checked as a user would want to be told."""
    if returns is not None and raises is not None:
        raise ValueError("mock() takes returns= or raises=, not both")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times must be a positive number of calls, not {times!r}")
    if raises is not None:
        errors = raises if isinstance(raises, list) else [raises]
        answers = [_raised(error) for error in errors]
        many = isinstance(raises, list)
    else:
        many = isinstance(returns, list)
        answers = [MockedResponse(returns=value) for value in (returns if many else [returns])]
    if many:
        if times is not None:
            raise ValueError("a list of answers is one answer per call: give times= with a single answer")
        return _Answers(answers, len(answers))
    return _Answers(answers, times)


def _raised(error: Any) -> MockedResponse:
    if not (isinstance(error, tuple) and len(error) == 2 and all(isinstance(part, str) for part in error)):
        raise ValueError(f"raises= takes (\"Error\", \"Cause\") (or a list of them), not {error!r}")
    return MockedResponse(error=error[0], cause=error[1], throws=True)


@dataclass
class CodeMocks:
    """Every `mock()` of an environment: state machine name -> state name -> queued answers."""

    queues: dict[str, dict[str, list[_Answers]]] = field(default_factory=dict)

    def add(self, machine: str, state: str, answers: _Answers) -> None:
        queue = self.queues.setdefault(machine, {}).setdefault(state, [])
        if queue and queue[-1].times is None:
            raise ValueError(f"the mock of '{state}' before this one answers every call (times=None): "
                             "give it a number of times for this one to be reached")
        queue.append(answers)

    def answer(self, machine: str, state: str, index: int) -> MockedResponse | None:
        """The answer to invocation `index` (0-based) of a state, or None past the last one."""
        for answers in self.queues[machine][state]:
            if answers.times is None:
                return answers.responses[min(index, len(answers.responses) - 1)]
            if index < answers.times:
                return answers.responses[index if len(answers.responses) > 1 else 0]
            index -= answers.times
        return None

    def mocks(self, machine: str | None, state: str) -> bool:
        return state in self.queues.get(machine or "", {})

    def wrap(self, handler: TaskHandler, machine: str | None) -> TaskHandler:
        """The TaskDispatcher hook: each execution gets its own counters around its handler."""
        return _ExecutionMocks(self, handler, machine)


class _ExecutionMocks:
    """One execution's mocked states; every other Task goes to the handler it wraps."""

    def __init__(self, mocks: CodeMocks, inner: TaskHandler, machine: str | None) -> None:
        self.mocks = mocks
        self.inner = inner
        self.machine = machine
        # the runner parks tokens and activities in the dispatcher's registry and queue
        self.callbacks = getattr(inner, "callbacks", None)
        self.activities = getattr(inner, "activities", None)
        self.object_store = getattr(inner, "object_store", None)  # S3 for Distributed Map
        self.check_activity = getattr(inner, "check_activity", None)
        self.counters: dict[str, int] = {}

    async def __call__(self, request: TaskRequest) -> Json:
        state = request.state_name
        if not self.mocks.mocks(self.machine, state):
            return await self.inner(request)
        index = self.counters.get(state, 0)
        self.counters[state] = index + 1
        response = self.mocks.answer(self.machine or "", state, index)
        if response is None:
            raise StatesError(RUNTIME, (
                f"The mock of the state '{state}' (asl.mock) has no answer for invocation {index}: "
                "every answer queued for it has been used."), in_state=True)
        return response.answer(request)
