"""Run a definition in-process on a virtual clock: a whole workflow in a unit test, in milliseconds.

    from asl_engine.testing import run_definition
    result = run_definition(definition, {"order": 1})
    assert result.status == "SUCCEEDED"
    assert "WaitStateEntered" in result.event_types   # a 72-hour Wait took no time

No server, no database: the same compiler and runner the server uses, a `VirtualClock` that
jumps to the next deadline whenever the execution waits, and task handlers you pass in. An
execution that could only wait forever (a token or activity nobody answers, with no timeout)
raises `Stuck` instead of hanging.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, Callable, cast

from ..clock import Clock, VirtualClock
from ..compile import compile_definition
from ..execution import ExecutionInfo, ExecutionOutcome, HistoryEvent, ListSink
from ..runtime.run import EXPRESS_LIMIT_SECONDS, STANDARD_LIMIT_SECONDS, ExecutionRun
from ..errors import StatesError
from ..tasks_api import TaskHandler, TaskRequest
from .history import waiting
from .stuck import Stuck

STUCK_CHECK_SECONDS = 0.02  # how often a parked run is checked for having nothing left to wait for

Json = Any
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class ExecutionResult:
    status: str
    output: Json
    error: str | None
    cause: str | None
    events: list[HistoryEvent]

    @property
    def event_types(self) -> list[str]:
        return [event["type"] for event in self.events]


async def run_definition_async(
    definition: str | dict[str, Any],
    execution_input: Json = None,
    *,
    tasks: Callable[[TaskRequest], Any] | None = None,
    clock: Clock | None = None,
    state_machine_name: str = "test-machine",
    execution_name: str = "test-execution",
    role_arn: str = f"arn:aws:iam::{ACCOUNT}:role/test",
    machine_type: str = "STANDARD",
) -> ExecutionResult:
    """Compile and run one execution to its end; every wait is skipped on the virtual clock.
    An EXPRESS one times out after five minutes, a STANDARD one after a year, as on AWS."""
    machine = compile_definition(definition)
    clock = clock or VirtualClock()
    sink = ListSink()
    prefix = f"arn:aws:states:{REGION}:{ACCOUNT}"
    info = ExecutionInfo(
        execution_arn=f"{prefix}:execution:{state_machine_name}:{execution_name}",
        name=execution_name,
        state_machine_arn=f"{prefix}:stateMachine:{state_machine_name}",
        state_machine_name=state_machine_name,
        role_arn=role_arn,
        start_time=clock.time(),
        input={} if execution_input is None else execution_input,
    )
    limit = EXPRESS_LIMIT_SECONDS if machine_type == "EXPRESS" else STANDARD_LIMIT_SECONDS
    # a test's own function is adapted; a handler object (run_command's dispatcher) is called as it is
    handler = task_function(tasks) if inspect.isroutine(tasks) else cast("TaskHandler | None", tasks)
    run = asyncio.ensure_future(ExecutionRun(machine, info, clock=clock, sink=sink, tasks=handler,
                                             max_seconds=limit).run())
    outcome = await _unless_stuck(run, clock, sink, info.execution_arn)
    return ExecutionResult(outcome.status, outcome.output, outcome.error, outcome.cause, sink.events)


def task_function(function: Callable[[TaskRequest], Any]) -> TaskHandler:
    """A test's `tasks=` function as the runner calls a task handler. It may be plain or async;
    it returns the integration's response, and an ordinary exception from it fails the task as an
    unhandled exception fails a Lambda function: error the exception's class name, cause its
    message (TaskFailed, which Retry and Catch handle). A `StatesError` gives its own error and cause."""
    async def handler(request: TaskRequest) -> Json:
        try:
            response = function(request)
            return await response if inspect.isawaitable(response) else response
        except StatesError:
            raise
        except Exception as exc:
            raise StatesError(type(exc).__name__, str(exc)) from exc

    return handler


async def _unless_stuck(run: asyncio.Future[ExecutionOutcome], clock: Clock, sink: ListSink,
                        execution_arn: str) -> ExecutionOutcome:
    """The run's outcome, or `Stuck` once nothing can move it any more: every coroutine parked,
    no sleeper on the virtual clock, and nothing else scheduled on the loop (a test coroutine
    that will answer a token later sleeps on the loop, so it is not stuck)."""
    loop = asyncio.get_running_loop()
    if not isinstance(clock, VirtualClock) or not hasattr(loop, "_scheduled"):  # asyncio's own loop only
        return await run
    while True:
        done, _ = await asyncio.wait({run}, timeout=STUCK_CHECK_SECONDS)
        if done:
            return run.result()
        await clock.quiescent()
        scheduled = [handle for handle in loop._scheduled if not handle.cancelled()]
        # A callback still ready (a sleeper the clock's driver has just woken) can move it too:
        # under load the driver may jump the clock while we settle, and then nothing is due.
        ready = getattr(loop, "_ready", ())
        if not run.done() and clock.next_deadline() is None and not scheduled and not ready:
            run.cancel()
            await asyncio.gather(run, return_exceptions=True)
            raise Stuck(execution_arn, list(waiting(sink.events)))


def run_definition(definition: str | dict[str, Any], execution_input: Json = None, **options: Any) -> ExecutionResult:
    """The synchronous form of `run_definition_async`, for plain test functions."""
    return asyncio.run(run_definition_async(definition, execution_input, **options))
