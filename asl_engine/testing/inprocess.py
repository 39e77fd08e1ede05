"""Run a definition in-process on a virtual clock: a whole workflow in a unit test, in milliseconds.

    from asl_engine.testing import run_definition
    result = run_definition(definition, {"order": 1})
    assert result.status == "SUCCEEDED"
    assert "WaitStateEntered" in result.event_types   # a 72-hour Wait took no time

No server, no database: the same compiler and runner the server uses, a `VirtualClock` that
jumps to the next deadline whenever the execution waits, and task handlers you pass in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .clock import Clock, VirtualClock
from .compile import compile_definition
from .execution import ExecutionInfo, HistoryEvent, ListSink
from .runner import ExecutionRun
from .tasks_api import TaskHandler

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
    tasks: TaskHandler | None = None,
    clock: Clock | None = None,
    state_machine_name: str = "test-machine",
    execution_name: str = "test-execution",
    role_arn: str = f"arn:aws:iam::{ACCOUNT}:role/test",
) -> ExecutionResult:
    """Compile and run one execution to its end; every wait is skipped on the virtual clock."""
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
    outcome = await ExecutionRun(machine, info, clock=clock, sink=sink, tasks=tasks).run()
    return ExecutionResult(outcome.status, outcome.output, outcome.error, outcome.cause, sink.events)


def run_definition(definition: str | dict[str, Any], execution_input: Json = None, **options: Any) -> ExecutionResult:
    """The synchronous form of `run_definition_async`, for plain test functions."""
    return asyncio.run(run_definition_async(definition, execution_input, **options))
