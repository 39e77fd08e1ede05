"""Boundaries (issue 13, item 6): what a definition or a caller cannot reach.

`http:invoke` calls public HTTPS APIs in AWS
(https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html); here it refuses
loopback, private, link-local and this machine's addresses unless ASL_ENGINE_HTTP_ALLOW names them.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from sfn_support import create, unique, wait_done


def _invoke(endpoint: str) -> str:
    """An HTTP Task as AWS takes it, with a connection; the server has no connections file, so the
    destination is refused before any connection is looked up."""
    connection = "arn:aws:events:us-east-1:123456789012:connection/api/0f1e2d3c-aaaa-bbbb-cccc-000000000000"
    return json.dumps({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint": endpoint, "Method": "POST", "Authentication": {"ConnectionArn": connection}},
        "End": True}}})


@pytest.mark.parametrize("endpoint", [
    "{server}/",  # the emulator's own API
    "http://localhost:{port}/",  # a name that resolves to loopback
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
    "http://10.1.2.3/",
    "http://192.168.0.1/",
    "http://0.0.0.0:{port}/",
])
def test_http_invoke_refuses_addresses_that_are_not_public(sfn, server, endpoint):
    url = endpoint.format(server=server.url, port=server.port)
    started = sfn.start_execution(stateMachineArn=create(sfn, _invoke(url)), input="{}")
    described = wait_done(sfn, started["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "States.Http.Socket")
    assert "ASL_ENGINE_HTTP_ALLOW" in described["cause"]


def test_http_invoke_refuses_other_schemes(sfn):
    started = sfn.start_execution(stateMachineArn=create(sfn, _invoke("file:///etc/passwd")), input="{}")
    described = wait_done(sfn, started["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "States.Http.Socket")


def test_a_child_execution_stays_in_its_parents_account(make_client):
    """Account B cannot run account A's machine through startExecution.sync:2 and read its output:
    from B, A's machine does not exist (a 12-digit access key selects the account)."""
    account_a, account_b = make_client(access_key="111111111111"), make_client(access_key="222222222222")
    child = create(account_a, json.dumps({"StartAt": "S", "States": {"S": {
        "Type": "Pass", "Result": {"secret": "of A"}, "End": True}}}))
    parent = create(account_b, json.dumps({"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child}, "End": True}}}))
    described = wait_done(account_b, account_b.start_execution(stateMachineArn=parent)["executionArn"])
    assert (described["status"], described["error"]) == (
        "FAILED", "StepFunctions.StateMachineDoesNotExistException")
    assert "of A" not in described["cause"]
    assert account_a.list_executions(stateMachineArn=child)["executions"] == []


def test_a_task_token_is_answered_only_from_its_own_account_and_region(make_client):
    """Account B (or another region of A) cannot answer, fail or heartbeat account A's task."""
    account_a = make_client(access_key="111111111111")
    activity = account_a.create_activity(name=unique("owner"))["activityArn"]
    machine = create(account_a, json.dumps({"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": activity, "End": True}}}))
    execution = account_a.start_execution(stateMachineArn=machine)["executionArn"]
    token = account_a.get_activity_task(activityArn=activity)["taskToken"]
    for other in (make_client(access_key="222222222222"), make_client("eu-west-1", access_key="111111111111")):
        for call in (lambda: other.send_task_success(taskToken=token, output='{"by": "B"}'),
                     lambda: other.send_task_failure(taskToken=token, error="B"),
                     lambda: other.send_task_heartbeat(taskToken=token)):
            with pytest.raises(ClientError) as caught:
                call()
            assert caught.value.response["Error"]["Code"] == "TaskDoesNotExist"
    account_a.send_task_success(taskToken=token, output='{"by": "A"}')
    assert json.loads(wait_done(account_a, execution)["output"]) == {"by": "A"}
