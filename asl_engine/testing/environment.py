"""`Environment`: a fresh engine for one test, and `Execution`: one execution as a test sees it.

Each environment is a real server (tests' `ServerThread`) on a free loopback port with an
in-memory store and a virtual clock that moves only inside `Execution.wait()` and
`Environment.advance()`. Code under test talks to `endpoint_url` with boto3 as it would to AWS;
the test drives time from its own thread by running coroutines on the server's loop.

Why a driver instead of a self-advancing clock: a test must be able to stop in a state (to read
its task token, or to check what happened five hours in) and an execution that can only wait
forever must be reported (`Stuck`), not jumped over to AWS's implicit 99,999,999-second timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Coroutine, TypeVar

from .. import arns
from ..clock import VirtualClock
from ..config import Config
from ..definition_file import read_definition, yaml_to_json
from ..execution import ExecutionOutcome
from ..runtime.run import STANDARD_LIMIT_SECONDS
from ..store import ExecutionRecord
from ..tasks.callbacks import PendingTask
from ..tasks.config import Advice, TaskConfig
from ..tasks.mock import MockConfig, MockFile
from .history import Waiting, all_states, entered_path, leaf, state_io, state_paths, waiting
from .mocks import CodeMocks, responses
from .server import ServerThread
from .stuck import Stuck

if TYPE_CHECKING:
    from ..service import Service
    from .coverage import Coverage

Json = Any
T = TypeVar("T")
ROLE_ARN = "arn:aws:iam::123456789012:role/asl-engine-test"
GRACE_SECONDS = 0.05  # before `Stuck`: time for another thread's request (a worker's poll) to land
WORKER_SECONDS = 10.0  # how long a worker that took an activity task may take to answer, in real time
HISTORY_LIMIT = 1_000_000
MAX_JUMPS = 10_000  # timers one wait() fires before it calls the execution endless
# The environment ignores ASL_LAMBDA_HANDLERS and SFN_MOCK_CONFIG: its causes name its own calls.
FIXTURE_ADVICE = Advice(lambda_handler="Give it a Python handler with asl.lambda_handler({name!r}, function)",
                        mock="answer this state from the test with asl.mock(...) or a mock file (asl.mock_config)")


class Environment:
    """A fresh engine: `with Environment() as asl: ...` (the pytest fixture `asl` is one)."""

    def __init__(self, *, coverage: Coverage | None = None) -> None:
        self._coverage = coverage
        self._handlers: dict[str, Any] = {}
        self._mocks = CodeMocks()
        self.clock = VirtualClock(auto_advance=False)
        tasks = replace(TaskConfig.from_env(), mock_config_path=None, lambda_handlers=self._handlers,
                        advice=FIXTURE_ADVICE)
        self.config = Config(db_path=":memory:", tasks=tasks)
        self.scope = arns.AccountRegion(self.config.account_id, self.config.region)
        self._server: ServerThread | None = None
        self._client: Any = None
        self._taken: dict[str, int] = {}  # task token -> the thread that took its activity task with `client`

    # -- life cycle ----------------------------------------------------------------------------

    def __enter__(self) -> Environment:
        from asl_engine.api.app import create_app  # the server's whole stack: only once an environment opens

        self._server = ServerThread(create_app(self.config, self.clock))
        self._server.start()
        self.service.tasks.wrap_execution = self._mocks.wrap
        self.service.executions.sync_driver = self._drive_sync
        # Parked executions stay in memory here: a test reads their waiting tasks and tokens
        # (task_token, wait), and its clock moves only when it says (service/parking.py unloads on a server).
        self.service.executions.unloads = False
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._server is None:
            return
        try:
            if self._coverage is not None:
                self._coverage.record_all(self._call(self._histories()))
        finally:
            if self._client is not None:
                self._client.close()
            self._server.stop(wait=False)  # nothing of it outlives the test: no need to wait
            self._server = None

    # -- what a test uses ----------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        return self._running().url

    @property
    def client(self) -> Any:
        """A boto3 `stepfunctions` client of this engine (host prefix off, no retries)."""
        if self._client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            self._client = boto3.client(
                "stepfunctions", endpoint_url=self.endpoint_url, region_name=self.config.region,
                aws_access_key_id="testing", aws_secret_access_key="testing",
                config=BotoConfig(inject_host_prefix=False, retries={"max_attempts": 0}),
            )
            self._client.meta.events.register("after-call.stepfunctions.GetActivityTask", self._took)
        return self._client

    def _took(self, parsed: dict[str, Any], **_: Any) -> None:
        """Which thread took an activity task through `client`: wait() called from that same
        thread need not give it time to answer (it is waiting in wait())."""
        if parsed.get("taskToken"):
            self._taken[parsed["taskToken"]] = threading.get_ident()

    def create(self, name: str, definition: dict[str, Json] | str | os.PathLike[str],
               **create_state_machine_kwargs: Any) -> str:
        """CreateStateMachine; `definition` is a dict, JSON or YAML text, or a file's path.
        Returns the state machine's ARN."""
        create_state_machine_kwargs.setdefault("roleArn", ROLE_ARN)
        response = self.client.create_state_machine(name=name, definition=definition_text(definition),
                                                    **create_state_machine_kwargs)
        return str(response["stateMachineArn"])

    def start(self, machine: str, input: Json = None, *, name: str | None = None,
              test_case: str | None = None) -> Execution:
        """StartExecution of a state machine (its ARN or name) with `input` (a JSON value; {} when
        None); `test_case` runs a test case of the mock file (`mock_config`)."""
        if test_case is not None and self.service.tasks.mock_file is None:
            raise ValueError(f"start(test_case={test_case!r}) runs a test case of a mock file: "
                             "load one first with asl.mock_config(path)")
        arn = machine if machine.startswith("arn:") else arns.state_machine_arn(self.scope, machine)
        arguments = {"stateMachineArn": f"{arn}#{test_case}" if test_case else arn,
                     "input": json.dumps({} if input is None else input)}
        if name is not None:
            arguments["name"] = name
        return Execution(self, str(self.client.start_execution(**arguments)["executionArn"]))

    def advance(self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        """Move virtual time forward, firing every timer, retry backoff, heartbeat and timeout that
        falls due (each at its own moment), and let executions run on to their next wait."""
        delta = seconds + 60 * minutes + 3600 * hours + 86400 * days
        if delta < 0:
            raise ValueError("virtual time only moves forward")
        self._call(self._advance(delta))

    def now(self) -> datetime:
        """The virtual time, as boto3 shows timestamps (an aware UTC datetime)."""
        return datetime.fromtimestamp(self.clock.time(), timezone.utc)

    def mock(self, machine: str, state: str, *, returns: Json = None, raises: Any = None,
             times: int | None = None) -> None:
        """Answer a Task state of a created state machine (name or ARN) from the test, as an SFN
        Local mock response does (a state the machine lacks is refused at once): `returns` the integration's raw response, `raises=("Error", "Cause")`;
        a list for successive calls; successive mocks of a state queue up, each for `times` calls."""
        name = arns.parse_arn(machine).parts[0] if machine.startswith("arn:") else machine
        answers = responses(returns, raises, times)
        self._check_task_state(name, state)
        self._mocks.add(name, leaf(state), answers)

    def _check_task_state(self, machine: str, state: str) -> None:
        """A mock of a state the machine lacks would never answer: refused now, not at some run."""
        try:
            described = self.client.describe_state_machine(stateMachineArn=arns.state_machine_arn(self.scope, machine))
        except self.client.exceptions.StateMachineDoesNotExist:
            raise ValueError(f"there is no state machine '{machine}' to mock: create it first "
                             "(asl.create)") from None
        states = all_states(json.loads(described["definition"]))
        tasks = [path for path, body in states.items() if body.get("Type") == "Task"]
        listed = ", ".join(f"'{path}'" for path in tasks) or "none"
        found = next((body for path, body in states.items() if leaf(path) == leaf(state)), None)
        if found is None:
            raise ValueError(f"the state machine '{machine}' has no state '{state}' (its Task states: {listed})")
        if found.get("Type") != "Task":
            raise ValueError(f"'{state}' of the state machine '{machine}' is a {found.get('Type')} state: only "
                             f"Task states can be mocked (its Task states: {listed})")

    def mock_config(self, path: str | os.PathLike[str]) -> None:
        """Use an SFN Local mock file: `start(..., test_case=...)` runs one of its test cases."""
        MockConfig.load(str(path))  # a broken file fails here, not in some later execution
        self.service.tasks.mock_file = MockFile(str(path))

    def lambda_handler(self, name: str, function: Callable[[Json, Any], Json]) -> None:
        """Run `function(event, context)` for the Lambda function `name` (both resource forms)."""
        self._handlers[name] = function

    # -- inside: the server's loop ---------------------------------------------------------------

    @property
    def service(self) -> Service:
        return self._running().app.state.service  # type: ignore[no-any-return]

    def _running(self) -> ServerThread:
        if self._server is None:
            raise RuntimeError("the environment is not open: use it as `with Environment() as asl:`")
        return self._server

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result in this thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._running().loop).result()

    async def _idle(self) -> None:
        """Every execution has run as far as it can without time moving, and its events are stored."""
        for _ in range(3):
            await self.clock.quiescent()
            await self.service.store.flush()

    async def _advance(self, delta: float) -> None:
        target = self.clock.time() + delta
        await self._idle()
        while (deadline := self.clock.next_deadline()) is not None and deadline <= target:
            self.clock.advance(deadline - self.clock.time())
            await self._idle()
        self.clock.advance(target - self.clock.time())
        await self._idle()

    async def _drive_sync(self, run: Awaitable[ExecutionOutcome]) -> ExecutionOutcome:
        """StartSyncExecution: its caller waits inside the request, so time moves as in `wait()`
        until the run ends (an Express run always has a deadline: AWS's five minutes)."""
        task = asyncio.ensure_future(run)
        while True:
            await self._idle()
            deadline = self.clock.next_deadline()
            if task.done() or deadline is None:
                return await task
            self.clock.advance(deadline - self.clock.time())

    async def _history(self, arn: str) -> list[dict[str, Any]]:
        return await self.service.store.get_history(arn, None, HISTORY_LIMIT, False)

    def _no_other_worker(self, arn: str, waits: list[Waiting], caller: int) -> bool:
        """Whether every activity task of the execution that a worker holds was taken by the
        thread now in wait(): nobody else will answer it, so its timers may fire at once."""
        states = {wait.state for wait in waits if wait.kind == "worker"}
        held = [task.token for task in self.service.tasks.callbacks.pending()
                if task.execution_arn == arn and task.state_name in states]
        return bool(held) and all(self._taken.get(token) == caller for token in held)

    async def _wait(self, arn: str, state: str | None, caller: int) -> None:
        """Run in virtual time until the execution ends or, with `state`, is parked in it;
        `caller` is the thread in wait()."""
        record = await self.service.executions.describe(self.scope, arn)
        # AWS ends a Standard execution that runs a year with States.Timeout (runtime/run.py): a
        # timer beyond it is met by the run's own limit, so time moves to the limit instead.
        limit = (record.redrive_date or record.start_date) + STANDARD_LIMIT_SECONDS
        for _ in range(MAX_JUMPS):
            await self._idle()
            record = await self.service.executions.describe(self.scope, arn)
            if record.status != "RUNNING":
                if state is not None:
                    raise AssertionError(f"the execution ended {record.status} without waiting in the state "
                                         f"'{state}' (it took the path {entered_path(await self._history(arn), {})})")
                return
            events = await self._history(arn)
            waits = list(waiting(events))
            if state is not None and any(wait.state == leaf(state) for wait in waits):
                return
            deadline = self.clock.next_deadline()
            if any(wait.kind == "worker" for wait in waits) and not self._no_other_worker(arn, waits, caller) \
                    and await self._changes(arn, len(events), WORKER_SECONDS):
                continue  # a worker is on it in real time: do not jump over its answer
            if any(wait.kind == "activity" for wait in waits) and await self._changes(arn, len(events), GRACE_SECONDS):
                continue  # a worker thread's poll was on its way: let it take the task first
            if deadline is not None and deadline > limit:
                if self.clock.time() >= limit:  # the limit has passed and the execution runs on
                    raise Stuck(arn, waits, "a year of virtual time, the longest AWS lets a Standard execution run")
                deadline = limit
            if deadline is None:
                # Nothing parked: the run is still acting on an answer that just landed (a worker's
                # SendTaskSuccess committed before the state closed): give it a worker's time.
                grace = GRACE_SECONDS if waits else WORKER_SECONDS
                if not any(wait.kind == "activity" for wait in waits) and await self._changes(arn, len(events), grace):
                    continue
                raise Stuck(arn, await self._forever(arn, waits))
            self.clock.advance(deadline - self.clock.time())
        raise Stuck(arn, list(waiting(await self._history(arn))), f"{MAX_JUMPS:,} timers")

    async def _changes(self, arn: str, seen: int, seconds: float) -> bool:
        """Whether the execution's history grows within `seconds` of real time."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            await asyncio.sleep(0.005)
            await self._idle()
            if len(await self._history(arn)) != seen:
                return True
        return False

    async def _forever(self, arn: str, waits: list[Waiting]) -> list[Waiting]:
        """What the execution waits on for ever: its own tokens and activities, else those of the
        other running executions (a child it waits for)."""
        own = [wait for wait in waits if wait.kind != "timer"]
        if any(wait.kind != "job" for wait in own):
            return own
        others = [record.arn for record in await self.service.store.list_running() if record.arn != arn]
        for other in others:
            own += [wait for wait in waiting(await self._history(other)) if wait.kind != "timer"]
        return own

    async def _histories(self) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """(state machine name, definition, history) of every recorded execution, for coverage."""
        await self._idle()
        store, found = self.service.store, []
        for machine in await store.list_state_machines(self.scope.account, self.scope.region, None, 10_000):
            after = None
            while True:
                executions, after = await store.list_executions(machine.arn, None, after, 1000)
                for execution in executions:
                    revision = await store.get_revision(machine.arn, execution.revision_id)
                    definition = revision.definition if revision is not None else machine.definition
                    found.append((machine.name, definition, await self._history(execution.arn)))
                if after is None:
                    break
        return found


class Execution:
    """One execution, as a test reads it; every field is read from the engine when asked."""

    def __init__(self, environment: Environment, arn: str) -> None:
        self.environment = environment
        self.arn = arn
        self._paths: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"<Execution {self.arn} {self.status}>"

    def wait(self, state: str | None = None) -> Execution:
        """Run in virtual time until the execution ends or, with `state`, until it waits in that
        state (on a task token, an activity or a timer). Raises `Stuck` if it could only wait forever;
        one still running after a year (AWS's longest) ends TIMED_OUT with States.Timeout, as on AWS."""
        if arns.parse_arn(self.arn).resource_type == "express":
            raise ValueError(f"{self.arn} is an Express execution: AWS records no history for it and "
                             "DescribeExecution refuses its ARN, so wait() cannot follow it (test the "
                             "workflow as a STANDARD state machine)")
        self.environment._call(self.environment._wait(self.arn, state, threading.get_ident()))
        return self

    @property
    def status(self) -> str:
        return self._record().status

    @property
    def output(self) -> Json:
        """The output, parsed (None unless SUCCEEDED)."""
        text = self._record().output
        return None if text is None else json.loads(text)

    @property
    def error(self) -> str | None:
        return self._record().error

    @property
    def cause(self) -> str | None:
        return self._record().cause

    @property
    def events(self) -> list[dict[str, Json]]:
        """The history as AWS returns it (GetExecutionHistory through boto3, every page)."""
        pages = self.environment.client.get_paginator("get_execution_history").paginate(executionArn=self.arn)
        return [event for page in pages for event in page["events"]]

    @property
    def path(self) -> list[str]:
        """The states entered, in order; nested ones as "Map/Inner", once per iteration."""
        if self._paths is None:
            machine = self.environment._call(
                self.environment.service.machine_for_execution(self.environment.scope, self.arn))
            self._paths = state_paths(json.loads(machine.definition))
        return entered_path(self._history(), self._paths)

    def task_token(self, state: str) -> str:
        """The task token the state waits on (`.waitForTaskToken`, or an activity task a worker took)."""
        if any(wait.state == leaf(state) and wait.kind == "activity" for wait in waiting(self._history())):
            raise LookupError(f"no worker has taken the activity task of the state '{state}' yet: take it "
                              "with GetActivityTask (asl.client.get_activity_task), as a worker would")
        async def pending_tasks() -> list[PendingTask]:  # read on the loop that changes them
            return self.environment.service.tasks.callbacks.pending()

        pending = [task for task in self.environment._call(pending_tasks())
                   if task.execution_arn == self.arn and task.state_name == leaf(state)]
        if not pending:
            raise LookupError(f"the state '{state}' of {self.arn} is not waiting for a task token "
                              f"(wait(state={state!r}) first)")
        return pending[-1].token

    def state_input(self, state: str) -> Json:
        """The input of the state's latest run, parsed."""
        return state_io(self._history(), state, "input")

    def state_output(self, state: str) -> Json:
        """The output of the state's latest run, parsed."""
        return state_io(self._history(), state, "output")

    def _record(self) -> ExecutionRecord:
        return self.environment._call(self.environment.service.executions.describe(self.environment.scope,
                                                                                    self.arn))

    def _history(self) -> list[dict[str, Any]]:
        return self.environment._call(self.environment._history(self.arn))


def definition_text(definition: dict[str, Json] | str | os.PathLike[str]) -> str:
    """A definition as JSON text, from a dict, JSON or YAML text, or a path to either."""
    if isinstance(definition, dict):
        return json.dumps(definition)
    text = str(definition)
    # One line that is no JSON or flow-style YAML object cannot be a state machine: it is a path,
    # and a missing file is reported as one (DefinitionFileError), not parsed as YAML text.
    if isinstance(definition, os.PathLike) or ("\n" not in text and not text.lstrip().startswith("{")):
        return read_definition(text)
    return text if text.lstrip().startswith("{") else yaml_to_json(text)
