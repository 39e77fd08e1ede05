"""Variables (`Assign`) and their scoping, in both query languages.

Source: AWS developer guide, "Passing data between states with variables"
(https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html), and the recorded
cases named per row (tests/conformance/cases).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_engine.testing import run_definition


def machine(*states: tuple[str, dict[str, Any]], language: str | None = None) -> dict[str, Any]:
    names = [name for name, _ in states]
    body = {}
    for index, (name, state) in enumerate(states):
        state = dict(state)
        if "Next" not in state and "End" not in state and state["Type"] not in ("Succeed", "Fail", "Choice"):
            if index + 1 < len(states):
                state["Next"] = names[index + 1]
            else:
                state["End"] = True
        body[name] = state
    definition: dict[str, Any] = {"StartAt": names[0], "States": body}
    if language:
        definition["QueryLanguage"] = language
    return definition


SCOPING_ROWS = [
    pytest.param(
        # "Assign ... evaluated ... before any of them is set": OutputPath still sees the old value
        # (recorded: test_state_assign_evaluation_order[BASE_EVALUATION_ORDER_PASS_STATE])
        machine(
            ("A", {"Type": "Pass", "Assign": {"answer": 42}}),
            ("B", {"Type": "Pass", "Assign": {"answer": "new"}, "OutputPath": "$answer"}),
        ),
        {}, 42, id="outputpath-reads-the-value-before-assign",
    ),
    pytest.param(
        # JSONPath Assign reads "$" as the state's result (recorded: BASE_ASSIGN_FROM_RESULT)
        machine(
            ("A", {"Type": "Pass", "Result": {"answer": 42}, "Assign": {"x.$": "$.answer"}}),
            ("B", {"Type": "Pass", "Parameters": {"x.$": "$x"}}),
        ),
        {}, {"x": 42}, id="jsonpath-assign-reads-the-result",
    ),
    pytest.param(
        # "Variables ... in a Map ... iteration: read the outer scope" (workflow-variables, scope)
        machine(
            ("A", {"Type": "Pass", "Assign": {"factor": 10}}),
            ("M", {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Parameters": {"v.$": "$", "f.$": "$factor"}, "End": True}}}}),
        ),
        [1, 2], [{"v": 1, "f": 10}, {"v": 2, "f": 10}], id="map-iteration-reads-outer-variables",
    ),
    pytest.param(
        # "child scopes cannot assign to variables in an outer scope" (workflow-variables, scope)
        machine(
            ("A", {"Type": "Pass", "Assign": {"x": "outer"}}),
            ("P", {"Type": "Parallel", "ResultPath": None, "Branches": [{"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Assign": {"x": "inner"}, "End": True}}}]}),
            ("B", {"Type": "Pass", "Parameters": {"x.$": "$x"}}),
        ),
        {}, {"x": "outer"}, id="parallel-branch-cannot-assign-outer",
    ),
    pytest.param(
        # JSONata: $states.result is available to Assign and Output (transforming-data)
        machine(
            ("A", {"Type": "Pass", "Output": {"n": 2}, "Assign": {"seen": "{% $states.input.start %}"}}),
            ("B", {"Type": "Pass", "Output": "{% {'seen': $seen, 'n': $states.input.n} %}"}),
            language="JSONata",
        ),
        {"start": "s"}, {"seen": "s", "n": 2}, id="jsonata-assign-and-output",
    ),
]


@pytest.mark.parametrize("definition, execution_input, expected", SCOPING_ROWS)
def test_variable_scoping(definition: dict[str, Any], execution_input: Any, expected: Any) -> None:
    result = run_definition(definition, execution_input)
    assert (result.status, result.error, result.cause) == ("SUCCEEDED", None, None)
    assert result.output == expected


def test_assigned_variables_appear_in_state_exited() -> None:
    # API_StateExitedEventDetails: assignedVariables maps names to serialised JSON
    result = run_definition(machine(("A", {"Type": "Pass", "Assign": {"x": {"a": 1}, "y": "s"}})), {})
    exited = next(event for event in result.events if event["type"] == "PassStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"x": '{"a":1}', "y": '"s"'}
    assert exited["stateExitedEventDetails"]["assignedVariablesDetails"] == {"truncated": False}


def test_undefined_variable_fails_with_aws_wording() -> None:
    # recorded: test_undefined_reference[BASE_UNDEFINED_OUTPUT]
    definition = machine(("State0", {"Type": "Pass", "Output": "{% $doesNotExist %}"}), language="JSONata")
    result = run_definition(definition, {})
    assert result.error == "States.QueryEvaluationError"
    assert result.cause == (
        "An error occurred while executing the state 'State0' (entered at the event id #2). "
        "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."
    )
    assert result.event_types == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]


def test_assign_over_256_kib_is_refused() -> None:
    # workflow-variables, "Size limits": at most 256 KiB assigned by one Assign
    definition = machine(("A", {"Type": "Pass", "Assign": {"big": "x" * 300_000}}))
    result = run_definition(definition, {})
    assert result.error == "States.DataLimitExceeded"


def test_catch_assign_sees_the_error_output() -> None:
    # workflow-variables: a Catcher's Assign; JSONata reads it as $states.errorOutput
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "F",
        "States": {
            "F": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Fail", "Error": "E", "Cause": "C"}}}],
                  "Catch": [{"ErrorEquals": ["E"], "Assign": {"why": "{% $states.errorOutput.Cause %}"}, "Next": "After"}],
                  "End": True},
            "After": {"Type": "Pass", "Output": "{% $why %}", "End": True},
        },
    }
    result = run_definition(definition, {})
    assert json.dumps(result.output) == '"C"'
