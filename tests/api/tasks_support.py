"""What the Task API tests share: the mock file's content, the tasks server's Config, clients,
and a wait for a history event (a worker polls only once the execution has parked)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig

# SFN Local's MockConfigFile (sfn-local-mock-cfg-file): test cases per state machine name.
MOCK_CONFIG = {
    "StateMachines": {
        "mocked-order": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"},
                                       "Declined": {"Charge": "ChargeFails"}}},
        "mocked-express": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}},
        "approve-then-charge": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}},
    },
    "MockedResponses": {
        "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}}},
        "ChargeFails": {"0": {"Throw": {"Error": "Payment.Declined", "Cause": "card declined"}}},
    },
}
POLL_SECONDS = 0.3  # the tasks server's GetActivityTask poll (AWS: 60 s)


def tasks_config(db: Path | str, mock_config_path: Path, moto_endpoint: str) -> Config:
    """A virtual-clock server whose SQS calls go to moto and whose mocks come from the file."""
    tasks = TaskConfig(mock_config_path=str(mock_config_path), endpoints={"sqs": moto_endpoint})
    return Config(db_path=str(db), clock="virtual", tasks=tasks, activity_poll_seconds=POLL_SECONDS)


def sfn_client(url: str) -> Any:
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=BotoConfig(inject_host_prefix=False, retries={"max_attempts": 0}))


def wait_for_event(client: Any, execution_arn: str, event_type: str, attempts: int = 500) -> dict[str, Any]:
    """The first event of a type, once the execution has recorded it."""
    for _ in range(attempts):
        for event in client.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]:
            if event["type"] == event_type:
                return dict(event)
        time.sleep(0.01)
    raise AssertionError(f"{execution_arn} never recorded {event_type}")


def poll_task(client: Any, activity_arn: str, worker: str = "worker-1", attempts: int = 20) -> dict[str, Any]:
    """A worker's GetActivityTask loop: poll until a task comes (each poll ends after the server's
    short poll when nothing is queued)."""
    for _ in range(attempts):
        task = client.get_activity_task(activityArn=activity_arn, workerName=worker)
        if task.get("taskToken"):
            return dict(task)
    raise AssertionError(f"no task arrived on {activity_arn}")
