"""Item 3 of issue 15: a JSONata field given a literal of the wrong type fails as AWS fails it.

AWS evaluates a JSONata state's field and checks the type of what it gets, literal or expression:
a Map `Items` that is not an array, a number field that is not a number, fails the state with
`States.QueryEvaluationError` ("... returned an unexpected result type. Expected 'array', but was
'string' ..."), recorded for expressions in ../shared/conformance/aws/cases
(v2_query_language `test_base_map` / `ITEMS_*` and `test_jsonata_*_wait_seconds*` cases), and
documented at https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
("Errors": States.QueryEvaluationError, "when the JSONata expression evaluates to an unexpected type")
and https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html (Items: "a JSON array or a
JSONata expression that must evaluate to an array").

And whatever goes wrong inside the engine, an execution ends with its closing event:
`ExecutionFailed` (States.Runtime), never a history that stops at ExecutionStarted
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html: a
closed execution's history ends with its Execution* closing event).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sfn_support import create, wait_done

from asl_engine.testing import run_definition

PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def _jsonata(state: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {**state, "End": True}}}


@pytest.mark.parametrize("state, field, expected, was, value", [
    ({"Type": "Map", "Items": "abc", "ItemProcessor": PROCESSOR}, "Items", "array", "string", '"abc"'),
    ({"Type": "Map", "Items": {"a": 1}, "ItemProcessor": PROCESSOR}, "Items", "array", "object", '{"a":1}'),
    ({"Type": "Map", "Items": [1], "MaxConcurrency": "8", "ItemProcessor": PROCESSOR}, "MaxConcurrency",
     "number", "string", '"8"'),
    ({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": "abc"}, "TimeoutSeconds",
     "number", "string", '"abc"'),
])
def test_a_literal_of_the_wrong_type_is_a_query_evaluation_error(
        state: dict[str, Any], field: str, expected: str, was: str, value: str) -> None:
    result = run_definition(_jsonata(state), {})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert result.cause.endswith(f"specified for the field '{field}' returned an unexpected result type. "
                                 f"Expected '{expected}', but was '{was}' for value: {value}")
    assert result.event_types[0] == "ExecutionStarted"
    assert result.event_types[-1] == "ExecutionFailed"
    assert "EvaluationFailed" in result.event_types


def test_through_the_server_the_history_is_complete(sfn: Any) -> None:
    machine = create(sfn, definition=json.dumps(_jsonata({"Type": "Map", "Items": "abc",
                                                          "ItemProcessor": PROCESSOR})))
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    described = wait_done(sfn, execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.QueryEvaluationError")
    types = [event["type"] for event in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types == ["ExecutionStarted", "MapStateEntered", "EvaluationFailed", "MapStateFailed", "ExecutionFailed"]


def test_an_engine_crash_still_closes_the_history() -> None:
    """A task handler object (as the engine's own dispatcher is) that raises something no
    integration raises stands for any bug in the engine. (A test's plain `tasks=` function is a
    stand-in integration instead: its exception fails the task, as a Lambda function's does.)"""

    class Broken:
        async def __call__(self, request: Any) -> Any:
            raise KeyError("boom")

    broken = Broken()
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "End": True}}}
    result = run_definition(definition, {}, tasks=broken)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == "Internal error in asl-engine: KeyError('boom')"
    assert result.event_types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                  "ExecutionFailed"]
