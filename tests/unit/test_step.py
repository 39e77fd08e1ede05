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
from asl_engine.engine.step import (
    CallTask, Context, Fail, Next, RunBranches, Sleep, Step, advance, arguments, finish,
)

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


# -- The states that work: what to call, what to run, and how their results are finished -------
# Task: https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html (TimeoutSeconds(Path),
# HeartbeatSeconds(Path), Credentials); Parallel: .../state-parallel.html; Map: .../state-map.html,
# ItemsPath/ItemSelector/MaxConcurrencyPath and the tolerated failure fields.

TOKEN_CONTEXT = {**CONTEXT, "Task": {"Token": "tok-1"}}


def work(definition: dict[str, Any], raw: Any, language: str = "JSONPath", context: Any = None,
         variables: dict[str, Any] | None = None) -> tuple[m.State, Step]:
    compiled = state(definition, language)
    return compiled, advance(compiled, raw, Context(CONTEXT if context is None else context, variables, NOW))


def call(step: Step) -> tuple[Any, ...]:
    """What a CallTask asks the shell to do, without the state it finishes with."""
    assert isinstance(step, CallTask), outcome(step)
    return step.resource, step.arguments, step.timeout, step.heartbeat, step.credentials, step.token


TASK_ROWS: list[tuple[str, dict[str, Any], str, Any, Any]] = [
    ("JSONPath: Parameters, literal timeout, HeartbeatSecondsPath into the raw input, Credentials after InputPath",
     {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "InputPath": "$.in",
      "Parameters": {"Body.$": "$.b", "Token.$": "$$.Task.Token"}, "TimeoutSeconds": 30,
      "HeartbeatSecondsPath": "$.hb", "Credentials": {"RoleArn.$": "$.role"}, "End": True},
     "JSONPath", {"in": {"b": "x", "role": "arn:aws:iam::1:role/r"}, "hb": 10},
     ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {"Body": "x", "Token": "tok-1"}, 30, 10,
      {"RoleArn": "arn:aws:iam::1:role/r"}, "tok-1")),
    ("JSONPath: a TimeoutSecondsPath that finds nothing fails the state",
     {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$.t", "End": True},
     "JSONPath", {},
     ("Fail", "States.Runtime", "Invalid path '$.t' : No results for path: $['t']")),
    ("JSONPath: a HeartbeatSecondsPath to no positive integer fails the state",
     {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "HeartbeatSecondsPath": "$.h", "End": True},
     "JSONPath", {"h": "soon"},
     ("Fail", "States.Runtime", "The HeartbeatSecondsPath parameter does not reference a positive integer: "
                                "$.h == \"soon\"")),
    ("JSONata: Arguments and TimeoutSeconds from expressions",
     {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Arguments": {"Payload": "{% $states.input.p %}"}, "TimeoutSeconds": "{% $states.input.t %}", "End": True},
     "JSONata", {"p": 1, "t": 5},
     ("arn:aws:states:::lambda:invoke", {"Payload": 1}, 5, None, None, None)),
    ("JSONata: a TimeoutSeconds that is no number fails with States.QueryEvaluationError",
     {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": "{% 'x' %}", "End": True},
     "JSONata", {},
     ("Fail", "States.QueryEvaluationError",
      "The JSONata expression ''x'' specified for the field 'TimeoutSeconds' returned an unexpected result "
      "type. Expected 'number', but was 'string' for value: \"x\"")),
]


@pytest.mark.parametrize(("definition", "language", "raw", "expected"), [row[1:] for row in TASK_ROWS],
                         ids=[row[0] for row in TASK_ROWS])
def test_a_task_asks_for_a_call(definition: dict[str, Any], language: str, raw: Any, expected: Any) -> None:
    _, step = work(definition, raw, language, TOKEN_CONTEXT if "Token" in str(definition) else CONTEXT)
    assert (outcome(step) if isinstance(step, Fail) else call(step)) == expected


def test_a_task_finishes_with_its_result_in_the_state_it_was_called_from() -> None:
    """The CallTask carries how to finish: ResultSelector, ResultPath, OutputPath on the raw input."""
    _, step = work(TASK, {"in": 1, "keep": True})
    assert isinstance(step, CallTask)
    assert step.arguments == {"FunctionName": "f", "Payload": 1}
    assert step.finish({"Payload": 2}) == Next(2, "Next")
    _, step = work(JSONATA_TASK, {"in": 1}, "JSONata", variables={"last": 0})
    assert isinstance(step, CallTask)
    assert step.finish({"Payload": 2}) == Next(3, "Next", {"last": 2})


def test_a_parallel_runs_its_branches_on_its_parameters() -> None:
    parallel, step = work({"Type": "Parallel", "Parameters": {"v.$": "$.a"}, "ResultSelector": {"all.$": "$"},
                           "ResultPath": "$.r", "End": True,
                           "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                                        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]},
                          {"a": 1})
    assert isinstance(parallel, m.ParallelState) and isinstance(step, RunBranches)
    assert (step.programs, step.value, step.items, step.max_concurrency) == (parallel.branches, {"v": 1}, None, None)
    assert step.tolerated() == (None, None)
    assert step.finish([{"v": 1}, {"v": 1}]) == Next({"a": 1, "r": {"all": [{"v": 1}, {"v": 1}]}}, None)


MAP = {"Type": "Map", "ItemsPath": "$.xs", "ItemSelector": {"i.$": "$$.Map.Item.Index", "x.$": "$$.Map.Item.Value",
                                                            "k.$": "$.k"},
       "MaxConcurrencyPath": "$.most", "ToleratedFailureCountPath": "$.ok", "ToleratedFailurePercentage": 10,
       "ResultPath": "$.out", "End": True,
       "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}


def test_a_map_runs_its_processor_once_per_item() -> None:
    mapped, step = work(MAP, {"xs": ["a", "b"], "k": 7, "most": 2, "ok": 1})
    assert isinstance(mapped, m.MapState) and isinstance(step, RunBranches)
    assert (step.programs, step.items, step.max_concurrency) == ((mapped.processor,), ["a", "b"], 2)
    assert step.item_input(1, "b") == {"i": 1, "x": "b", "k": 7}
    assert step.tolerated() == (1, 10)
    assert step.finish([1, 2]).output == {"xs": ["a", "b"], "k": 7, "most": 2, "ok": 1, "out": [1, 2]}


def test_a_map_whose_items_are_no_array_fails() -> None:
    _, step = work(MAP, {"xs": "a", "most": 2})
    assert isinstance(step, Fail) and step.error.error == "States.Runtime"


def test_a_jsonata_map_reads_items_and_item_selector_from_expressions() -> None:
    _, step = work({"Type": "Map", "Items": "{% $states.input.xs %}",
                    "ItemSelector": {"v": "{% $states.context.Map.Item.Value * $m %}"}, "End": True,
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}},
                   {"xs": [1, 2]}, "JSONata", variables={"m": 10})
    assert isinstance(step, RunBranches)
    assert step.items == [1, 2] and step.item_input(1, 2) == {"v": 20}
    assert step.finish([{"v": 10}, {"v": 20}]) == Next([{"v": 10}, {"v": 20}], None)
