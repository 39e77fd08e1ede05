"""TestState of a Map or Parallel state with a `mock`, through boto3.

API_TestState: "TestState only supports the following when a mock is specified: Activity tasks,
.sync or .waitForTaskToken service integration patterns, Parallel, or Map states."
https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html
The mock's result stands for the branches' or iterations' results; stateConfiguration
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestStateConfiguration.html)
says how many iterations failed. Expected answers are AWS's, as LocalStack recorded them against
AWS (December 2025 to March 2026): test_test_state_mock_scenarios, test_state_configuration and
test_state_mock_validation; each test names its recording. The recordings show some JSON strings
parsed to objects (LocalStack's snapshot transformer); the wire carries JSON text, as asserted here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/test"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
BRANCHES = [{"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
            {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}}]
MOCKED = [{"branch1": "result"}, {"branch2": "result"}]
VALUES = {"Values": ["first", "second", "third"]}


def _processor(task: dict[str, Any]) -> dict[str, Any]:
    return {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "TestState", "States": {"TestState": {**task, "End": True}}}


LAMBDA = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
          "Arguments": {"FunctionName": "foo", "Payload": "bar"}}
FUNCTION = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hello"}
# The recorded templates base_map_state, base_map_state_catch and base_map_state_retry.
BASE_MAP = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.Values %}",
            "ItemProcessor": _processor(LAMBDA), "Output": "{% $states.result %}", "End": True}
MAP_CATCH = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.Values %}",
             "ItemProcessor": _processor(FUNCTION), "ToleratedFailureCount": 1, "End": True,
             "Catch": [{"ErrorEquals": ["MockException"], "Output": "{% $states %}", "Next": "HandleMockError"},
                       {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Output": "{% $states %}",
                        "Next": "HandleThreshold"}]}
MAP_RETRY = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.Values %}",
             "ItemProcessor": _processor(FUNCTION), "ToleratedFailureCount": 1, "End": True,
             "Retry": [{"ErrorEquals": ["MockException"], "MaxAttempts": 3},
                       {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 2}]}


def test(sfn: Any, state: dict[str, Any], value: Any, **extra: Any) -> dict[str, Any]:
    return sfn.test_state(definition=json.dumps(state), input=json.dumps(value), **extra)  # type: ignore[no-any-return]


test.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def _data(answer: dict[str, Any]) -> dict[str, Any]:
    """inspectionData with its JSON texts read back."""
    return {key: json.loads(value) if isinstance(value, str) else value
            for key, value in answer["inspectionData"].items()}


# -- Parallel ----------------------------------------------------------------------------------


def test_parallel_mock_result_is_the_states_result(sfn: Any) -> None:
    """Recorded: test_base_parallel_state_mock_success[INFO, DEBUG]. The branches do not run (a Pass
    branch would echo the input); DEBUG shows no stage before the result, and no `result`."""
    state = {"Type": "Parallel", "Branches": BRANCHES, "End": True}
    info = test(sfn, state, {"key": "value"}, mock={"result": json.dumps(MOCKED)})
    assert (info["status"], json.loads(info["output"])) == ("SUCCEEDED", MOCKED)
    assert "nextState" not in info and "inspectionData" not in info
    debug = test(sfn, state, {"key": "value"}, mock={"result": json.dumps(MOCKED)}, inspectionLevel="DEBUG")
    assert _data(debug) == {"input": {"key": "value"}, "afterResultSelector": MOCKED, "afterResultPath": MOCKED}


def test_parallel_mock_result_goes_through_result_path(sfn: Any) -> None:
    """Recorded: test_io_parallel_state_mock_success[TRACE] (template io_parallel_state): ResultPath
    puts the result into the raw input; InputPath shows no stage of its own."""
    state = {"Type": "Parallel", "InputPath": "$.parallelInput", "ResultPath": "$.parallelResult",
             "OutputPath": "$", "Branches": BRANCHES, "Next": "After"}
    value = {"parallelInput": {"data": "input_value"}}
    answer = test(sfn, state, value, mock={"result": json.dumps(MOCKED)}, inspectionLevel="TRACE")
    expected = {**value, "parallelResult": MOCKED}
    assert (answer["status"], answer["nextState"], json.loads(answer["output"])) == ("SUCCEEDED", "After", expected)
    assert _data(answer) == {"input": value, "afterResultSelector": MOCKED, "afterResultPath": expected}


def test_parallel_mock_result_in_jsonata(sfn: Any) -> None:
    """Recorded: test_io_jsonata_parallel_state_mock_success[DEBUG] (template io_jsonata_parallel_state):
    Output sees the mock as $states.result; inspectionData has the input only."""
    state = {"Type": "Parallel", "QueryLanguage": "JSONata", "Arguments": "{% $states.input.parallelInput %}",
             "Output": {"parallelInput": "{% $states.input.parallelInput %}", "parallelResult": "{% $states.result %}"},
             "Branches": BRANCHES, "End": True}
    value = {"parallelInput": {"data": "input_value"}}
    answer = test(sfn, state, value, mock={"result": json.dumps(MOCKED)}, inspectionLevel="DEBUG")
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {**value, "parallelResult": MOCKED})
    assert _data(answer) == {"input": value}


def test_parallel_mock_error_output_is_retried_or_caught(sfn: Any) -> None:
    """API_TestState, mock.errorOutput; test-state-isolation.html "Testing error handling": a mocked
    error goes to Retry (RETRIABLE) and then Catch (CAUGHT_ERROR), as for a Task."""
    state = {"Type": "Parallel", "Branches": BRANCHES, "End": True,
             "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 4}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}]}
    mock = {"errorOutput": {"error": "Boom", "cause": "mocked"}}
    retried = test(sfn, state, {"a": 1}, mock=mock, inspectionLevel="DEBUG")
    assert (retried["status"], retried["error"], retried["cause"]) == ("RETRIABLE", "Boom", "mocked")
    assert retried["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 4}
    caught = test(sfn, state, {"a": 1}, mock=mock, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 1})
    assert (caught["status"], caught["nextState"]) == ("CAUGHT_ERROR", "Handle")
    assert json.loads(caught["output"]) == {"a": 1, "error": {"Error": "Boom", "Cause": "mocked"}}
    assert caught["inspectionData"]["errorDetails"] == {"catchIndex": 0}


# -- Map -----------------------------------------------------------------------------------------


def test_map_mock_result_in_jsonata(sfn: Any) -> None:
    """Recorded: test_map_state_failure_count[DEBUG-BASE_MAP_STATE]: the iterations do not run
    (the Lambda task would need a role); inspectionData is the input and MaxConcurrency (0 when
    absent), and with no tolerated failures declared mapIterationFailureCount changes nothing."""
    for failures, mocked in ((0, [1, 1, 1]), (2, [0, 0, 1])):
        answer = test(sfn, BASE_MAP, VALUES, mock={"result": json.dumps(mocked)}, inspectionLevel="DEBUG",
                      stateConfiguration={"mapIterationFailureCount": failures})
        assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", mocked)
        assert _data(answer) == {"input": VALUES, "maxConcurrency": 0}


def test_map_mock_result_in_jsonpath(sfn: Any) -> None:
    """Recorded: test_state_machine_with_state_error[DEBUG] (template base_map_state_machine, stateName
    State0) for the stages before the result; ResultSelector and ResultPath as for a Parallel
    (test_io_parallel_state_mock_success). maxConcurrency and toleratedFailureCount are numbers."""
    definition = {"StartAt": "State0", "States": {"State0": {
        "Type": "Map", "ItemsPath": "$.Values", "ItemProcessor": _processor({"Type": "Pass"}),
        "ToleratedFailureCount": 2, "MaxConcurrency": 5, "ResultSelector": {"n.$": "States.ArrayLength($)"},
        "ResultPath": "$.counted", "Next": "Done"}, "Done": {"Type": "Succeed"}}}
    answer = sfn.test_state(definition=json.dumps(definition), stateName="State0", roleArn=ROLE,
                            input=json.dumps(VALUES), mock={"result": json.dumps([1, 4, 9])}, inspectionLevel="DEBUG")
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", "Done")
    assert json.loads(answer["output"]) == {**VALUES, "counted": {"n": 3}}
    assert answer["inspectionData"]["maxConcurrency"] == 5
    assert _data(answer) == {"input": VALUES, "afterInputPath": VALUES, "afterItemsPath": VALUES["Values"],
                             "maxConcurrency": 5, "toleratedFailureCount": 2, "afterResultSelector": {"n": 3},
                             "afterResultPath": {**VALUES, "counted": {"n": 3}}}


def test_map_mock_error_output_fails_the_state(sfn: Any) -> None:
    """Recorded: test_map_state_error_caused_by_state[DEBUG] (template base_map_state): FAILED with
    the mocked error and cause."""
    mock = {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}}
    answer = test(sfn, BASE_MAP, {"Values": [1, 1, 1]}, mock=mock, inspectionLevel="DEBUG")
    assert (answer["status"], answer["error"], answer["cause"]) == (
        "FAILED", "MockException", "Mock the cause of the error.")
    assert "output" not in answer
    assert _data(answer) == {"input": {"Values": [1, 1, 1]}, "maxConcurrency": 0}


# -- stateConfiguration.mapIterationFailureCount -------------------------------------------------

THRESHOLD = ("States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded")


def test_map_iteration_failures_beyond_the_tolerated_count_are_caught(sfn: Any) -> None:
    """Recorded: test_map_state_failure_count[DEBUG-BASE_MAP_STATE_CATCH]: ToleratedFailureCount 1;
    0 failures succeed with the mock's result; 2 fail the state with ExceedToleratedFailureThreshold,
    which its second catcher takes."""
    below = test(sfn, MAP_CATCH, VALUES, mock={"result": "[1, 1, 1]"}, inspectionLevel="DEBUG",
                 stateConfiguration={"mapIterationFailureCount": 0})
    assert (below["status"], json.loads(below["output"])) == ("SUCCEEDED", [1, 1, 1])
    assert _data(below) == {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1}
    beyond = test(sfn, MAP_CATCH, VALUES, mock={"result": "[0, 0, 1]"}, inspectionLevel="DEBUG",
                  stateConfiguration={"mapIterationFailureCount": 2})
    assert (beyond["status"], beyond["error"], beyond["cause"], beyond["nextState"]) == (
        "CAUGHT_ERROR", *THRESHOLD, "HandleThreshold")
    output = json.loads(beyond["output"])
    assert (output["input"], output["errorOutput"]) == (VALUES, {"Error": THRESHOLD[0], "Cause": THRESHOLD[1]})
    assert output["context"]["State"]["Name"] == "StateName"
    assert _data(beyond) == {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1,
                             "errorDetails": {"catchIndex": 1}}


def test_map_iteration_failures_beyond_the_tolerated_count_are_retriable(sfn: Any) -> None:
    """Recorded: test_map_state_failure_count[TRACE-BASE_MAP_STATE_RETRY]: the second retrier
    matches States.ExceedToleratedFailureThreshold (IntervalSeconds 1 by default)."""
    answer = test(sfn, MAP_RETRY, VALUES, mock={"result": "[0, 0, 1]"}, inspectionLevel="TRACE",
                  stateConfiguration={"mapIterationFailureCount": 2})
    assert (answer["status"], answer["error"], answer["cause"]) == ("RETRIABLE", *THRESHOLD)
    assert "output" not in answer and "nextState" not in answer
    assert _data(answer) == {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1,
                             "errorDetails": {"retryIndex": 1, "retryBackoffIntervalSeconds": 1}}


def test_map_output_reads_the_mocked_iteration_results(sfn: Any) -> None:
    """Recorded: test_map_state_failure_count[INFO-MAP_TASK_STATE] (below the tolerated count)."""
    state = {**MAP_RETRY, "ItemProcessor": _processor(LAMBDA), "Output": {
        "result": "{% $map($states.result, function($v) { $v = 1 ? 'pass' : 'failed' }) %}",
        "successCount": "{% $count($states.result[$ = 1]) %}",
        "failedCount": "{% $count($states.result[$ = 0]) %}"}}
    answer = test(sfn, state, VALUES, mock={"result": "[1, 1, 1]"}, stateConfiguration={"mapIterationFailureCount": 0})
    assert json.loads(answer["output"]) == {"result": ["pass", "pass", "pass"], "successCount": 3, "failedCount": 0}


def test_map_iteration_failures_against_the_tolerated_percentage(sfn: Any) -> None:
    """Not recorded for TestState: the Map fails when more items fail than ToleratedFailurePercentage
    of them, as a running Map does (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html);
    inspectionData shows the percentage (API_InspectionData.toleratedFailurePercentage, a float)."""
    state = {**MAP_RETRY, "ToleratedFailureCount": None, "ToleratedFailurePercentage": 50, "Retry": None}
    state = {key: value for key, value in state.items() if value is not None}
    four = {"Values": [1, 2, 3, 4]}
    within = test(sfn, state, four, mock={"result": "[1, 1, 0, 0]"}, inspectionLevel="DEBUG",
                  stateConfiguration={"mapIterationFailureCount": 2})
    assert within["status"] == "SUCCEEDED"
    assert within["inspectionData"]["toleratedFailurePercentage"] == 50.0
    beyond = test(sfn, state, four, mock={"result": "[1, 0, 0, 0]"}, stateConfiguration={"mapIterationFailureCount": 3})
    assert (beyond["status"], beyond["error"], beyond["cause"]) == ("FAILED", *THRESHOLD)


def test_a_mocked_error_wins_over_the_failure_count(sfn: Any) -> None:
    """Recorded: test_state_configuration_map_iteration_failure_count_with_state_error[DEBUG]: with
    an errorOutput mock the state fails with it, below or beyond the tolerated count."""
    mock = {"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}}
    answer = test(sfn, MAP_RETRY, VALUES, mock=mock, stateConfiguration={"mapIterationFailureCount": 2},
                  inspectionLevel="DEBUG")
    assert (answer["status"], answer["error"], answer["inspectionData"]["errorDetails"]) == (
        "RETRIABLE", "MockException", {"retryIndex": 0, "retryBackoffIntervalSeconds": 1})


@pytest.mark.parametrize("extra, message", [
    ({}, "TestState does not support MapIterationFailureCount when a mock is not specified."),
    # test_map_iteration_failure_count_without_mock
    ({"mock": {"result": "[1, 1, 1]"}},
     "Map iteration failure count must be less than or equal to the number of Map iterations"),
    # test_map_iteration_failure_count_exceeds_mock_result_items
])
def test_a_failure_count_aws_refuses(sfn: Any, extra: dict[str, Any], message: str) -> None:
    """Recorded: test_state_mock_validation (the test named beside each case)."""
    with pytest.raises(ClientError) as caught:
        test(sfn, BASE_MAP, {"Values": [1, 1, 1]}, roleArn=ROLE, stateConfiguration={"mapIterationFailureCount": 4},
             **extra)
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationException", message)


# -- errorCausedByState, mapItemReaderData ---------------------------------------------------------


def test_a_mocked_error_caused_by_a_state_of_the_map(sfn: Any) -> None:
    """Recorded: test_state_machine_with_state_error[DEBUG] (template base_map_state_machine):
    errorCausedByState names the ItemProcessor's state the mocked error came from; the answer is
    the mocked error, below or beyond the tolerated count. JSONPath shows InputPath and ItemsPath."""
    definition = {"StartAt": "State0", "States": {"State0": {
        "Type": "Map", "ItemsPath": "$.Values", "ToleratedFailureCount": 2, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}}}}}
    mock = {"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}}
    for failures in (0, 2):
        answer = sfn.test_state(definition=json.dumps(definition), stateName="State0", roleArn=ROLE,
                                input=json.dumps(VALUES), mock=mock, inspectionLevel="DEBUG",
                                stateConfiguration={"mapIterationFailureCount": failures,
                                                    "errorCausedByState": "HandleItem"})
        assert (answer["status"], answer["error"], answer["cause"]) == (
            "FAILED", "MockException", "Mock the error cause.")
        assert _data(answer) == {"input": VALUES, "afterInputPath": VALUES, "afterItemsPath": VALUES["Values"],
                                 "maxConcurrency": 0, "toleratedFailureCount": 2}


ITEM_READER_MACHINE = {"QueryLanguage": "JSONata", "StartAt": "State0", "States": {"State0": {
    "Type": "Map", "MaxConcurrency": 1, "End": True,
    "ItemReader": {"ReaderConfig": {"InputType": "JSON"}, "Resource": "arn:aws:states:::s3:getObject",
                   "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "{% $states.input.Key %}"}},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}}}}}


def test_a_map_with_an_item_reader_and_its_data(sfn: Any) -> None:
    """Recorded: test_state_machine_configuration_map_iteration_item_reader[DEBUG] and
    test_state_machine_configuration_item_reader_with_error[DEBUG] (template
    map_item_reader_state_machine): nothing is read from S3; the mock's result or error is the
    answer and inspectionData shows the input and MaxConcurrency only."""
    location = {"Bucket": "test-bucket", "Key": "test-key"}
    arguments = {"definition": json.dumps(ITEM_READER_MACHINE), "stateName": "State0", "roleArn": ROLE,
                 "input": json.dumps(location), "inspectionLevel": "DEBUG"}
    answer = sfn.test_state(**arguments, mock={"result": "[1, 4, 9]"},
                            stateConfiguration={"mapItemReaderData": "[1, 2, 3]"})
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", [1, 4, 9])
    assert _data(answer) == {"input": location, "maxConcurrency": 1}
    failed = sfn.test_state(**arguments, mock={"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}},
                            stateConfiguration={"mapIterationFailureCount": 2, "errorCausedByState": "HandleItem",
                                                "mapItemReaderData": "[1, 2, 3]"})
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "MockException", "Mock the error cause.")
    assert _data(failed) == {"input": location, "maxConcurrency": 1}


# -- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("state, mock, message", [
    ({"Type": "Parallel", "Branches": BRANCHES, "End": True}, {"mock": "object"},
     "Mocked result must be an array."),  # test_mock_result_is_not_array_on_parallel_state
    ({"Type": "Parallel", "Branches": BRANCHES, "End": True}, [{"branch1": "result"}],
     "Mocked result must contain the same number of items as number of Parallel branches."),
    # test_mock_result_array_size_mismatch_on_parallel_state
    (BASE_MAP, {"mock": "object"}, "Mocked result must be an array."),
    # test_mock_result_is_not_array_on_map_state_without_result_writer
    ({"Type": "Map", "ItemsPath": "$.Values", "ItemProcessor": _processor({"Type": "Pass"}), "End": True,
      "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                       "Parameters": {"Bucket": "result-bucket", "Prefix": "mapJobs"}}},
     ["an array"], "Mocked result must be a JSON object."),
    # test_mock_result_is_not_object_on_map_state_with_result_writer
])
def test_a_mocked_result_of_the_wrong_shape_is_refused(sfn: Any, state: dict[str, Any], mock: Any,
                                                       message: str) -> None:
    """Recorded: test_state_mock_validation (the test named beside each case)."""
    with pytest.raises(ClientError) as caught:
        test(sfn, state, VALUES, mock={"result": json.dumps(mock)})
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationException", message)
