"""Helpers for Task tests: a free loopback port, and one in-process execution through the real
TaskDispatcher on a virtual clock."""

from __future__ import annotations

import asyncio
from typing import Any

from serving import free_port  # noqa: F401  (re-exported for the task tests)

from asl_engine.clock import VirtualClock
from asl_engine.tasks.config import TaskConfig
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.testing import ExecutionResult, run_definition_async


def run_with(config: TaskConfig, definition: dict[str, Any], execution_input: Any = None,
             test_case: str | None = None, state_machine_name: str = "test-machine") -> ExecutionResult:
    """One execution through a fresh TaskDispatcher on a virtual clock."""

    async def go() -> ExecutionResult:
        clock = VirtualClock()
        dispatcher = TaskDispatcher(config, clock)
        return await run_definition_async(definition, execution_input, clock=clock,
                                          tasks=dispatcher.for_execution(test_case),
                                          state_machine_name=state_machine_name)

    return asyncio.run(go())
