"""Helpers of the console's browser tests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
# Flags for a root user in a container, and nothing that phones home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
ROLE = "arn:aws:iam::123456789012:role/console"


def client(url: str, region: str = "us-east-1") -> Any:
    return boto3.client("stepfunctions", endpoint_url=url, region_name=region,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=BotoConfig(retries={"max_attempts": 0}))


def load_definition(name: str) -> str:
    return json.dumps(json.loads((HERE / name).read_text()))


def wait_ended(sfn: Any, arn: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.02)
    raise AssertionError(f"{arn} is still running")


def open_execution(page: Any, url: str, arn: str) -> None:
    page.goto(f"{url}/ui/executions/{arn}")
    page.wait_for_selector("#graph [data-state]")


def statuses(page: Any) -> dict[str, str]:
    """state name -> data-status of every state drawn."""
    return page.eval_on_selector_all(
        "#graph [data-state]", "nodes => Object.fromEntries(nodes.map(n => [n.dataset.state, n.dataset.status]))")
