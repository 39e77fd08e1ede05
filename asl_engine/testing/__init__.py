"""Test a workflow like code: a fresh engine per test on a clock that moves when the test says.

    def test_approval(asl):                               # the pytest fixture (pytest_plugin)
        asl.create("Approval", "approval.asl.json")
        execution = asl.start("Approval", {"amount": 1200}).wait(state="AskManager")
        asl.advance(hours=5)
        asl.client.send_task_success(taskToken=execution.task_token("AskManager"), output="{}")
        assert execution.wait().status == "SUCCEEDED"

Outside pytest, `Environment()` is the same object as a context manager, and `run_definition`
runs one definition in process in a single call (no server, no store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .inprocess import ExecutionResult, run_definition, run_definition_async
from .stuck import Stuck

if TYPE_CHECKING:
    from .environment import Environment, Execution

__all__ = ["Environment", "Execution", "ExecutionResult", "Stuck", "run_definition", "run_definition_async"]


def __getattr__(name: str) -> object:
    """`Environment` and `Execution` import the server (uvicorn, FastAPI) only when asked for:
    `run_definition` users, and the pytest plugin of every test session, do not pay for it."""
    if name in ("Environment", "Execution"):
        from . import environment

        return getattr(environment, name)
    raise AttributeError(name)
