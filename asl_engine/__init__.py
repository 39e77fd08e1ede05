"""asl-engine: AWS Step Functions on your own machine. This is its public API.

    from asl_engine import compile_definition, run_definition, validate_definition

    diagnostics = validate_definition(text, "STANDARD")    # AWS's checks, with locations
    machine = compile_definition(text)                     # or DefinitionError
    result = run_definition(text, {"order": 1})            # one execution in process

`StatesError` is a States.* error as a state raises it; the clocks (`RealClock`, `ScaledClock`,
`VirtualClock`) decide how time passes; `Service` is the facade the HTTP API calls. Everything
else is internal and may change. Names load on first use, so `import asl_engine.errors` does not
pull in the server (the engine's pure modules must stay free of asyncio, SQLite and HTTP).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import Clock, RealClock, ScaledClock, VirtualClock
    from .compile import compile_definition
    from .errors import DefinitionError, StatesError
    from .service import Service
    from .testing import ExecutionResult, run_definition, run_definition_async
    from .validate import Diagnostic, validate_definition

_HOMES = {
    "Clock": "clock", "RealClock": "clock", "ScaledClock": "clock", "VirtualClock": "clock",
    "compile_definition": "compile",
    "DefinitionError": "errors", "StatesError": "errors",
    "Service": "service",
    "ExecutionResult": "testing", "run_definition": "testing", "run_definition_async": "testing",
    "Diagnostic": "validate", "validate_definition": "validate",
}

__all__ = [
    "Clock", "DefinitionError", "Diagnostic", "ExecutionResult", "RealClock", "ScaledClock", "Service",
    "StatesError", "VirtualClock", "compile_definition", "run_definition", "run_definition_async",
    "validate_definition",
]


def __getattr__(name: str) -> object:
    """Import a public name's module when the name is first used (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'asl_engine' has no attribute {name!r}")
    return getattr(import_module(f".{home}", __name__), name)
