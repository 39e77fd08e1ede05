"""Load an example of `examples/` as a user would use it, and read what its history shows.

Each example's `handlers.py` is imported under a name of its own (`example_<folder>_handlers`):
the three files share the name `handlers.py`, so one plain `handlers` module would shadow the
others within one pytest session. Tests hand the functions to the engine with
`asl.lambda_handler`, exactly as a user's own test would.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from asl_engine.testing import Environment, Execution
from asl_engine.validate import validate_definition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Example:
    folder: Path
    handlers: Any  # the example's handlers module

    @property
    def definition(self) -> Path:
        return self.folder / "definition.asl.json"

    @property
    def mock_config(self) -> Path:
        return self.folder / "MockConfigFile.json"

    def deploy(self, asl: Environment, name: str, *functions: str) -> str:
        """Create the state machine under `name`, its Lambda functions run by the handlers."""
        for function in functions:
            asl.lambda_handler(function, getattr(self.handlers, function))
        return asl.create(name, self.definition)


def load_example(name: str) -> Example:
    folder = EXAMPLES / name
    module_name = f"example_{name.replace('-', '_')}_handlers"
    handlers: ModuleType | None = sys.modules.get(module_name)
    if handlers is None:
        spec = importlib.util.spec_from_file_location(module_name, folder / "handlers.py")
        assert spec is not None and spec.loader is not None
        handlers = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = handlers
        spec.loader.exec_module(handlers)
    return Example(folder, handlers)


def assert_valid(example: Example) -> None:
    """What `asl-engine validate` and CreateStateMachine check: no ERROR diagnostic."""
    errors = [d for d in validate_definition(example.definition.read_text()) if d.severity == "ERROR"]
    assert errors == [], errors


def seconds_in(execution: Execution, event: dict[str, Any]) -> float:
    """When an event happened, in seconds of (virtual) time since the execution started."""
    return (event["timestamp"] - execution.events[0]["timestamp"]).total_seconds()


def task_failures(execution: Execution) -> list[tuple[float, str]]:
    """(seconds since the start, error) of every failed task attempt: the retries and the caught error."""
    events = execution.events
    start = events[0]["timestamp"]
    return [((event["timestamp"] - start).total_seconds(), event["taskFailedEventDetails"]["error"])
            for event in events if event["type"] == "TaskFailed"]


def payload_of(event: dict[str, Any]) -> Any:
    """The Lambda payload a TaskScheduled event shows for `lambda:invoke`."""
    return json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]
