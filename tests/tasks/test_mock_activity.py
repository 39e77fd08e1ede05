"""An Activity state named by a MockConfigFile test case: SFN Local cannot mock activities and fails
the execution with States.Runtime, cause "Activity state cannot be mocked. Please remove mocks
mapped for all activity state in the mock config file." (recorded by a user of SFN Local in
https://github.com/aws-samples/aws-stepfunctions-examples/issues/69; AWS's "Using mocked service
integrations" page, https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-test-sm-exec.html,
lists only service integrations as mockable). It must neither answer the mock nor hand the task to
a worker. An Activity state the test case does not name still goes to its worker (HybridPath)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl_engine.errors import StatesError
from asl_engine.tasks.config import TaskConfig
from asl_engine.tasks.dispatcher import ExecutionTasks, TaskDispatcher
from asl_engine.tasks.mock import ACTIVITY_NOT_MOCKABLE
from asl_engine.tasks_api import TaskRequest
from task_support import run_with

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:approve"
MACHINE = {"StartAt": "Approve", "States": {
    "Approve": {"Type": "Task", "Resource": ACTIVITY, "TimeoutSeconds": 5, "End": True}}}
MOCKS = {"StateMachines": {"Approval": {"TestCases": {"Mocked": {"Approve": "Approved"}, "Hybrid": {}}}},
         "MockedResponses": {"Approved": {"0": {"Return": {"approved": True}}}}}


@pytest.fixture
def config(tmp_path: Path) -> TaskConfig:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(MOCKS))
    return TaskConfig(mock_config_path=str(path))


def _tasks(config: TaskConfig, case: str) -> ExecutionTasks:
    handler = TaskDispatcher(config).for_execution(case, "Approval")
    assert isinstance(handler, ExecutionTasks)
    return handler


def test_a_mocked_activity_state_is_refused_with_sfn_locals_cause(config: TaskConfig) -> None:
    request = TaskRequest(ACTIVITY, {}, "Approve", {}, None, None)
    with pytest.raises(StatesError) as refused:
        _tasks(config, "Mocked").check_activity(request)
    assert (refused.value.error, refused.value.cause) == (
        "States.Runtime", ACTIVITY_NOT_MOCKABLE)
    _tasks(config, "Hybrid").check_activity(request)  # not named: goes to its worker


def test_an_execution_whose_test_case_mocks_an_activity_fails(config: TaskConfig) -> None:
    result = run_with(config, MACHINE, {}, test_case="Mocked", state_machine_name="Approval")
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Runtime", ACTIVITY_NOT_MOCKABLE)
