"""Activities through boto3: CreateActivity/DescribeActivity/DeleteActivity/ListActivities, and a
worker loop of GetActivityTask + SendTaskHeartbeat + SendTaskSuccess.

Shapes and errors from botocore's stepfunctions model and the API reference
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateActivity.html: idempotent
by name, tags of a repeat ignored; API_GetActivityTask.html: the poll holds up to 60 s and answers
without a taskToken when nothing arrives); event sequences as recorded in
v2/activities/test_activities (test_activity_task, test_activity_task_with_heartbeat,
test_activity_task_on_deleted).
"""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from sfn_support import create, error_of, unique, wait_done
from tasks_support import poll_task, sfn_client, wait_for_event


def activity_machine(activity_arn: str, **task: object) -> str:
    return json.dumps({"StartAt": "ActivityTask", "States": {"ActivityTask": {
        "Type": "Task", "Resource": activity_arn, "End": True, **task}}})


def test_create_is_idempotent_by_name_and_keeps_the_first_tags(tasks_sfn) -> None:
    name = unique("act")
    first = tasks_sfn.create_activity(name=name, tags=[{"key": "team", "value": "a"}])
    again = tasks_sfn.create_activity(name=name, tags=[{"key": "team", "value": "b"}])
    assert first["activityArn"] == again["activityArn"]
    assert first["activityArn"] == f"arn:aws:states:us-east-1:123456789012:activity:{name}"
    assert first["creationDate"] == again["creationDate"]
    described = tasks_sfn.describe_activity(activityArn=first["activityArn"])
    assert described["name"] == name and described["creationDate"] == first["creationDate"]
    tags = tasks_sfn.list_tags_for_resource(resourceArn=first["activityArn"])["tags"]
    assert tags == [{"key": "team", "value": "a"}]
    tasks_sfn.tag_resource(resourceArn=first["activityArn"], tags=[{"key": "env", "value": "dev"}])
    assert len(tasks_sfn.list_tags_for_resource(resourceArn=first["activityArn"])["tags"]) == 2


def test_describe_and_delete_errors(tasks_sfn) -> None:
    arn = tasks_sfn.create_activity(name=unique("act"))["activityArn"]
    tasks_sfn.delete_activity(activityArn=arn)
    tasks_sfn.delete_activity(activityArn=arn)  # deleting an absent activity succeeds
    with pytest.raises(ClientError) as excinfo:
        tasks_sfn.describe_activity(activityArn=arn)
    assert error_of(excinfo) == ("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
    with pytest.raises(ClientError) as excinfo:
        tasks_sfn.get_activity_task(activityArn=arn)
    assert error_of(excinfo)[0] == "ActivityDoesNotExist"
    for call in (tasks_sfn.describe_activity, tasks_sfn.delete_activity):
        with pytest.raises(ClientError) as excinfo:
            call(activityArn="arn:aws:states:us-east-1:123456789012:stateMachine:not-an-activity")
        assert error_of(excinfo)[0] == "InvalidArn"
    with pytest.raises(ClientError) as excinfo:
        tasks_sfn.create_activity(name="bad name")
    assert error_of(excinfo)[0] == "InvalidName"


def test_list_pages_by_name_within_its_region(tasks_server) -> None:
    region = f"act-region-{unique('r')[-6:]}"
    client = boto3.client("stepfunctions", endpoint_url=tasks_server.url, region_name=region,
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=BotoConfig(retries={"max_attempts": 0}))
    names = sorted(unique("act") for _ in range(5))
    for name in names:
        client.create_activity(name=name)
    pages = list(client.get_paginator("list_activities").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["activities"]) for page in pages] == [2, 2, 1]
    assert [item["name"] for page in pages for item in page["activities"]] == names
    assert all(item["activityArn"].startswith(f"arn:aws:states:{region}:") for page in pages
               for item in page["activities"])
    elsewhere = sfn_client(tasks_server.url).list_activities()["activities"]
    assert not any(item["name"] in names for item in elsewhere)
    with pytest.raises(ClientError) as excinfo:
        client.list_activities(nextToken="forged")
    assert error_of(excinfo)[0] == "InvalidToken"


def test_get_activity_task_answers_without_a_token_when_nothing_comes(tasks_sfn) -> None:
    arn = tasks_sfn.create_activity(name=unique("idle"))["activityArn"]
    answer = tasks_sfn.get_activity_task(activityArn=arn, workerName="w")
    assert "taskToken" not in answer and "input" not in answer


def test_worker_loop_with_a_heartbeat(tasks_sfn, live) -> None:
    """On the wall-clock server, so HeartbeatSeconds really runs while the worker works."""
    arn = live.create_activity(name=unique("work"))["activityArn"]
    machine = create(live, activity_machine(arn, HeartbeatSeconds=30, TimeoutSeconds=120))
    executions = [live.start_execution(stateMachineArn=machine, input=json.dumps({"n": n}))["executionArn"]
                  for n in range(3)]
    for execution in executions:
        wait_for_event(live, execution, "ActivityScheduled")
    outputs = []
    for _ in executions:  # one worker drains the queue, oldest task first
        task = live.get_activity_task(activityArn=arn, workerName="worker-7")
        value = json.loads(task["input"])
        live.send_task_heartbeat(taskToken=task["taskToken"])
        live.send_task_success(taskToken=task["taskToken"], output=json.dumps({"doubled": value["n"] * 2}))
        outputs.append(value["n"])
    assert outputs == [0, 1, 2]
    for n, execution in enumerate(executions):
        described = wait_done(live, execution)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"doubled": n * 2}
    events = live.get_execution_history(executionArn=executions[0])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", "ExecutionSucceeded"]
    assert events[2]["activityScheduledEventDetails"]["heartbeatInSeconds"] == 30
    assert events[3]["activityStartedEventDetails"]["workerName"] == "worker-7"


def test_long_poll_is_answered_when_a_task_arrives_and_does_not_block_other_requests(tasks_sfn) -> None:
    """A worker parked in GetActivityTask gets the task an execution queues meanwhile; the server
    keeps answering other calls while the poll is held."""
    arn = tasks_sfn.create_activity(name=unique("poll"))["activityArn"]
    machine = create(tasks_sfn, activity_machine(arn))
    received: dict = {}
    worker = threading.Thread(target=lambda: received.update(poll_task(tasks_sfn, arn)))
    worker.start()
    execution = tasks_sfn.start_execution(stateMachineArn=machine, input='{"job": 1}')["executionArn"]
    worker.join(timeout=10)
    assert json.loads(received["input"]) == {"job": 1}
    tasks_sfn.send_task_success(taskToken=received["taskToken"], output='"done"')
    assert wait_done(tasks_sfn, execution)["output"] == '"done"'


def test_task_on_an_activity_that_does_not_exist_fails_with_states_runtime(tasks_sfn) -> None:
    """Recorded: v2/activities/test_activities::test_activity_task_on_deleted."""
    arn = tasks_sfn.create_activity(name=unique("gone"))["activityArn"]
    tasks_sfn.delete_activity(activityArn=arn)
    machine = create(tasks_sfn, activity_machine(arn))
    execution = tasks_sfn.start_execution(stateMachineArn=machine,
                                          input='{"Value1": "HelloWorld"}')["executionArn"]
    described = wait_done(tasks_sfn, execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert described["cause"] == ("An error occurred while executing the state 'ActivityTask' "
                                  f"(entered at the event id #2). The activity {arn} does not exist.")
