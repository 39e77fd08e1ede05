"""`asl_engine`'s public surface: what `from asl_engine import ...` offers, and that it works.

The Pass and Fail states below behave as https://docs.aws.amazon.com/step-functions/latest/dg/
state-pass.html and state-fail.html describe: Result replaces the input; Fail ends the execution
FAILED with its Error and Cause.
"""

from __future__ import annotations

import json

import pytest

import asl_engine

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"done": True}, "End": True}}}


def test_every_public_name_resolves() -> None:
    for name in asl_engine.__all__:
        assert getattr(asl_engine, name) is not None
    with pytest.raises(AttributeError):
        _ = asl_engine.not_a_public_name


def test_validate_compile_and_run_a_definition() -> None:
    text = json.dumps(PASS)
    assert [d for d in asl_engine.validate_definition(text, "STANDARD") if d.severity == "ERROR"] == []
    assert "P" in asl_engine.compile_definition(text).program.states
    result = asl_engine.run_definition(text, {"in": 1})
    assert (result.status, result.output) == ("SUCCEEDED", {"done": True})


def test_a_definition_that_cannot_compile_raises_definition_error() -> None:
    with pytest.raises(asl_engine.DefinitionError):
        asl_engine.compile_definition({"StartAt": "Missing", "States": {}})


def test_a_failed_execution_reports_its_error() -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "because"}}}
    result = asl_engine.run_definition(failing)
    assert (result.status, result.error, result.cause) == ("FAILED", "Oops", "because")
