"""Express machines: StartSyncExecution, express ARNs, and the APIs Express does not support."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from sfn_support import ADD_FIELD, FAIL, create, error_of, unique

WAIT_TEN_MINUTES = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})


def test_sync_execution_returns_the_result(sfn):
    name = unique("express")
    machine = create(sfn, definition=ADD_FIELD, name=name, type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=machine, name="run1", input='{"x": 1}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"x": 1, "step": "done"}
    prefix = f"arn:aws:states:us-east-1:123456789012:express:{name}:run1:"
    assert result["executionArn"].startswith(prefix)
    assert result["billingDetails"]["billedDurationInMilliseconds"] >= 100


def test_sync_execution_failure_is_still_200(sfn):
    machine = create(sfn, definition=FAIL, type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=machine)
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "Oops", "on purpose")


def test_express_executions_time_out_after_five_minutes(sfn):
    machine = create(sfn, definition=WAIT_TEN_MINUTES, type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=machine)
    assert (result["status"], result["error"]) == ("TIMED_OUT", "States.Timeout")


def test_sync_execution_needs_an_express_machine(sfn):
    with pytest.raises(ClientError) as excinfo:
        sfn.start_sync_execution(stateMachineArn=create(sfn))
    assert error_of(excinfo) == (
        "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine"
    )


def test_async_express_start_and_unsupported_history_apis(sfn):
    machine = create(sfn, type="EXPRESS")
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert ":express:" in arn
    for call in (sfn.describe_execution, sfn.get_execution_history, sfn.stop_execution,
                 sfn.describe_state_machine_for_execution):
        with pytest.raises(ClientError) as excinfo:
            call(executionArn=arn)
        assert error_of(excinfo) == (
            "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'"
        )
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=machine)
    assert error_of(excinfo)[0] == "StateMachineTypeNotSupported"


def test_express_names_may_repeat(sfn):
    machine = create(sfn, type="EXPRESS")
    one = sfn.start_sync_execution(stateMachineArn=machine, name="same")
    two = sfn.start_sync_execution(stateMachineArn=machine, name="same")
    assert one["executionArn"] != two["executionArn"]

