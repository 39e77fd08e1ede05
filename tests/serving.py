"""A real asl-engine server in a background thread (shipped in asl_engine.testing), free ports, and
boto3 clients for a server (a module, not conftest.py: test files can import it by name)."""

from __future__ import annotations

import socket
import time
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from asl_engine.testing.server import ServerThread

__all__ = ["ServerThread", "boto_client", "free_port"]


def free_port() -> int:
    """A port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def boto_client(url: str, region: str = "us-east-1", access_key: str = "testing") -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="testing",
        config=BotoConfig(inject_host_prefix=False, retries={"max_attempts": 0}),
    )


def wait_until_ended(client: Any, arn: str, seconds: float = 60) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING (polled every 50 ms)."""
    deadline = time.monotonic() + seconds
    while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still RUNNING"
        time.sleep(0.05)
    return dict(described)
