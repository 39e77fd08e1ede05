"""SFN Local's mock file through the API: `SFN_MOCK_CONFIG` names the file, and StartExecution /
StartSyncExecution on `<state machine ARN>#<TestCase>` run that test case
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html and
sfn-local-test-sm-exec.html); an unknown test case is InvalidName, as LocalStack answers
(feature matrix 1.1). A restarted server resumes the execution under the same test case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from asl_engine.api.app import create_app
from asl_engine.config import Config
from postgres_server import fresh_db
from serving import ServerThread
from sfn_support import ROLE, error_of, wait_done
from tasks_support import poll_task, sfn_client, tasks_config, wait_for_event

ORDER = json.dumps({"StartAt": "Charge", "States": {"Charge": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "charge", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}})


def machine(client: Any, name: str, definition: str = ORDER, machine_type: str = "STANDARD") -> str:
    return str(client.create_state_machine(name=name, definition=definition, roleArn=ROLE,
                                           type=machine_type)["stateMachineArn"])


def start(client: Any, arn: str) -> str:
    return str(client.start_execution(stateMachineArn=arn)["executionArn"])


def test_start_execution_runs_the_named_test_case(tasks_sfn: Any) -> None:
    arn = machine(tasks_sfn, "mocked-order")
    happy = wait_done(tasks_sfn, start(tasks_sfn, f"{arn}#HappyPath"))
    assert (happy["status"], json.loads(happy["output"])) == ("SUCCEEDED", {"charged": True})
    assert happy["stateMachineArn"] == arn  # the suffix selects the mocks; it names nothing
    declined = wait_done(tasks_sfn, start(tasks_sfn, f"{arn}#Declined"))
    assert (declined["status"], declined["error"], declined["cause"]) == ("FAILED", "Payment.Declined",
                                                                           "card declined")


def test_unknown_test_case_is_invalid_name(tasks_sfn: Any, sfn: Any) -> None:
    arn = machine(tasks_sfn, "mocked-order")
    with pytest.raises(ClientError) as excinfo:
        tasks_sfn.start_execution(stateMachineArn=f"{arn}#NoSuchCase")
    assert error_of(excinfo)[0] == "InvalidName"
    with pytest.raises(ClientError) as excinfo:  # a server without a mock file has no test cases
        sfn.start_execution(stateMachineArn=f"{machine(sfn, 'no-mock-file')}#HappyPath")
    assert error_of(excinfo)[0] == "InvalidName"
    with pytest.raises(ClientError) as excinfo:  # the machine is looked up without the suffix
        tasks_sfn.start_execution(stateMachineArn=f"{arn}-missing#HappyPath")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_start_sync_execution_honours_the_suffix(tasks_sfn: Any) -> None:
    arn = machine(tasks_sfn, "mocked-express", machine_type="EXPRESS")
    result = tasks_sfn.start_sync_execution(stateMachineArn=f"{arn}#HappyPath", input="{}")
    assert (result["status"], json.loads(result["output"])) == ("SUCCEEDED", {"charged": True})


def test_a_resumed_execution_keeps_its_test_case(tmp_path: Path, mock_config_path: Path,
                                                 moto_endpoint: str) -> None:
    """Parked on an activity when the server stops; the next server resumes it, the worker answers
    (the activity and the token survive), and the mocked Charge answers from the same test case."""
    config = tasks_config(fresh_db(tmp_path, "restart.db"), mock_config_path, moto_endpoint)
    first = _serve(config)
    client = sfn_client(first.url)
    activity = client.create_activity(name="approvals")["activityArn"]
    definition = json.dumps({"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": activity, "Next": "Charge"},
        "Charge": json.loads(ORDER)["States"]["Charge"]}})
    arn = machine(client, "approve-then-charge", definition)
    execution = client.start_execution(stateMachineArn=f"{arn}#HappyPath", input='{"id": 3}')["executionArn"]
    wait_for_event(client, execution, "ActivityScheduled")
    first.stop()

    second = _serve(config)
    try:
        client = sfn_client(second.url)
        task = poll_task(client, activity)
        client.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
        described = wait_done(client, execution)
        assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"charged": True})
    finally:
        second.stop()


def _serve(config: Config) -> ServerThread:
    thread = ServerThread(create_app(config))
    thread.start()
    return thread
