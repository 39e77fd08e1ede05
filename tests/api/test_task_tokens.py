"""Task tokens through boto3: SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat and their errors,
and a human-approval flow whose token travels in a real SQS message (moto on loopback).

The pattern is "Wait for a Callback with Task Token"
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token)
with SQS (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html); the errors are
the model's (TaskDoesNotExist, InvalidToken, TaskTimedOut, InvalidOutput); the event sequence is
recorded in v2/scenarios/test_sfn_scenarios::test_wait_for_callback (success and failure), and a
missed heartbeat is TaskTimedOut with States.Timeout (v2/callback/test_callback heartbeat cases).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sfn_support import create, error_of, unique, wait_done


def approval_machine(queue_url: str, **task: Any) -> str:
    return json.dumps({"StartAt": "AskApproval", "States": {
        "AskApproval": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue_url,
                           "MessageBody": {"token.$": "$$.Task.Token", "request.$": "$"}},
            "ResultPath": "$.decision",
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.rejection", "Next": "Rejected"}],
            "Next": "Approved", **task},
        "Approved": {"Type": "Pass", "End": True},
        "Rejected": {"Type": "Pass", "End": True}}})


def receive_request(sqs: Any, queue_url: str) -> dict[str, Any]:
    """The approver's side: the message the execution sent, with its token."""
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5, MaxNumberOfMessages=1)["Messages"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return dict(json.loads(messages[0]["Body"]))


@pytest.fixture
def queue(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=unique("approvals"))["QueueUrl"])


def test_human_approval_through_sqs(tasks_sfn: Any, sqs: Any, queue: str) -> None:
    machine = create(tasks_sfn, approval_machine(queue))
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input='{"amount": 1200}')["executionArn"]
    message = receive_request(sqs, queue)
    assert message["request"] == {"amount": 1200}
    decision = json.dumps({"approved": True, "by": "alice"})
    tasks_sfn.send_task_success(taskToken=message["token"], output=decision)
    described = wait_done(tasks_sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"amount": 1200, "decision": {"approved": True, "by": "alice"}}
    events = tasks_sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events][2:6] == [
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert "MessageId" in json.loads(events[4]["taskSubmittedEventDetails"]["output"])
    with pytest.raises(ClientError) as excinfo:  # answered once: "the task associated with the
        # token has already been closed" (API reference, TaskTimedOut:
        # https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html)
        tasks_sfn.send_task_success(taskToken=message["token"], output="{}")
    assert error_of(excinfo)[0] == "TaskTimedOut"


def test_send_task_failure_is_caught_by_catch(tasks_sfn: Any, sqs: Any, queue: str) -> None:
    machine = create(tasks_sfn, approval_machine(queue))
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input='{"amount": 9000}')["executionArn"]
    token = receive_request(sqs, queue)["token"]
    tasks_sfn.send_task_failure(taskToken=token, error="Rejected", cause="too expensive")
    described = wait_done(tasks_sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"amount": 9000,
                                                "rejection": {"Error": "Rejected", "Cause": "too expensive"}}
    types = [e["type"] for e in tasks_sfn.get_execution_history(executionArn=execution)["events"]]
    assert "TaskFailed" in types and types[-2:] == ["PassStateExited", "ExecutionSucceeded"]


def test_send_task_failure_without_a_catch_fails_the_execution(tasks_sfn: Any, sqs: Any, queue: str) -> None:
    machine = create(tasks_sfn, approval_machine(queue))
    execution = tasks_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    tasks_sfn.send_task_failure(taskToken=receive_request(sqs, queue)["token"], error="Nope")
    described = wait_done(tasks_sfn, execution)
    assert (described["status"], described["error"]) == ("FAILED", "Nope")
    assert "cause" not in described


def test_errors_of_the_send_actions(tasks_sfn: Any, sqs: Any, queue: str) -> None:
    machine = create(tasks_sfn, approval_machine(queue))
    execution = tasks_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = receive_request(sqs, queue)["token"]
    with pytest.raises(ClientError) as excinfo:
        tasks_sfn.send_task_success(taskToken=token, output="{not json")
    assert error_of(excinfo)[0] == "InvalidOutput"
    for send in (lambda t: tasks_sfn.send_task_success(taskToken=t, output="{}"),
                 lambda t: tasks_sfn.send_task_failure(taskToken=t),
                 lambda t: tasks_sfn.send_task_heartbeat(taskToken=t)):
        with pytest.raises(ClientError) as excinfo:
            send("not a token!")
        assert error_of(excinfo)[0] == "InvalidToken"
        with pytest.raises(ClientError) as excinfo:
            send("AQ" + "x" * 64)
        assert error_of(excinfo)[0] == "TaskDoesNotExist"
    tasks_sfn.send_task_heartbeat(taskToken=token)  # still waiting after all that
    tasks_sfn.send_task_success(taskToken=token, output='{"approved": true}')
    assert wait_done(tasks_sfn, execution)["status"] == "SUCCEEDED"


def test_a_token_whose_heartbeat_ran_out_is_task_timed_out(tasks_sfn: Any, sqs: Any, queue: str) -> None:
    """On the virtual clock the 5-second heartbeat window passes as soon as the server idles."""
    machine = create(tasks_sfn, approval_machine(queue, HeartbeatSeconds=5))
    execution = tasks_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = receive_request(sqs, queue)["token"]
    described = wait_done(tasks_sfn, execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    for send in (lambda: tasks_sfn.send_task_success(taskToken=token, output="{}"),
                 lambda: tasks_sfn.send_task_heartbeat(taskToken=token)):
        with pytest.raises(ClientError) as excinfo:
            send()
        assert error_of(excinfo)[0] == "TaskTimedOut"
