"""An order saga through local Lambda handlers: Retry on a transient error, and a compensating
Catch. Result shapes and error causes follow AWS's connect-lambda page and the recorded cases
v2/error_handling/test_task_lambda (function-ARN form) and test_task_service_lambda (lambda:invoke)."""

from __future__ import annotations

import json

import pytest
import saga_handlers

from asl_engine.tasks.config import TaskConfig
from task_support import run_with

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
CONFIG = TaskConfig(lambda_handlers={
    "reserve": "saga_handlers:reserve", "charge": "saga_handlers:charge", "release": "saga_handlers:release"})

SAGA = {
    "StartAt": "Reserve",
    "States": {
        "Reserve": {
            "Type": "Task", "Resource": FN + "reserve", "ResultPath": "$.reservation",
            "Retry": [{"ErrorEquals": ["InventoryBusy"], "IntervalSeconds": 30, "MaxAttempts": 3}],
            "Next": "Charge",
        },
        "Charge": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload": {"amount.$": "$.amount"}},
            "ResultSelector": {"charged.$": "$.Payload.charged"}, "ResultPath": "$.payment",
            "Catch": [{"ErrorEquals": ["PaymentDeclined"], "ResultPath": "$.error", "Next": "Release"}],
            "Next": "Done",
        },
        "Release": {
            "Type": "Task", "Resource": FN + "release",
            "Parameters": {"reservation.$": "$.reservation.reservation"}, "ResultPath": None,
            "Next": "Declined",
        },
        "Declined": {"Type": "Fail", "Error": "OrderDeclined", "Cause": "payment failed"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture(autouse=True)
def fresh_handlers() -> None:
    saga_handlers.reset()


def test_saga_retries_a_busy_inventory_then_charges() -> None:
    saga_handlers.reset(flaky_failures=2)
    result = run_with(CONFIG, SAGA, {"order": 7, "amount": 40})
    assert result.status == "SUCCEEDED"
    assert result.output["payment"] == {"charged": 40}
    assert result.output["reservation"] == {"reservation": "r-7"}
    assert saga_handlers.CALLS == ["reserve", "reserve", "reserve", "charge"]
    assert result.event_types.count("LambdaFunctionFailed") == 2  # function-ARN form
    assert "TaskSucceeded" in result.event_types  # lambda:invoke records Task* events


def test_declined_payment_is_compensated() -> None:
    result = run_with(CONFIG, SAGA, {"order": 8, "amount": 500})
    assert (result.status, result.error) == ("FAILED", "OrderDeclined")
    assert saga_handlers.CALLS == ["reserve", "charge", "release"]
    failed = next(e for e in result.events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert failed["error"] == "PaymentDeclined"
    cause = json.loads(failed["cause"])  # lambda:invoke: the function's error payload, compact JSON
    assert cause["errorMessage"] == "card declined for 500" and cause["errorType"] == "PaymentDeclined"
    assert ", " not in failed["cause"].split('"stackTrace"')[0]


def test_lambda_invoke_result_shape() -> None:
    definition = {"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FN + "charge:$LATEST", "Payload": {"amount": 5}}, "End": True}}}
    output = run_with(CONFIG, definition).output
    assert output["Payload"] == {"charged": 5}
    assert output["StatusCode"] == 200 and output["ExecutedVersion"] == "$LATEST"
    assert {"SdkHttpMetadata", "SdkResponseMetadata"} <= output.keys()


def test_unconfigured_function_says_how_to_configure_it() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": FN + "nowhere", "End": True}}}
    result = run_with(TaskConfig(), definition)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "ASL_LAMBDA_HANDLERS=nowhere=module:function" in result.cause
    assert "LAMBDA_ENDPOINT" in result.cause
