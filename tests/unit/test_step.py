"""The pure core as a table: (state, input, variables) -> Step, with no event loop at all.

Each row is one state definition, the raw input it gets, and what `advance` must decide. The
data-flow order is AWS's: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
(JSONPath) and https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html (JSONata);
Wait's fields: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html; Fail's:
https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html; a Choice with no match and no
Default fails with States.NoChoiceMatched (concepts-error-handling.html, "Error names").
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine import model as m
from asl_engine.compile import compile_definition
from asl_engine.engine.step import Context, Fail, Next, Sleep, Step, advance, arguments, finish

NOW = 1_700_000_000.0
CONTEXT = {"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e"}, "State": {"Name": "S"}}


def state(definition: dict[str, Any], language: str = "JSONPath") -> m.State:
    """`definition` compiled as state S of a machine (S goes on to a Succeed state named Next)."""
    machine = compile_definition({"QueryLanguage": language, "StartAt": "S",
                                  "States": {"S": definition, "Next": {"Type": "Succeed"}}})
    return machine.program.states["S"]


def outcome(step: Step) -> Any:
    """A step as comparable data: a Fail's error as (error, cause)."""
    if isinstance(step, Fail):
        return ("Fail", step.error.error, step.error.cause)
    return step


ROWS: list[tuple[str, dict[str, Any], str, Any, dict[str, Any] | None, Any]] = [
    ("Pass: Result at ResultPath",
     {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "Next"}, "JSONPath",
     {"a": 0}, None, Next({"a": 0, "r": {"x": 1}}, "Next")),
    ("Pass: InputPath, Parameters with an intrinsic, OutputPath",
     {"Type": "Pass", "InputPath": "$.in", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "c.$": "$$.State.Name"},
      "OutputPath": "$.n", "End": True}, "JSONPath",
     {"in": {"n": 41}}, None, Next(42, None)),
    ("Pass: Assign sees the result, the variables in scope and $$",
     {"Type": "Pass", "Result": 7, "Assign": {"sum.$": "States.MathAdd($, $old)", "who.$": "$$.State.Name"},
      "Next": "Next"}, "JSONPath",
     {}, {"old": 3}, Next(7, "Next", {"sum": 10, "who": "S"})),
    ("Choice: the first matching rule decides; OutputPath applies",
     {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Next"}],
      "Default": "S", "OutputPath": "$.n"}, "JSONPath",
     {"n": 9}, None, Next(9, "Next")),
    ("Choice: Default when no rule matches",
     {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Next"}],
      "Default": "S"}, "JSONPath",
     {"n": 1}, None, Next({"n": 1}, "S")),
    ("Choice: no rule and no Default fails",
     {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Next"}]}, "JSONPath",
     {"n": 1}, None,
     ("Fail", "States.NoChoiceMatched", "No Matches! No Choice Rule matched the input and no Default was specified.")),
    ("Wait: Seconds counts from the context's time",
     {"Type": "Wait", "Seconds": 5, "Next": "Next"}, "JSONPath",
     {"a": 1}, None, Sleep(NOW + 5, Next({"a": 1}, "Next"))),
    ("Wait: TimestampPath",
     {"Type": "Wait", "TimestampPath": "$.at", "Next": "Next"}, "JSONPath",
     {"at": "2024-01-01T00:00:10Z"}, None, Sleep(1704067210.0, Next({"at": "2024-01-01T00:00:10Z"}, "Next"))),
    ("Wait: a TimestampPath that is no timestamp fails",
     {"Type": "Wait", "TimestampPath": "$.at", "Next": "Next"}, "JSONPath",
     {"at": "soon"}, None,
     ("Fail", "States.Runtime", "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                                "date-time format string: $.at == soon")),
    ("Succeed: InputPath and OutputPath; the scope ends",
     {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}, "JSONPath",
     {"a": {"b": 2}}, None, Next(2, None)),
    ("Fail: Error and Cause",
     {"Type": "Fail", "Error": "Custom.Error", "Cause": "why"}, "JSONPath",
     {}, None, ("Fail", "Custom.Error", "why")),
    ("Fail: ErrorPath and CausePath",
     {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('no {}', $.c)"}, "JSONPath",
     {"e": "E", "c": "luck"}, None, ("Fail", "E", "no luck")),
    ("JSONata Pass: Output and Assign see $states.input and the variables",
     {"Type": "Pass", "Output": "{% $states.input.a + $v %}", "Assign": {"w": "{% $v * 2 %}"}, "Next": "Next"},
     "JSONata", {"a": 1}, {"v": 2}, Next(3, "Next", {"w": 4})),
    ("JSONata Choice: a rule's Output and Assign",
     {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 5 %}", "Next": "Next",
                                     "Output": "{% 'big' %}", "Assign": {"seen": "{% $states.input.n %}"}}],
      "Default": "S"}, "JSONata", {"n": 9}, None, Next("big", "Next", {"seen": 9})),
    ("JSONata Choice: a Condition that is no boolean fails",
     {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "Next"}], "Default": "S"},
     "JSONata", {"n": 9}, None,
     ("Fail", "States.QueryEvaluationError",
      "The JSONata expression '$states.input.n' specified for the field 'Condition' returned an unexpected "
      "result type. Expected 'boolean', but was 'number' for value: 9")),
    ("JSONata Wait: Seconds from an expression",
     {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "Next"}, "JSONata",
     {"s": 3}, None, Sleep(NOW + 3, Next({"s": 3}, "Next"))),
    ("JSONata Fail: Error and Cause from expressions",
     {"Type": "Fail", "Error": "{% 'E.' & $states.input.k %}", "Cause": "{% $string($states.input) %}"}, "JSONata",
     {"k": "x"}, None, ("Fail", "E.x", '{"k":"x"}')),
]


@pytest.mark.parametrize(("definition", "language", "raw", "variables", "expected"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_advance(definition: dict[str, Any], language: str, raw: Any, variables: dict[str, Any] | None,
                 expected: Any) -> None:
    assert outcome(advance(state(definition, language), raw, Context(CONTEXT, variables, NOW))) == expected


def test_a_state_that_works_is_not_decided_by_advance() -> None:
    """Task, Parallel and Map do their work in the shell; advance refuses them rather than guess."""
    with pytest.raises(TypeError):
        advance(state({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}), {}, Context(CONTEXT, None))


TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.in",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultSelector": {"p.$": "$.Payload"},
        "ResultPath": "$.out", "OutputPath": "$.out.p", "Next": "Next"}
JSONATA_TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.in %}"},
                "Output": "{% $states.result.Payload + $states.input.in %}", "Assign": {"last": "{% $states.result.Payload %}"},
                "Next": "Next"}


@pytest.mark.parametrize(("definition", "language", "raw", "sent", "result", "expected"), [
    (TASK, "JSONPath", {"in": 1}, {"FunctionName": "f", "Payload": 1}, {"Payload": 2}, Next(2, "Next")),
    (JSONATA_TASK, "JSONata", {"in": 1}, {"FunctionName": "f", "Payload": 1}, {"Payload": 2}, Next(3, "Next", {"last": 2})),
], ids=["JSONPath", "JSONata"])
def test_a_task_data_flow(definition: dict[str, Any], language: str, raw: Any, sent: Any, result: Any,
                          expected: Next) -> None:
    """What a Task sends (`arguments`) and what it passes on once its result came (`finish`)."""
    task = state(definition, language)
    assert isinstance(task, m.TaskState)
    ctx = Context(CONTEXT, None, NOW)
    assert arguments(task, raw, ctx) == sent
    assert finish(task, raw, result, ctx) == expected
