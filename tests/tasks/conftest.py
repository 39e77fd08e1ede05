"""Fixtures for Task tests: moto's server on loopback as the AWS services a workflow calls, and a
runner that executes a definition in process with the real TaskDispatcher on a virtual clock."""

from __future__ import annotations

from typing import Iterator

import pytest
from moto.server import ThreadedMotoServer

from task_support import free_port


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Dummy credentials for boto3, so no call can be signed for real AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return moto_endpoint
