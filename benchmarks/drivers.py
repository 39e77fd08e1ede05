"""One timed run of one workload against one server, with every execution's result checked.

Each driver prepares outside the timing what a user prepares once (CreateStateMachine,
CreateActivity), times only the executions, then verifies status and output of each one before
it returns a `Sample`. A server without an action raises `Unsupported`; a wrong answer raises
`Wrong`; a run past its budget raises `TimedOut`: the caller records which, and moves on.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

from botocore.exceptions import ClientError

from .api_workloads import CHILD_DEFINITION, ApiWorkload
from .client import (
    TimedOut, Unsupported, call, check_ended, create_machine, history, states_entered, unique,
    unsupported_error, wait_execution, wait_none_running,
)
from .workloads import Workload

THREADS = 8
T = TypeVar("T")


@dataclass
class Sample:
    """One timed run: wall seconds, states entered per execution (when read), workload extras."""

    wall_s: float
    entered: int | None = None
    extra: dict[str, float] = field(default_factory=dict)


def _parallel(function: Callable[[T], Any], items: Iterable[T]) -> list[Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(function, items))


class Prepared:
    """What a driver creates once per server (machines, activities), reused by every repetition."""

    def __init__(self) -> None:
        self.arns: dict[str, str] = {}

    def machine(self, client: Any, key: str, definition: dict[str, Any], machine_type: str = "STANDARD") -> str:
        if key not in self.arns:
            self.arns[key] = create_machine(client, f"bench-{key}", definition, machine_type)
        return self.arns[key]


def run_interpreter(client: Any, prepared: Prepared, workload: Workload, budget: float, count: bool) -> Sample:
    """W1-W4: one execution, StartExecution to seen-ended; the history is counted outside the timing."""
    arn = prepared.machine(client, workload.name, workload.definition)
    started = time.perf_counter()
    execution = client.start_execution(stateMachineArn=arn, name=unique("e"), input=json.dumps(workload.input))
    described = wait_execution(client, execution["executionArn"], time.monotonic() + budget)
    wall = time.perf_counter() - started
    check_ended(described, workload.check)
    return Sample(wall, states_entered(client, execution["executionArn"]) if count else None)


def _start_all(client: Any, machine: str, workload: ApiWorkload, deadline: float) -> list[str]:
    def start(index: int) -> str:
        if time.monotonic() > deadline:
            raise TimedOut(f"not all {workload.count} executions started within the budget")
        return str(client.start_execution(stateMachineArn=machine, name=unique(f"n{index}"),
                                          input=json.dumps(workload.input(index)))["executionArn"])

    return _parallel(start, range(workload.count))


def _check_all(client: Any, arns: list[str], workload: ApiWorkload) -> None:
    def check(item: tuple[int, str]) -> None:
        index, arn = item
        check_ended(client.describe_execution(executionArn=arn), lambda output: workload.check(index, output))

    _parallel(check, enumerate(arns))


def run_starts(client: Any, prepared: Prepared, workload: ApiWorkload, budget: float) -> Sample:
    """W5: starts from 8 threads, timed until ListExecutions shows none RUNNING."""
    machine = prepared.machine(client, workload.name, workload.definition(""))
    deadline = time.monotonic() + budget
    started = time.perf_counter()
    arns = _start_all(client, machine, workload, deadline)
    starts_s = time.perf_counter() - started
    wait_none_running(client, machine, deadline)
    wall = time.perf_counter() - started
    _check_all(client, arns, workload)
    return Sample(wall, extra={"starts_per_s": workload.count / starts_s})


def run_sync(client: Any, prepared: Prepared, workload: ApiWorkload, budget: float) -> Sample:
    """W6: sequential StartSyncExecution calls; p50/p99 of the call latency."""
    machine = prepared.machine(client, workload.name, workload.definition(""), workload.machine_type)
    deadline = time.monotonic() + budget
    latencies = []
    started = time.perf_counter()
    for index in range(workload.count):
        if time.monotonic() > deadline:
            raise TimedOut(f"{index} of {workload.count} calls within the budget")
        before = time.perf_counter()
        described = call(client, "start_sync_execution", stateMachineArn=machine, input=json.dumps(workload.input(index)))
        latencies.append(time.perf_counter() - before)
        check_ended(described, lambda output: workload.check(index, output))
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return Sample(wall, extra={"p50_ms": statistics.median(latencies) * 1000, "p99_ms": cuts[98] * 1000})


def run_activity(client: Any, prepared: Prepared, workload: ApiWorkload, budget: float) -> Sample:
    """W7: park the executions on an activity, then one worker drains them."""
    if "activity" not in prepared.arns:
        prepared.arns["activity"] = str(call(client, "create_activity", name=unique("bench-act"))["activityArn"])
    machine = prepared.machine(client, workload.name, workload.definition(prepared.arns["activity"]))
    deadline = time.monotonic() + budget
    started = time.perf_counter()
    arns = _start_all(client, machine, workload, deadline)
    parked = time.perf_counter()
    try:
        for _ in range(workload.count):
            task = call(client, "get_activity_task", activityArn=prepared.arns["activity"], workerName="bench")
            if not task.get("taskToken") or time.monotonic() > deadline:
                raise TimedOut("the worker polled and got no task")
            done = {"done": json.loads(task["input"])["n"]}
            client.send_task_success(taskToken=task["taskToken"], output=json.dumps(done))
    except (Unsupported, TimedOut):
        _parallel(lambda arn: client.stop_execution(executionArn=arn), arns)  # leave nothing parked
        raise
    wait_none_running(client, machine, deadline)
    wall = time.perf_counter() - started
    _check_all(client, arns, workload)
    return Sample(wall, extra={"park_s": parked - started, "drain_s": wall - (parked - started)})


def _token(client: Any, arn: str, deadline: float) -> str:
    """The task token from the parent's TaskScheduled event, once the execution has parked."""
    while time.monotonic() < deadline:
        events = history(client, arn, limit=10)
        _raise_failure(events)
        for event in events:
            if event["type"] == "TaskScheduled":
                parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
                child_input = parameters["Input"]
                return str((json.loads(child_input) if isinstance(child_input, str) else child_input)["token"])
        time.sleep(0.01)
    raise TimedOut("an execution did not park within the budget")


def _raise_failure(events: list[dict[str, Any]]) -> None:
    """A server that cannot perform the task fails it: say so, in its own words."""
    for event in events:
        if event["type"] in ("TaskFailed", "ExecutionFailed", "ExecutionAborted"):
            details = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
            raise Unsupported(f"{details.get('error')}: {str(details.get('cause'))[:160]}")


def _probe_tokens(client: Any, machine: str, deadline: float) -> None:
    """One execution first, outside the timing: a server that cannot park fails fast, not 10,000 times.

    A probe that does not succeed means the server cannot perform this callback integration (the
    task fails, or the token is refused): `Unsupported`, with the server's own words."""
    arn = client.start_execution(stateMachineArn=machine, name=unique("probe"), input=json.dumps({"n": -1}))["executionArn"]
    token = _token(client, arn, deadline)
    try:
        call(client, "send_task_success", taskToken=token, output=json.dumps({"done": -1}))
    except ClientError as error:
        if not (unsupported_error(error) or error.response["Error"]["Code"] in ("InvalidToken", "TaskDoesNotExist")):
            raise
    described = wait_execution(client, arn, deadline)
    if described["status"] != "SUCCEEDED":
        raise Unsupported(f"{described.get('error')}: {str(described.get('cause'))[:160]}")
    check_ended(described, lambda output: output == {"done": -1})


def run_tokens(client: Any, prepared: Prepared, workload: ApiWorkload, budget: float) -> Sample:
    """W8: park every execution on a task token at once, then answer them all."""
    child = prepared.machine(client, "W8child", CHILD_DEFINITION)
    machine = prepared.machine(client, workload.name, workload.definition(child))
    deadline = time.monotonic() + budget
    _probe_tokens(client, machine, deadline)
    started = time.perf_counter()
    arns = _start_all(client, machine, workload, deadline)
    tokens = _parallel(lambda arn: _token(client, arn, deadline), arns)
    parked = time.perf_counter()
    lock = threading.Lock()
    answered = [0]

    def answer(item: tuple[int, str]) -> None:
        if time.monotonic() > deadline:
            raise TimedOut(f"{answered[0]} of {workload.count} tokens answered within the budget")
        call(client, "send_task_success", taskToken=item[1], output=json.dumps({"done": item[0]}))
        with lock:
            answered[0] += 1

    _parallel(answer, enumerate(tokens))
    wait_none_running(client, machine, deadline)
    wall = time.perf_counter() - started
    _check_all(client, arns, workload)
    return Sample(wall, extra={"park_s": parked - started, "drain_s": wall - (parked - started)})
