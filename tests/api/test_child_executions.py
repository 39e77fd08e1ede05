"""`arn:aws:states:::states:startExecution` run on this server as child executions.

Shapes from "Start a new AWS Step Functions state machine execution" (connect-stepfunctions:
https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html) and the recorded
cases v2/callback/test_callback::test_start_execution_sync2 (`.sync:2`: Output parsed),
test_start_execution_sync_delegate_failure (States.TaskFailed, the child's description as the
cause), v2/services/test_sfn_task_service::test_start_execution_input_json (plain start:
ExecutionArn and StartDate) and v2/error_handling/test_task_service_sfn::
test_start_execution_no_such_arn (StepFunctions.StateMachineDoesNotExistException).
"""

from __future__ import annotations

import json
from typing import Any

from sfn_support import FAIL, create, unique, wait_done
from tasks_support import wait_for_event

CHILD = json.dumps({"StartAt": "Work", "States": {"Work": {
    "Type": "Pass", "Parameters": {"Arg1": "argument1", "got.$": "$"}, "End": True}}})


def parent(resource: str, **task: Any) -> str:
    return json.dumps({"StartAt": "StartExecution", "States": {"StartExecution": {
        "Type": "Task", "Resource": resource,
        "Parameters": {"StateMachineArn.$": "$.StateMachineArn", "Input.$": "$.Input", "Name.$": "$.Name"},
        "End": True, **task}}})


def run_parent(client: Any, resource: str, child_definition: str, child_input: Any = None,
               **task: Any) -> tuple[dict[str, Any], str]:
    child = create(client, child_definition)
    machine = create(client, parent(resource, **task))
    name = unique("child")
    value = {"StateMachineArn": child, "Input": child_input, "Name": name}
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps(value))["executionArn"]
    return wait_done(client, execution), child


def test_sync2_returns_the_child_description_with_output_parsed(tasks_sfn: Any) -> None:
    described, child = run_parent(tasks_sfn, "arn:aws:states:::states:startExecution.sync:2", CHILD)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert output["Output"] == {"Arg1": "argument1", "got": {}}
    assert output["Input"] == {}  # a null Input starts the child with {}
    assert (output["Status"], output["StateMachineArn"]) == ("SUCCEEDED", child)
    assert output["InputDetails"] == output["OutputDetails"] == {"Included": True}
    assert set(output) == {"ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails",
                           "StartDate", "StateMachineArn", "Status", "StopDate"}
    child_execution = tasks_sfn.describe_execution(executionArn=output["ExecutionArn"])
    assert child_execution["status"] == "SUCCEEDED"  # a real execution of this server


def test_sync_returns_input_and_output_as_json_text(tasks_sfn: Any) -> None:
    described, _ = run_parent(tasks_sfn, "arn:aws:states:::states:startExecution.sync", CHILD, {"n": 1})
    output = json.loads(described["output"])
    assert output["Input"] == '{"n":1}'
    assert json.loads(output["Output"]) == {"Arg1": "argument1", "got": {"n": 1}}
    events = tasks_sfn.get_execution_history(executionArn=described["executionArn"])["events"]
    types = [event["type"] for event in events]
    assert types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                     "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_failed_child_fails_the_task_with_its_description(tasks_sfn: Any) -> None:
    described, _ = run_parent(tasks_sfn, "arn:aws:states:::states:startExecution.sync", FAIL)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(described["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Oops", "on purpose")
    assert "Output" not in cause


def test_a_failed_child_can_be_caught(tasks_sfn: Any) -> None:
    catch = [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Handled"}]
    definition = json.loads(parent("arn:aws:states:::states:startExecution.sync:2", Catch=catch))
    definition["States"]["StartExecution"].pop("End")
    definition["States"]["StartExecution"]["Next"] = "Handled"
    definition["States"]["Handled"] = {"Type": "Pass", "End": True}
    child = create(tasks_sfn, FAIL)
    machine = create(tasks_sfn, json.dumps(definition))
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input=json.dumps(
        {"StateMachineArn": child, "Input": {}, "Name": unique("c")}))["executionArn"]
    described = wait_done(tasks_sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["failure"]["Error"] == "States.TaskFailed"


def test_plain_start_returns_at_once(tasks_sfn: Any) -> None:
    described, _ = run_parent(tasks_sfn, "arn:aws:states:::states:startExecution", CHILD, {"Hello": "World"})
    output = json.loads(described["output"])
    assert output["ExecutionArn"].split(":")[5] == "execution"
    assert isinstance(output["StartDate"], int)
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["SdkResponseMetadata"]["RequestId"]
    child = wait_done(tasks_sfn, output["ExecutionArn"])
    assert json.loads(child["input"]) == {"Hello": "World"}


def test_no_such_state_machine_is_the_sdk_error(tasks_sfn: Any) -> None:
    machine = create(tasks_sfn, parent("arn:aws:states:::states:startExecution"))
    missing = f"arn:aws:states:us-east-1:123456789012:stateMachine:{unique('missing')}"
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input=json.dumps(
        {"StateMachineArn": missing, "Input": None, "Name": "TestStartTarget"}))["executionArn"]
    described = wait_done(tasks_sfn, execution)
    assert described["error"] == "StepFunctions.StateMachineDoesNotExistException"
    assert described["cause"].startswith(
        f"State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; "
        "Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ")


def test_wait_for_task_token_child_answers_its_parent(tasks_sfn: Any) -> None:
    """The child gets the parent's token in its input and the test answers for it."""
    child = create(tasks_sfn, CHILD)
    definition = json.dumps({"StartAt": "Delegate", "States": {"Delegate": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}}, "End": True}}})
    execution = tasks_sfn.start_execution(stateMachineArn=create(tasks_sfn, definition))["executionArn"]
    submitted = wait_for_event(tasks_sfn, execution, "TaskSubmitted")
    child_arn = json.loads(submitted["taskSubmittedEventDetails"]["output"])["ExecutionArn"]
    token = json.loads(wait_done(tasks_sfn, child_arn)["output"])["got"]["token"]
    tasks_sfn.send_task_success(taskToken=token, output='{"from": "child"}')
    assert json.loads(wait_done(tasks_sfn, execution)["output"]) == {"from": "child"}
