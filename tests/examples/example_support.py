"""Load an example of `examples/` as a user would use it, and read what its history shows.

Each example's `handlers.py` is imported under a name of its own (`example_<folder>_handlers`):
the three files share the name `handlers.py`, and the local Lambda runner imports handlers by
module name, so one plain `handlers` module would shadow the others within one pytest session.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from asl_engine.clock import VirtualClock
from asl_engine.tasks.config import TaskConfig
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.testing import ExecutionResult, run_definition_async
from asl_engine.validate import validate_definition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Example:
    folder: Path
    definition: dict[str, Any]
    handlers: ModuleType | None

    @property
    def mock_config(self) -> Path:
        return self.folder / "MockConfigFile.json"

    def config(self, *functions: str, mocks: bool = False) -> TaskConfig:
        """Local Lambda handlers for `functions` (ASL_LAMBDA_HANDLERS), optionally the mock file."""
        assert self.handlers is not None or not functions
        module = self.handlers.__name__ if self.handlers else ""
        return TaskConfig(mock_config_path=str(self.mock_config) if mocks else None,
                          lambda_handlers={name: f"{module}:{name}" for name in functions})


def load_example(name: str) -> Example:
    folder = EXAMPLES / name
    definition = json.loads((folder / "definition.asl.json").read_text())
    handlers = None
    if (folder / "handlers.py").exists():
        module_name = f"example_{name.replace('-', '_')}_handlers"
        handlers = sys.modules.get(module_name)
        if handlers is None:
            spec = importlib.util.spec_from_file_location(module_name, folder / "handlers.py")
            assert spec is not None and spec.loader is not None
            handlers = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = handlers
            spec.loader.exec_module(handlers)
    return Example(folder, definition, handlers)


def assert_valid(definition: dict[str, Any]) -> None:
    """What `asl-engine validate` and CreateStateMachine check: no ERROR diagnostic."""
    errors = [d for d in validate_definition(json.dumps(definition)) if d.severity == "ERROR"]
    assert errors == [], errors


def run(config: TaskConfig, definition: dict[str, Any], execution_input: Any, *,
        test_case: str | None = None, state_machine_name: str = "test-machine",
        clock: VirtualClock | None = None) -> ExecutionResult:
    """One execution through a fresh TaskDispatcher on a virtual clock (starting at 0)."""

    async def go() -> ExecutionResult:
        virtual = clock or VirtualClock(start=0)
        dispatcher = TaskDispatcher(config, virtual)
        return await run_definition_async(definition, execution_input, clock=virtual,
                                          tasks=dispatcher.for_execution(test_case, state_machine_name),
                                          state_machine_name=state_machine_name)

    return asyncio.run(go())


def states_entered(result: ExecutionResult) -> list[str]:
    """The states the execution entered, in order: the path a console shows."""
    return [event["stateEnteredEventDetails"]["name"] for event in result.events
            if event["type"].endswith("StateEntered")]


def task_failures(result: ExecutionResult) -> list[tuple[float, str]]:
    """(virtual time, error) of every failed task attempt: the retries and the caught error."""
    return [(event["timestamp"], event["taskFailedEventDetails"]["error"]) for event in result.events
            if event["type"] == "TaskFailed"]
