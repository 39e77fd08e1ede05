"""A MockConfigFile written for AWS Step Functions Local works unchanged.

The file is the example on AWS's page sfn-local-mock-cfg-file (state machine
LambdaSQSIntegration, test cases HappyPath/RetryPath/HybridPath); the counter rule (one per state
per execution, advanced by retries and Map iterations) is the one that page and
sfn-local-test-sm-exec describe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl_engine.tasks.config import TaskConfig
from task_support import run_with

AWS_EXAMPLE = {
    "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
    }}},
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
        "LambdaMockedResourceNotReady": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}}},
        "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}},
        },
    },
}

# The state machine of AWS's sfn-local-test-sm-exec page, trimmed to its two Task states.
MACHINE = {"StartAt": "LambdaState", "States": {
    "LambdaState": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
        "Next": "SQSState"},
    "SQSState": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
                                "MessageBody.$": "$"}, "End": True}}}


@pytest.fixture
def config(tmp_path: Path) -> TaskConfig:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(AWS_EXAMPLE))
    return TaskConfig.from_env({"SFN_MOCK_CONFIG": str(path)})


def _run(config: TaskConfig, case: str, definition: dict = MACHINE):
    return run_with(config, definition, {}, test_case=case, state_machine_name="LambdaSQSIntegration")


def test_happy_path(config: TaskConfig) -> None:
    result = _run(config, "HappyPath")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["MessageId"] == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"


def test_retry_path_consumes_indices_0_to_3(config: TaskConfig) -> None:
    result = _run(config, "RetryPath")
    assert result.status == "SUCCEEDED", result.cause
    failures = [e["taskFailedEventDetails"]["error"] for e in result.events if e["type"] == "TaskFailed"]
    assert failures == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]


def test_hybrid_path_calls_the_real_integration_for_unmocked_states(config: TaskConfig) -> None:
    result = _run(config, "HybridPath")  # SQSState is not mocked, and no SQS endpoint is configured
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "SQS_ENDPOINT" in result.cause


def test_map_iterations_advance_one_counter(config: TaskConfig) -> None:
    """Four iterations of one state take indices 0, 1, 2, 3 of MockedLambdaRetry in order."""
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "LambdaState", "States": {"LambdaState": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "HelloWorldFunction", "Payload.$": "$"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "OutputPath": "$.Payload.body", "End": True},
            "Failed": {"Type": "Pass", "OutputPath": "$.Error", "End": True}}}}}}
    result = run_with(config, definition, {"items": [1, 2, 3, 4]}, test_case="RetryPath",
                      state_machine_name="LambdaSQSIntegration")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException",
                             "Lambda.TimeoutException", "Hello from Lambda!"]


def test_missing_index_fails_with_states_runtime(config: TaskConfig) -> None:
    """MockedLambdaSuccess defines index 0 only: the loop's second entry has no response."""
    twice = {"StartAt": "LambdaState", "States": {
        "LambdaState": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "f"}, "ResultPath": "$.r", "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [{"Variable": "$.r", "IsPresent": True, "Next": "LambdaState"}]}}}
    result = _run(config, "HappyPath", twice)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "invocation 1 of the state 'LambdaState'" in result.cause
