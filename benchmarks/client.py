"""The boto3 side: one client configuration for every server, and the waits the drivers share.

Every server gets the same client, so client-side cost (signing, parsing) is the same for all.
`inject_host_prefix=False` keeps StartSyncExecution on our endpoint instead of `sync-<host>`.
Polls back off from 1 ms by 10% per poll up to 20 ms: a finished execution is seen at most
~10% (or 20 ms) late, whichever server it is.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

Json = Any
ROLE = "arn:aws:iam::123456789012:role/bench"
UNSUPPORTED_CODES = {"UnknownOperationException", "UnsupportedOperation", "InvalidAction", "NotImplemented"}
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class Unsupported(Exception):
    """The server has no such action (or answers it with a bare HTTP 500/501, as moto does)."""


class Wrong(Exception):
    """An execution ended with the wrong status or output: the measurement must not count."""


class TimedOut(Exception):
    """A bounded wait ran out: the server is too slow for the budget (or never finishes)."""


def make_client(endpoint: str) -> Any:
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=16, connect_timeout=5,
                      read_timeout=90, inject_host_prefix=False),
    )


def unsupported_error(error: ClientError) -> Unsupported | None:
    """An `Unsupported` if this error means "no such action here", else None."""
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in UNSUPPORTED_CODES or status in (500, 501):
        return Unsupported(f"{code or 'HTTP'} {status}".strip())
    return None


def call(client: Any, action: str, **kwargs: Any) -> Any:
    """`client.<action>(**kwargs)`, with "no such action" turned into `Unsupported`."""
    try:
        return getattr(client, action)(**kwargs)
    except ClientError as error:
        raise unsupported_error(error) or error from None


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_machine(client: Any, prefix: str, definition: dict[str, Any], machine_type: str = "STANDARD") -> str:
    return str(client.create_state_machine(
        name=unique(prefix), definition=json.dumps(definition), roleArn=ROLE, type=machine_type,
    )["stateMachineArn"])


def backoff(deadline: float) -> Any:
    """Yields the sleeps of one poll loop; raises TimedOut once `deadline` (monotonic) passes."""
    delay = 0.001
    while time.monotonic() < deadline:
        yield delay
        time.sleep(delay)
        delay = min(delay * 1.1, 0.02)
    raise TimedOut("the wait ran past its budget")


def wait_execution(client: Any, arn: str, deadline: float) -> dict[str, Any]:
    """DescribeExecution until the execution ends; its last description."""
    for _ in backoff(deadline):
        described = client.describe_execution(executionArn=arn)
        if described["status"] in TERMINAL:
            return dict(described)
    raise AssertionError("unreachable")


def wait_none_running(client: Any, machine_arn: str, deadline: float) -> None:
    """ListExecutions(RUNNING) until it is empty: every execution of the machine has ended."""
    for _ in backoff(deadline):
        if not client.list_executions(stateMachineArn=machine_arn, statusFilter="RUNNING", maxResults=1)["executions"]:
            return


def check_ended(described: dict[str, Any], expected: Any) -> None:
    """Raise `Wrong` unless the execution SUCCEEDED with output satisfying `expected(output)`."""
    if described["status"] != "SUCCEEDED":
        raise Wrong(f"{described['status']}: {described.get('error')} {str(described.get('cause'))[:200]}")
    output = json.loads(described.get("output") or "null")
    if not expected(output):
        raise Wrong(f"wrong output {json.dumps(output)[:200]}")


def history(client: Any, arn: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The execution's events, all of them (paged) or just the first `limit`."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": limit or 1000}
    while True:
        page = client.get_execution_history(**kwargs)
        events.extend(page["events"])
        if limit is not None or "nextToken" not in page:
            return events
        kwargs["nextToken"] = page["nextToken"]


def states_entered(client: Any, arn: str) -> int:
    return sum(event["type"].endswith("StateEntered") for event in history(client, arn))
