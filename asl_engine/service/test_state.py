"""TestState: run one state on its own and report what it did (test-state-isolation).

The state is wrapped in a machine of its own: every state it can go to (Next, a Choice rule's
Next, Default, a catcher's Next) becomes a placeholder `Succeed` under a synthetic name, so the
wrapper validates and compiles like any definition. It then runs in process, on the service's
task dispatcher (or a `mock`), and stops as soon as it reaches a placeholder: that one names
`nextState`, and the value it was handed is the state's output.

Retry is stripped from the running copy, so a failure comes back at once; if a retrier of the
original state matches it (and `stateConfiguration.retrierRetryCount` has not used it up), the
answer is RETRIABLE, as on AWS. A failure a catcher took is CAUGHT_ERROR with the catcher's
output and Next. `inspectionData` (DEBUG/TRACE) is recomputed from the compiled state with the
state's own data flow, the one the runner uses (`state.flow.inspection`; JSONPath states: InputPath,
Parameters, the result, ResultSelector, ResultPath).

A Map or Parallel state is tested only with a `mock` (as on AWS): its branches or iterations do
not run, the probe hands the run the mock's result in their place (`_StandIn`), and the state's
own data flow, Retry and Catch do the rest. `stateConfiguration.mapIterationFailureCount` says how
many of a Map's iterations failed, against its ToleratedFailureCount/Percentage. Its
`errorCausedByState` and `mapItemReaderData` change nothing in AWS's recorded answers (the mock's
result or error is the answer, and nothing is read), so they change nothing here either.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from .. import arns
from .. import model as m
from ..clock import Clock, VirtualClock
from ..compile import compile_definition
from ..dataflow import apply_result_path
from ..engine.step import Context, JsonPathFlow, RunBranches
from ..errors import TIMEOUT, StatesError
from ..execution import ExecutionInfo, ExecutionOutcome, ListSink
from ..engine.decisions import backoff_seconds, error_matches, find_catcher
from ..json_read import parse_json
from ..payload import to_json
from ..runtime.branches import threshold_exceeded, tolerated_failures
from ..runtime.run import ExecutionRun
from ..aws_errors import InvalidDefinition, InvalidExecutionInput, ValidationException
from .machines import check_definition
from ..tasks_api import Final, Submitted, TaskRequest, integration_pattern, is_activity
from ..watchdog import watchdog

if TYPE_CHECKING:
    from ..arns import AccountRegion
    from ..position import Frame
    from ..tasks.dispatcher import TaskDispatcher

Json = Any
DEFAULT_NAME = "TestState"
# AWS names a lone state so (recorded: `/States/StateName/Branches` in test_state_mock_validation,
# $$.State.Name in test_state_configuration); its ItemProcessor may have a state named TestState
STATE_NAME = "StateName"
PLACEHOLDER = "TestState.Next."  # + an index: the synthetic targets of the wrapped state
LIMIT_SECONDS = 300.0  # "The TestState API can run for up to five minutes" (API_TestState)
LEVELS = ("INFO", "DEBUG", "TRACE")


@dataclass
class TestStateRequest:
    definition: str
    role_arn: str | None = None
    input: str | None = None
    inspection_level: str | None = None
    variables: str | None = None
    state_name: str | None = None
    mock: dict[str, Json] | None = None
    context: str | None = None
    state_configuration: dict[str, Json] | None = None
    reveal_secrets: bool = False


@dataclass
class TestStateResult:
    status: str
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection_data: dict[str, Json] | None = None


@dataclass
class _Wrapped:
    name: str
    state: dict[str, Json]  # the state as given (with Retry)
    definition: str  # the one-state machine, with Retry: validated
    running: str  # the same without Retry: what runs
    targets: dict[str, str] = field(default_factory=dict)  # placeholder -> original state name


async def test_state(clock: Clock, dispatcher: TaskDispatcher, scope: AccountRegion, request: TestStateRequest
                     ) -> TestStateResult:
    level = request.inspection_level or "INFO"
    if level not in LEVELS:
        raise ValidationException.constraint(
            level, "inspectionLevel", "Member must satisfy enum value set: [INFO, DEBUG, TRACE]")
    if request.role_arn is not None:
        arns.check_role_arn(request.role_arn)
    wrapped = _wrap(request.definition, request.state_name)
    check_definition(wrapped.definition, "STANDARD")
    checked = compile_definition(wrapped.definition).program.states[wrapped.name]
    machine = compile_definition(wrapped.running)
    state = machine.program.states[wrapped.name]
    _check_request(state, request)
    value = _json_argument(request.input, "input", InvalidExecutionInput, default={})
    variables = _json_argument(request.variables, "variables", ValidationException, default={})
    context = _json_argument(request.context, "context", ValidationException, default={})
    for name, argument in (("variables", variables), ("context", context)):
        if not isinstance(argument, dict):
            raise ValidationException(f"Invalid {name}: it must be a JSON object")
    tasks = _Tasks(dispatcher, state, request.mock)
    configuration = request.state_configuration or {}
    stand_in = None
    if isinstance(state, (m.MapState, m.ParallelState)) and request.mock is not None:
        if request.mock.get("result") is not None:
            _check_mocked_result(state, tasks.mock_result, configuration)
        stand_in = _StandIn(tasks, configuration.get("mapIterationFailureCount"))
    # A Wait is not waited for: it runs on a clock of its own that jumps to its end at once.
    # Everything else runs on the service's clock, stopped after TestState's five minutes.
    waits = state.type == "Wait"
    clock = VirtualClock(clock.time()) if waits else clock
    info = ExecutionInfo(
        execution_arn=scope.arn(f"execution:{DEFAULT_NAME}:{DEFAULT_NAME}"), name=DEFAULT_NAME,
        state_machine_arn=scope.arn(f"stateMachine:{DEFAULT_NAME}"), state_machine_name=DEFAULT_NAME,
        role_arn=request.role_arn or f"arn:{scope.partition}:iam::{scope.account}:role/asl-engine",
        start_time=clock.time(), input=value,
    )
    probe = _Probe(wrapped.name, wrapped.targets, context, stand_in)
    run = ExecutionRun(machine, info, clock=clock, sink=ListSink(), tasks=tasks, variables=variables, probe=probe)
    outcome = await (run.run() if waits else _run_limited(run, clock))
    result = _result(probe, outcome, checked, configuration)
    result.inspection_data = None if level == "INFO" else _inspection(probe, state, value, variables, tasks, result)
    return result


_UNMOCKED = "Task, Wait, Pass, Succeed, Fail, Choice"


def _check_request(state: m.State, request: TestStateRequest) -> None:
    """What AWS refuses in a TestState request, in its words (recorded: LocalStack's snapshots of
    test_state_mock_validation and test_test_state_scenarios, December 2025 to March 2026)."""
    mock = request.mock
    if mock is None:
        if (request.state_configuration or {}).get("mapIterationFailureCount") is not None:
            raise ValidationException(
                "TestState does not support MapIterationFailureCount when a mock is not specified.")
        if state.type in ("Map", "Parallel"):
            raise InvalidDefinition(f"TestState API does not support Map or Parallel states. Supported state "
                                    f"types include: [{_UNMOCKED}]")
        if state.type == "Task" and request.role_arn is None:
            raise ValidationException("RoleArn must be specified when testing a Task state")
        return
    if state.type not in ("Task", "Map", "Parallel"):
        raise ValidationException(f"State type '{state.type}' is not supported when a mock is specified")
    if mock.get("result") is not None and mock.get("errorOutput") is not None:
        raise ValidationException("A test mock should have only one of the following fields: [result, errorOutput].")
    if request.reveal_secrets:
        raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")


def _check_mocked_result(state: m.MapState | m.ParallelState, result: Json, configuration: dict[str, Json]) -> None:
    """A Map's or Parallel's mocked result has the shape of the results it stands for: one per
    branch, one per iteration, or a ResultWriter's object (recorded: test_state_mock_validation)."""
    if isinstance(state, m.MapState) and state.result_writer is not None:
        if not isinstance(result, dict):
            raise ValidationException("Mocked result must be a JSON object.")
    elif not isinstance(result, list):
        raise ValidationException("Mocked result must be an array.")
    elif isinstance(state, m.ParallelState) and len(result) != len(state.branches):
        raise ValidationException(
            "Mocked result must contain the same number of items as number of Parallel branches.")
    failures = configuration.get("mapIterationFailureCount")
    if isinstance(result, list) and isinstance(failures, int) and failures > len(result):
        raise ValidationException(
            "Map iteration failure count must be less than or equal to the number of Map iterations")


# -- the wrapper ---------------------------------------------------------------------------------


def _wrap(definition: str, state_name: str | None) -> _Wrapped:
    try:
        parsed = json.loads(definition)
    except ValueError as exc:
        raise InvalidDefinition(f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {exc}'") from None
    if not isinstance(parsed, dict):
        raise InvalidDefinition("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
                                "the definition must be a JSON object'")
    machine: dict[str, Json] = {}
    if state_name is not None:  # a whole machine, and the state in it to test
        states = parsed.get("States")
        if not isinstance(states, dict) or not isinstance(states.get(state_name), dict):
            raise InvalidDefinition(
                f"Invalid State Machine Definition: 'The state machine definition has no state named "
                f"'{state_name}''")
        state = copy.deepcopy(states[state_name])
        if "QueryLanguage" in parsed:
            machine["QueryLanguage"] = parsed["QueryLanguage"]
        name = state_name
    else:
        if "States" in parsed and "Type" not in parsed:
            raise ValidationException("stateName is required when the definition is a whole state machine")
        state, name = copy.deepcopy(parsed), STATE_NAME
    targets: dict[str, str] = {}

    def target(original: Json) -> Json:
        if not isinstance(original, str):
            return original  # the validator reports it
        synthetic = f"{PLACEHOLDER}{len(targets)}"
        targets[synthetic] = original
        return synthetic

    if "Next" in state:
        state["Next"] = target(state["Next"])
    if state.get("Type") == "Choice":
        for rule in state.get("Choices") or []:
            if isinstance(rule, dict) and "Next" in rule:
                rule["Next"] = target(rule["Next"])
        if "Default" in state:
            state["Default"] = target(state["Default"])
    for catcher in state.get("Catch") or [] if isinstance(state.get("Catch"), list) else []:
        if isinstance(catcher, dict) and "Next" in catcher:
            catcher["Next"] = target(catcher["Next"])
    placeholders = {synthetic: {"Type": "Succeed"} for synthetic in targets}
    whole = {**machine, "StartAt": name, "States": {name: state, **placeholders}}
    running_state = {key: value for key, value in state.items() if key != "Retry"}
    running = {**machine, "StartAt": name, "States": {name: running_state, **placeholders}}
    return _Wrapped(name, state, json.dumps(whole), json.dumps(running), targets)


def _json_argument(text: str | None, member: str, error: type[Exception], default: Json) -> Json:
    if text is None:
        return default
    try:
        return parse_json(text)
    except ValueError as exc:
        raise error(f"Invalid {member}: '{exc}'") from None


# -- running ---------------------------------------------------------------------------------


class _Tasks:
    """The service's dispatcher, or the request's `mock`; remembers the tested Task's result."""

    def __init__(self, dispatcher: TaskDispatcher, state: m.State, mock: dict[str, Json] | None) -> None:
        self.inner = dispatcher.for_execution(None, DEFAULT_NAME)
        self.callbacks = getattr(self.inner, "callbacks", None)
        self.activities = getattr(self.inner, "activities", None)
        self.mock = mock
        self.mocks_activities = mock is not None  # an activity's result is the mock's, no worker's (runtime/tasks.py)
        self.state_name = state.name
        self.result: Json = None
        self.has_result = False
        self.mock_result: Json = None
        if mock is not None:
            if mock.get("result") is None and not mock.get("errorOutput"):
                raise ValidationException("A mock must have a result or an errorOutput")
            if mock.get("result") is not None:
                self.mock_result = _json_argument(mock["result"], "mock result", ValidationException, None)
        elif isinstance(state, m.TaskState) and (integration_pattern(state.resource) or is_activity(state.resource)):
            raise ValidationException(
                "TestState supports activities and the .sync and .waitForTaskToken integration "
                "patterns only with a mock")

    def mocked(self) -> Json:
        """The mock's result, or the failure its errorOutput describes."""
        error_output = (self.mock or {}).get("errorOutput")
        if error_output:
            raise StatesError(error_output.get("error"), error_output.get("cause"))
        return self.mock_result

    async def __call__(self, request: TaskRequest) -> Json:
        if self.mock is not None:
            response: Json = Final(self.mocked())
        else:
            response = await self.inner(request)
        if request.state_name == self.state_name and not isinstance(response, Submitted):
            self.result = response.output if isinstance(response, Final) else response
            self.has_result = True
        return response


@dataclass
class _StandIn:
    """A tested Map's or Parallel's `mock`, standing in for its branches or iterations: its result
    is theirs, its errorOutput fails the state. A Map that tolerates failures fails with
    States.ExceedToleratedFailureThreshold when `failures` (mapIterationFailureCount) exceed what
    it tolerates (recorded: test_state_configuration, test_map_state_failure_count). Remembers what
    the state evaluated, for inspectionData."""

    tasks: _Tasks
    failures: int | None
    step: RunBranches | None = None
    tolerated: tuple[int | None, float | None] = (None, None)
    result: Json = None
    has_result: bool = False

    def __call__(self, step: RunBranches) -> Json:
        self.step = step
        self.tolerated = count, percentage = step.tolerated()
        result = self.tasks.mocked()
        if self.failures and (count is not None or percentage is not None):
            total = len(result) if isinstance(result, list) else len(step.items or ())
            if self.failures > tolerated_failures(total, count, percentage):
                raise threshold_exceeded()
        self.result, self.has_result = result, True
        return result

    def inspection(self) -> Iterator[tuple[str, Json]]:
        """What AWS shows of a mocked Map or Parallel (recorded: test_test_state_mock_scenarios,
        test_state_configuration): no InputPath or Parameters stage for a Parallel; a Map's
        InputPath, ItemsPath (JSONPath), MaxConcurrency and tolerated failures; then, JSONPath only,
        ResultSelector and ResultPath on the mock's result."""
        step = self.step
        assert step is not None
        state, flow = step.state, step.state.flow
        if isinstance(state, m.MapState):
            if isinstance(flow, JsonPathFlow):
                yield "afterInputPath", step.value
                if state.item_reader is None:
                    yield "afterItemsPath", step.items
            yield "maxConcurrency", step.max_concurrency or 0
            count, percentage = self.tolerated
            if count is not None:
                yield "toleratedFailureCount", count
            if percentage is not None:
                yield "toleratedFailurePercentage", percentage
        if self.has_result and isinstance(flow, JsonPathFlow):
            selected = flow.selected(state, self.result, step.ctx)
            yield "afterResultSelector", selected
            yield "afterResultPath", apply_result_path(state.result_path, step.raw, selected)


_NUMBERS = ("maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage")  # not JSON text


@dataclass
class _Probe:
    """The run's probe (`runtime.ports.Probe`): stops the execution at the first placeholder, merges the
    request's `context` into `$$`, and remembers what the tested state saw and how it failed."""

    tested: str
    targets: dict[str, str]
    extra_context: dict[str, Json]
    stand_in: _StandIn | None = None  # a tested Map's or Parallel's mock
    next_state: str | None = None
    failure: StatesError | None = None
    seen_context: Json = None
    root: Frame | None = None

    def stops_at(self, state: m.State, frame: Frame) -> bool:
        if frame.id != "":
            return False
        if state.name in self.targets:
            self.next_state = self.targets[state.name]
            return True
        self.root = frame
        return False

    def failed(self, state: m.State, failure: StatesError, frame: Frame) -> None:
        if frame.id == "" and state.name == self.tested:
            self.failure = failure

    def branches(self, step: RunBranches, frame: Frame) -> Json:
        if frame.id != "" or step.state.name != self.tested or self.stand_in is None:
            return None
        return self.stand_in(step)

    def context(self, state: m.State, context: dict[str, Json], frame: Frame) -> dict[str, Json]:
        context = _merged(context, self.extra_context)
        if frame.id == "" and state.name == self.tested:
            self.seen_context = context
        return context


def _merged(base: dict[str, Json], extra: dict[str, Json]) -> dict[str, Json]:
    """The request's `context` over the run's own `$$` object, object by object."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


async def _run_limited(run: ExecutionRun, clock: Clock) -> ExecutionOutcome:
    with watchdog(clock, run.info.start_time + LIMIT_SECONDS, lambda: run.stop(TIMEOUT, None)) as dog:
        outcome = await run.run()
    if dog.expired:
        return ExecutionOutcome("FAILED", None, TIMEOUT, "The TestState call ran for more than five minutes.")
    return outcome


# -- the answer ------------------------------------------------------------------------------


def _result(probe: _Probe, outcome: ExecutionOutcome, checked: m.State, configuration: dict[str, Json]) -> TestStateResult:
    failure = probe.failure
    if failure is not None:
        retriers: tuple[m.Retrier, ...] = getattr(checked, "retry", ())
        done = int(configuration.get("retrierRetryCount") or 0)
        for index, retrier in enumerate(retriers):
            if not error_matches(retrier.error_equals, failure):
                continue
            if done < retrier.max_attempts:
                result = TestStateResult("RETRIABLE", error=failure.error, cause=failure.cause)
                delay = backoff_seconds(retrier, done)
                result.inspection_data = {"errorDetails": {"retryIndex": index,
                                                           "retryBackoffIntervalSeconds": int(delay)}}
                return result
            break  # the first matching retrier decides; it is used up
    if outcome.status == "SUCCEEDED":
        if failure is None:
            return TestStateResult("SUCCEEDED", output=to_json(outcome.output), next_state=probe.next_state)
        catchers: tuple[m.Catcher, ...] = getattr(checked, "catch", ())
        catcher = find_catcher(catchers, failure)
        result = TestStateResult("CAUGHT_ERROR", output=to_json(outcome.output), error=failure.error,
                                 cause=failure.cause, next_state=probe.next_state)
        if catcher is not None:
            result.inspection_data = {"errorDetails": {"catchIndex": catchers.index(catcher)}}
        return result
    return TestStateResult("FAILED", error=outcome.error, cause=outcome.cause)


def _inspection(probe: _Probe, state: m.State, value: Json, variables: dict[str, Json], tasks: _Tasks,
                result: TestStateResult) -> dict[str, Json]:
    data: dict[str, Json] = {"input": to_json(value)}
    data.update(result.inspection_data or {})
    context = probe.seen_context
    stand_in = probe.stand_in
    if context is None:  # the state did not run its data flow
        if tasks.has_result:
            data["result"] = to_json(tasks.result)
    else:
        stages = stand_in.inspection() if stand_in is not None and stand_in.step is not None else \
            state.flow.inspection(state, value, Context(context, variables), tasks.result, tasks.has_result)
        try:
            for key, stage in stages:
                data[key] = stage if key in _NUMBERS else to_json(stage)
        except StatesError:
            pass  # the stage that failed is where the run failed too: show what came before it
    after = probe.root.variables if probe.root is not None else variables
    if after:
        data["variables"] = to_json(after)
    return data

