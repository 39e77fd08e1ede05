"""SFN Local's MockConfigFile, read exactly as AWS documents it (sfn-local-mock-cfg-file).

    {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
     "MockedResponses": {"<response>": {"0": {"Return": …},
                                        "1-2": {"Throw": {"Error": …, "Cause": …}}}}}

A test case is chosen per execution (the `#TestCase` suffix of the state machine ARN on
StartExecution). Each mocked state keeps one invocation counter per execution that every retry,
loop re-entry and Map iteration advances; an index with no response fails with States.Runtime.
States the test case does not name call the real integration (AWS's "HybridPath"). An Activity
state cannot be mocked: SFN Local fails the execution with States.Runtime when a test case names one
(ACTIVITY_NOT_MOCKABLE, its words as users recorded them in aws-samples/aws-stepfunctions-examples#69).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import RUNTIME, StatesError
from ..tasks_api import Final, TaskRequest, is_lambda_function

Json = Any


@dataclass(frozen=True, slots=True)
class MockedResponse:
    """One invocation's answer: `Return` a value or `Throw` an error."""

    returns: Json = None
    error: str | None = None
    cause: str | None = None
    throws: bool = False

    def answer(self, request: TaskRequest) -> Final:
        if self.throws:
            raise StatesError(self.error, self.cause)
        value = self.returns
        if is_lambda_function(request.resource) and isinstance(value, dict) and "Payload" in value:
            value = value["Payload"]  # the function-ARN form returns the payload only
        return Final(value)


ACTIVITY_NOT_MOCKABLE = ("Activity state cannot be mocked. Please remove mocks mapped for all activity "
                         "state in the mock config file.")


class MockConfigError(ValueError):
    """The mock file cannot be used; the message says where and why, in one line."""


def _parse_response(name: str, key: str, body: Any) -> MockedResponse:
    if not isinstance(body, dict) or len(body.keys() & {"Return", "Throw"}) != 1:
        raise MockConfigError(f"MockedResponses.{name}.{key} must hold exactly one of Return or Throw")
    if "Return" in body:
        return MockedResponse(returns=body["Return"])
    throw = body["Throw"]
    if not isinstance(throw, dict) or not all(isinstance(throw.get(key), str) for key in ("Error", "Cause")):
        raise MockConfigError(f"MockedResponses.{name}.{key}.Throw needs Error and Cause strings")
    return MockedResponse(error=throw["Error"], cause=throw["Cause"], throws=True)


def _parse_indices(name: str, key: str) -> range:
    first, dash, last = key.partition("-")
    if not first.isdigit() or (dash and not last.isdigit()) or int(last or first) < int(first):
        raise MockConfigError(f"MockedResponses.{name} has the invocation key {key!r}, which is not N or N-M")
    return range(int(first), int(last or first) + 1)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MockConfigError(f"{where} must be a JSON object, not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class MockConfig:
    """The parsed file: test cases per state machine, responses per invocation index."""

    test_cases: dict[str, dict[str, dict[str, str]]]  # machine -> case -> state -> response name
    responses: dict[str, dict[int, MockedResponse]]

    @classmethod
    def from_dict(cls, data: Any) -> MockConfig:
        """Parse the file's JSON; MockConfigError names the first part that breaks the format."""
        data = _object(data, "the file")
        cases: dict[str, dict[str, dict[str, str]]] = {}
        for machine, body in _object(data.get("StateMachines") or {}, "StateMachines").items():
            where = f"StateMachines.{machine}"
            tests = _object(_object(body, where).get("TestCases") or {}, f"{where}.TestCases")
            cases[machine] = {}
            for case, states in tests.items():
                states = _object(states, f"{where}.TestCases.{case}")
                wrong = next((state for state, response in states.items() if not isinstance(response, str)), None)
                if wrong is not None:
                    raise MockConfigError(f"{where}.TestCases.{case}.{wrong} must name a mocked response")
                cases[machine][case] = dict(states)
        responses: dict[str, dict[int, MockedResponse]] = {}
        for name, entries in _object(data.get("MockedResponses") or {}, "MockedResponses").items():
            table: dict[int, MockedResponse] = {}
            for key, body in _object(entries, f"MockedResponses.{name}").items():
                response = _parse_response(name, key, body)
                table.update({index: response for index in _parse_indices(name, key)})
            responses[name] = table
        # A test case naming a response the file lacks would fail only when that state is reached.
        for machine, tests in cases.items():
            for case, states in tests.items():
                for state, named in states.items():
                    if named not in responses:
                        raise MockConfigError(f"StateMachines.{machine}.TestCases.{case}.{state} names the mocked "
                                              f"response '{named}', which MockedResponses does not define")
        return cls(cases, responses)

    @classmethod
    def load(cls, path: str) -> MockConfig:
        """The file at `path`; MockConfigError says in one line why it cannot be used."""
        try:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
        except OSError as exc:
            raise MockConfigError(f"cannot read the mock config file {path}: {exc.strerror}") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise MockConfigError(f"the mock config file {path} is not valid JSON: {exc}") from None
        try:
            return cls.from_dict(data)
        except MockConfigError as exc:
            raise MockConfigError(f"the mock config file {path} does not follow SFN Local's format: {exc}") from None

    @property
    def test_case_count(self) -> int:
        return sum(len(cases) for cases in self.test_cases.values())

    def has_test_case(self, machine: str, case: str) -> bool:
        return case in self.test_cases.get(machine, {})


@dataclass
class MockSession:
    """One execution's view of a test case: which states are mocked, and their counters."""

    config: MockConfig
    machine: str
    case: str
    counters: dict[str, int] = field(default_factory=dict)

    def mocks(self, state_name: str) -> bool:
        return state_name in self.config.test_cases.get(self.machine, {}).get(self.case, {})

    def answer(self, request: TaskRequest) -> Final:
        """The response for this invocation of the state; advances its counter."""
        index = self.counters.get(request.state_name, 0)
        self.counters[request.state_name] = index + 1
        name = self.config.test_cases[self.machine][self.case][request.state_name]
        response = self.config.responses.get(name, {}).get(index)
        if response is None:
            raise StatesError(RUNTIME, (
                f"The mocked response '{name}' of test case '{self.case}' has no entry for invocation "
                f"{index} of the state '{request.state_name}'."), in_state=True)
        return response.answer(request)


class MockFile:
    """The file at a path, re-read when it changes (as LocalStack does), so edits need no restart."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._mtime = -1.0
        self._config = MockConfig({}, {})

    def current(self) -> MockConfig:
        """The file as it is now; MockConfigError when it has gone or no longer parses."""
        try:
            mtime = os.path.getmtime(self.path)
        except OSError as exc:
            raise MockConfigError(f"cannot read the mock config file {self.path}: {exc.strerror}") from None
        if mtime != self._mtime:
            self._config = MockConfig.load(self.path)
            self._mtime = mtime
        return self._config
