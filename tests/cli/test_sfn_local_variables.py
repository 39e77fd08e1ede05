"""SFN Local's environment variables mean here what they mean there, so a switch needs no edits.

The variables and their defaults: https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-config-options.html
(`-waitTimeScale`/`WAIT_TIME_SCALE`: "the scale of the wait time in the Wait state"). SFN Local
applies it to Wait states only; a re:Post thread reports that it leaves Retry waits alone
(https://repost.aws/questions/QUrSfPBS0lSgGHiZYPFLMWfw). Timeouts and heartbeats therefore keep
their time: `WAIT_TIME_SCALE=0` must not time out every task and every Express execution at once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from asl_engine.config import Config
from asl_engine.errors import StatesError
from asl_engine.tasks.config import ENDPOINT_VARIABLES, TaskConfig
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.tasks_api import TaskRequest
from asl_engine.testing import ExecutionResult, run_definition
from cli_support import Served, serve
from serving import boto_client

README = Path(__file__).resolve().parents[2] / "README.md"
# Every variable on AWS's page, in its order; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY come from
# its Docker credentials file template.
SFN_LOCAL_VARIABLES = [
    "AWS_ACCOUNT_ID", "AWS_DEFAULT_REGION", "WAIT_TIME_SCALE", "LAMBDA_ENDPOINT", "BATCH_ENDPOINT",
    "DYNAMODB_ENDPOINT", "ECS_ENDPOINT", "GLUE_ENDPOINT", "SAGE_MAKER_ENDPOINT", "SQS_ENDPOINT", "SNS_ENDPOINT",
    "STEP_FUNCTIONS_ENDPOINT", "SFN_MOCK_CONFIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
]


def test_every_sfn_local_variable_is_in_the_configuration_table() -> None:
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    missing = [name for name in SFN_LOCAL_VARIABLES if not any(f"`{name}`" in row for row in rows)]
    assert missing == []


# -- WAIT_TIME_SCALE: Wait states only ---------------------------------------------------------------


def run_with_scale(scale: str | None, definition: dict[str, Any], tasks: Any = None) -> ExecutionResult:
    """One execution on the virtual clock (so elapsed time is exact), with WAIT_TIME_SCALE set."""
    env = {"ASL_ENGINE_CLOCK": "virtual", **({"WAIT_TIME_SCALE": scale} if scale is not None else {})}
    clock = Config.from_env(env).make_clock()
    return run_definition(definition, {}, clock=clock, tasks=tasks(clock) if tasks else None)


def seconds_between(result: ExecutionResult, first: str, last: str) -> float:
    stamps = {event["type"]: event["timestamp"] for event in reversed(result.events)}  # first occurrence
    return round(stamps[last] - stamps[first], 6)


WAIT = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 100, "End": True}}}


@pytest.mark.parametrize(("scale", "seconds"), [(None, 100), ("1", 100), ("0.5", 50), ("0", 0), ("2", 200)])
def test_wait_time_scale_multiplies_a_wait_state(scale: str | None, seconds: float) -> None:
    result = run_with_scale(scale, WAIT)
    assert result.status == "SUCCEEDED"
    assert seconds_between(result, "WaitStateEntered", "WaitStateExited") == seconds


def slow_task(seconds: float) -> Any:
    """Task handlers that take `seconds` of the execution's clock."""

    def make(clock: Any) -> Any:
        async def handler(request: TaskRequest) -> Any:
            await clock.sleep_until(clock.time() + seconds)
            return {"took": seconds}

        return handler

    return make


TASK = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                "Parameters": {"FunctionName": "f"}, "TimeoutSeconds": 30,
                                                "End": True}}}


def test_wait_time_scale_zero_leaves_timeout_seconds_alone() -> None:
    """A 10-second task under a 30-second TimeoutSeconds succeeds; a 40-second one times out at 30."""
    quick = run_with_scale("0", TASK, slow_task(10))
    assert (quick.status, quick.output) == ("SUCCEEDED", {"took": 10})
    slow = run_with_scale("0", TASK, slow_task(40))
    assert (slow.status, slow.error) == ("FAILED", "States.Timeout")
    assert seconds_between(slow, "TaskScheduled", "TaskTimedOut") == 30


def test_wait_time_scale_zero_leaves_retry_intervals_alone() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 7, "MaxAttempts": 1}], "End": True}}}
    calls = []

    def flaky(clock: Any) -> Any:
        async def handler(request: TaskRequest) -> Any:
            calls.append(clock.time())
            if len(calls) == 1:
                raise StatesError("Flaky", "the first call fails")
            return "ok"

        return handler

    result = run_with_scale("0", definition, flaky)
    assert result.status == "SUCCEEDED" and round(calls[1] - calls[0], 6) == 7


# -- through a real server: the failures with WAIT_TIME_SCALE=0 -------------------------------


@pytest.fixture(scope="module")
def sfn_local_like() -> Iterator[Served]:
    """`asl-engine serve` on the wall clock with the settings an SFN Local user brings along."""
    env = {"WAIT_TIME_SCALE": "0", "AWS_ACCOUNT_ID": "111122223333", "AWS_DEFAULT_REGION": "eu-west-1"}
    yield from serve("--db", ":memory:", env=env)


def test_account_and_region_name_the_resources(sfn_local_like: Served) -> None:
    """The REST API acts in the default account and region, which these two variables set."""
    response = httpx.put(f"{sfn_local_like.url}/state-machines/named", headers={"Content-Type": "application/json"},
                         content=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    assert response.json()["stateMachineArn"] == "arn:aws:states:eu-west-1:111122223333:stateMachine:named"


def test_an_express_run_is_not_timed_out(sfn_local_like: Served) -> None:
    """StartSyncExecution's five-minute Express limit keeps real time under WAIT_TIME_SCALE=0."""
    sfn = boto_client(sfn_local_like.url, region="eu-west-1")
    arn = sfn.create_state_machine(name="express-pass", type="EXPRESS", roleArn="arn:aws:iam::111122223333:role/r",
                                   definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    result = sfn.start_sync_execution(stateMachineArn=arn["stateMachineArn"], input='{"n": 1}')
    assert (result["status"], result["output"]) == ("SUCCEEDED", '{"n":1}')


def test_an_hour_of_wait_is_skipped_and_the_task_after_it_keeps_its_timeouts(sfn_local_like: Served) -> None:
    sfn = boto_client(sfn_local_like.url, region="eu-west-1")
    activity = sfn.create_activity(name="approve")["activityArn"]
    definition = {"StartAt": "Hour", "States": {
        "Hour": {"Type": "Wait", "Seconds": 3600, "Next": "Approve"},
        "Approve": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 60, "HeartbeatSeconds": 30, "End": True}}}
    machine = sfn.create_state_machine(name="wait-then-approve", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::111122223333:role/r")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker")  # long poll: the Wait is skipped
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
    description = sfn.describe_execution(executionArn=execution)
    while description["status"] == "RUNNING":
        description = sfn.describe_execution(executionArn=execution)
    assert (description["status"], description["output"]) == ("SUCCEEDED", '{"approved":true}')


# -- the endpoint variables and the mock file ---------------------------------------------------------

# One call per service that moto answers without set-up, through `aws-sdk:` (the generic route).
SDK_CALLS = {"lambda": "lambda:listFunctions", "sqs": "sqs:listQueues", "sns": "sns:listTopics",
             "dynamodb": "dynamodb:listTables", "events": "eventbridge:listEventBuses",
             "stepfunctions": "sfn:listStateMachines", "batch": "batch:describeComputeEnvironments",
             "ecs": "ecs:listClusters", "glue": "glue:getDatabases", "sagemaker": "sagemaker:listModels",
             "s3": "s3:listBuckets"}


def sdk_task(call: str) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:{call}",
                                                   "Parameters": {}, "End": True}}}


def run_tasks(env: dict[str, str], definition: dict[str, Any], test_case: str | None = None) -> ExecutionResult:
    clock = Config.from_env({"ASL_ENGINE_CLOCK": "virtual"}).make_clock()
    dispatcher = TaskDispatcher(TaskConfig.from_env(env), clock)
    return run_definition(definition, {}, clock=clock, tasks=dispatcher.for_execution(test_case, "orders"))


@pytest.fixture
def dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """So no call could ever be signed for real AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.parametrize("service", sorted(ENDPOINT_VARIABLES))
def test_each_endpoint_variable_sends_its_service_there(service: str, moto_endpoint: str,
                                                        dummy_credentials: None) -> None:
    variable = ENDPOINT_VARIABLES[service]
    # The service's own variable wins over AWS_ENDPOINT_URL, which points nowhere here.
    result = run_tasks({variable: moto_endpoint, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, sdk_task(SDK_CALLS[service]))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    unset = run_tasks({}, sdk_task(SDK_CALLS[service]))
    assert unset.status == "FAILED" and f"{variable} or AWS_ENDPOINT_URL" in (unset.cause or "")


MOCKED = {"StateMachines": {"orders": {"TestCases": {"Happy": {"Charge": "Charged"}}}},
          "MockedResponses": {"Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"paid": 7}}}}}}
CHARGE = {"StartAt": "Charge", "States": {"Charge": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "charge"},
    "OutputPath": "$.Payload", "End": True}}}


def test_sfn_mock_config_names_the_mock_file(tmp_path: Path) -> None:
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(MOCKED))
    result = run_tasks({"SFN_MOCK_CONFIG": str(path)}, CHARGE, test_case="Happy")
    assert (result.status, result.output) == ("SUCCEEDED", {"paid": 7})


def test_without_sfn_mock_config_the_file_in_the_working_directory_is_read(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """As SFN Local's JAR does (feature matrix 1.1: `./MockConfigFile.json`; the variable wins)."""
    (tmp_path / "MockConfigFile.json").write_text(json.dumps(MOCKED))
    monkeypatch.chdir(tmp_path)
    result = run_tasks({}, CHARGE, test_case="Happy")
    assert (result.status, result.output) == ("SUCCEEDED", {"paid": 7})


def test_the_readme_table_says_what_each_clock_knob_does() -> None:
    text = README.read_text(encoding="utf-8")
    assert re.search(r"\| `WAIT_TIME_SCALE` .*Wait states", text) and "`ASL_ENGINE_CLOCK`" in text
