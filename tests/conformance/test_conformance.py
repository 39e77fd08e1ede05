"""Every runnable execution recorded against real AWS, run in-process on the virtual clock.

The cases live in `../shared/conformance/aws/cases/` (recorded by LocalStack's snapshot tests
against AWS Step Functions, see that folder's README). They are compared exactly as
`../shared/conformance/run.py` compares a server: status, output, error, cause and event types,
with the same placeholder rules; its comparison code is imported rather than rewritten.

Cases that need mocked task results (`needs_mocks`) belong to the Tasks work and are not
collected here. Every other case runs; the ones we do not match yet are listed in
KNOWN_FAILURES with the reason, and are strict xfails: fixing one fails the suite until the
table is updated.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from asl_engine.payload import to_json
from asl_engine.testing import run_definition_async

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
CASES = SHARED / "aws" / "cases"


def _load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("conformance_run", SHARED / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


RUNNER = _load_runner()

# id -> why we differ from the recording. Keep each reason to one line.
KNOWN_FAILURES: dict[str, str] = {}


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text())
        if RUNNER.needs_mocks(case):
            continue
        marks = []
        if case["id"] in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[case["id"]], strict=True))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.mark.parametrize("case", _cases())
def test_recorded_execution(case: dict[str, Any]) -> None:
    result = asyncio.run(
        run_definition_async(
            case["definition"],
            case["input"],
            role_arn=RUNNER.ROLE_ARN,
            state_machine_name="conformance-machine",
            execution_name="conformance-execution",
        )
    )
    description = {"status": result.status}
    if result.output is not None:
        description["output"] = to_json(result.output)
    reason = RUNNER.check(case, description, result.events)
    assert reason is None, reason


def test_the_corpus_is_there() -> None:
    """Guards against a missing ../shared turning the whole conformance run into nothing."""
    assert len(_cases()) >= 744
