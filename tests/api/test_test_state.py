"""TestState through boto3: one state run on its own.

AWS documents the action at https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html
and its behaviour (status, nextState, inspectionData, mocks, retries and catchers) in "Using
TestState API to test a state in Step Functions":
https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

API = "https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html"
GUIDE = "https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html"
ROLE = "arn:aws:iam::123456789012:role/test"


def test(sfn: Any, state: dict[str, Any], value: Any = None, **extra: Any) -> dict[str, Any]:
    arguments = {"definition": json.dumps(state), "roleArn": ROLE, **extra}
    if value is not None:
        arguments["input"] = json.dumps(value)
    return sfn.test_state(**arguments)


test.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def test_pass_with_parameters_shows_its_data_flow(sfn: Any) -> None:
    # GUIDE, "Testing input and output data flow": DEBUG returns each processing step.
    state = {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "fixed": 1},
             "ResultPath": "$.result", "Next": "Ship"}
    answer = test(sfn, state, {"order": {"id": 7}}, inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "Ship"
    assert json.loads(answer["output"]) == {"order": {"id": 7}, "result": {"id": 7, "fixed": 1}}
    data = answer["inspectionData"]
    assert json.loads(data["input"]) == {"order": {"id": 7}}
    assert json.loads(data["afterInputPath"]) == {"id": 7}
    assert json.loads(data["afterParameters"]) == {"id": 7, "fixed": 1}
    assert json.loads(data["result"]) == {"id": 7, "fixed": 1}
    assert json.loads(data["afterResultSelector"]) == {"id": 7, "fixed": 1}
    assert json.loads(data["afterResultPath"]) == {"order": {"id": 7}, "result": {"id": 7, "fixed": 1}}


def test_info_level_has_no_inspection_data_and_end_has_no_next_state(sfn: Any) -> None:
    # API: inspectionLevel INFO (the default) returns output and status only; nextState is
    # absent when the definition has no next state.
    answer = test(sfn, {"Type": "Pass", "Result": {"a": 1}, "End": True}, {"x": 1})
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"a": 1}
    assert "nextState" not in answer and "inspectionData" not in answer


def test_choice_reports_the_chosen_next_state(sfn: Any) -> None:
    # GUIDE: a Choice state's test returns the state it would go to as nextState.
    state = {"Type": "Choice", "Default": "Small",
             "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}]}
    assert test(sfn, state, {"n": 11})["nextState"] == "Big"
    assert test(sfn, state, {"n": 1})["nextState"] == "Small"


def test_choice_that_loops_to_itself(sfn: Any) -> None:
    # GUIDE: the state is run once; a transition back to itself is only reported.
    definition = {"StartAt": "Loop", "States": {
        "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "Loop"}],
                 "Default": "Done"},
        "Done": {"Type": "Succeed"}}}
    answer = sfn.test_state(definition=json.dumps(definition), stateName="Loop", roleArn=ROLE,
                            input=json.dumps({"again": True}))
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "Loop"


def test_fail_state_fails(sfn: Any) -> None:
    # API: status FAILED with the error and cause of the failed state.
    answer = test(sfn, {"Type": "Fail", "Error": "Oops", "Cause": "it broke"})
    assert answer["status"] == "FAILED"
    assert (answer["error"], answer["cause"]) == ("Oops", "it broke")
    assert "output" not in answer and "nextState" not in answer


def test_caught_error_returns_the_catchers_output_and_next(sfn: Any) -> None:
    # GUIDE, "Testing error handling": a caught error is CAUGHT_ERROR with the catcher's Next.
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
             "Catch": [{"ErrorEquals": ["Other"], "Next": "Nope"},
                       {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}]}
    answer = test(sfn, state, {"k": 1}, inspectionLevel="DEBUG",
                  mock={"errorOutput": {"error": "Boom", "cause": "bad"}})
    assert answer["status"] == "CAUGHT_ERROR"
    assert answer["nextState"] == "Handle"
    assert (answer["error"], answer["cause"]) == ("Boom", "bad")
    assert json.loads(answer["output"]) == {"k": 1, "error": {"Error": "Boom", "Cause": "bad"}}
    assert answer["inspectionData"]["errorDetails"]["catchIndex"] == 1


def test_retriable_error(sfn: Any) -> None:
    # GUIDE, "Testing error handling": an error a retrier matches is RETRIABLE; with
    # stateConfiguration.retrierRetryCount at MaxAttempts the catcher takes it instead.
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
             "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 3, "BackoffRate": 2}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]}
    mock = {"errorOutput": {"error": "Boom", "cause": "bad"}}
    answer = test(sfn, state, {}, mock=mock, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 1})
    assert answer["status"] == "RETRIABLE"
    assert (answer["error"], answer["cause"]) == ("Boom", "bad")
    assert "nextState" not in answer
    assert answer["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 6}
    exhausted = test(sfn, state, {}, mock=mock, stateConfiguration={"retrierRetryCount": 2})
    assert exhausted["status"] == "CAUGHT_ERROR" and exhausted["nextState"] == "Handle"


def test_task_with_a_mocked_result(sfn: Any) -> None:
    # API, MockInput.result: the mocked result stands for the integration's response.
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "f", "Payload.$": "$"},
             "ResultSelector": {"value.$": "$.Payload.value"}, "ResultPath": "$.out", "Next": "After"}
    answer = test(sfn, state, {"in": 1}, inspectionLevel="DEBUG",
                  mock={"result": json.dumps({"StatusCode": 200, "Payload": {"value": 42}})})
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "After"
    assert json.loads(answer["output"]) == {"in": 1, "out": {"value": 42}}
    data = answer["inspectionData"]
    assert json.loads(data["afterParameters"]) == {"FunctionName": "f", "Payload": {"in": 1}}
    assert json.loads(data["result"]) == {"StatusCode": 200, "Payload": {"value": 42}}
    assert json.loads(data["afterResultSelector"]) == {"value": 42}


def test_variables_and_assign(sfn: Any) -> None:
    # API, TestStateInput.variables: JSON of the variables the state starts with.
    state = {"Type": "Pass", "Parameters": {"seen.$": "$x"}, "Assign": {"y.$": "$x"}, "End": True}
    answer = test(sfn, state, {}, variables=json.dumps({"x": 5}), inspectionLevel="DEBUG")
    assert json.loads(answer["output"]) == {"seen": 5}
    assert json.loads(answer["inspectionData"]["variables"]) == {"x": 5, "y": 5}


def test_invalid_definition(sfn: Any) -> None:
    # API, Errors: InvalidDefinition, as CreateStateMachine answers.
    with pytest.raises(ClientError) as raised:
        test(sfn, {"Type": "Pass", "Next": "X", "End": True})
    assert raised.value.response["Error"]["Code"] == "InvalidDefinition"
    with pytest.raises(ClientError) as raised:
        sfn.test_state(definition="{not json", roleArn=ROLE)
    assert raised.value.response["Error"]["Code"] == "InvalidDefinition"


def test_wait_and_jsonata_states(sfn: Any) -> None:
    # API: Wait and JSONata states can be tested too; here a Wait state does not wait (asl-engine).
    waited = test(sfn, {"Type": "Wait", "Seconds": 3600, "Next": "Later"}, {"a": 1})
    assert (waited["status"], waited["nextState"], json.loads(waited["output"])) == ("SUCCEEDED", "Later", {"a": 1})
    jsonata = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a + 1 %}", "End": True}
    answer = test(sfn, jsonata, {"a": 1}, inspectionLevel="DEBUG")
    assert json.loads(answer["output"]) == 2
    assert json.loads(answer["inspectionData"]["input"]) == {"a": 1}


TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
MAP = {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}
PARALLEL = {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}],
            "End": True}


@pytest.mark.parametrize("state, extra, error", [
    (MAP, {}, ("InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state types "
                                    "include: [Task, Wait, Pass, Succeed, Fail, Choice]")),
    (PARALLEL, {}, ("InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state "
                                         "types include: [Task, Wait, Pass, Succeed, Fail, Choice]")),
    ({"Type": "Pass", "End": True}, {"mock": {"result": "{}"}},
     ("ValidationException", "State type 'Pass' is not supported when a mock is specified")),
    ({"Type": "Succeed"}, {"mock": {"result": "{}"}},
     ("ValidationException", "State type 'Succeed' is not supported when a mock is specified")),
    (TASK, {"mock": {"result": "{}", "errorOutput": {"error": "E", "cause": "c"}}},
     ("ValidationException", "A test mock should have only one of the following fields: [result, errorOutput].")),
    (TASK, {"mock": {"result": "{}"}, "revealSecrets": True},
     ("ValidationException", "TestState does not support RevealSecrets when a mock is specified.")),
    (TASK, {"roleArn": None}, ("ValidationException", "RoleArn must be specified when testing a Task state")),
])
def test_requests_aws_refuses(sfn: Any, state: dict[str, Any], extra: dict[str, Any], error: tuple[str, str]) -> None:
    """Recorded against AWS, December 2025 to March 2026 (LocalStack's snapshots of
    test_state_mock_validation: test_state_type_requires_mock, test_both_mock_result_and_mock_error_output_are_set,
    test_reveal_secrets_is_true_and_mock_result_is_set; test_test_state_scenarios:
    test_base_lambda_service_task_state_no_role_arn_validation). Each ran before."""
    arguments = {"definition": json.dumps(state), "roleArn": ROLE, **extra}
    with pytest.raises(ClientError) as caught:
        sfn.test_state(**{key: value for key, value in arguments.items() if value is not None})
    assert (caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]) == error


def test_an_activity_task_takes_its_mock(sfn: Any) -> None:
    """API_TestState: "TestState only supports the following when a mock is specified: Activity
    tasks, .sync or .waitForTaskToken service integration patterns, Parallel, or Map states." An
    activity task's mock was ignored: the call waited five minutes for a worker."""
    activity = sfn.create_activity(name="tested-with-a-mock")["activityArn"]
    state = {"Type": "Task", "Resource": activity, "ResultPath": "$.got", "End": True}
    answer = test(sfn, state, {"a": 1}, mock={"result": json.dumps({"m": 1})})
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"a": 1, "got": {"m": 1}})
    failed = test(sfn, state, {"a": 1}, mock={"errorOutput": {"error": "Boom", "cause": "mocked"}})
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Boom", "mocked")
