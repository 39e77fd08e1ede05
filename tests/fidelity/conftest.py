"""Fixtures for the fidelity tests: dummy AWS credentials, so boto3 calls reach moto's server
(the session fixture `moto_endpoint` in tests/conftest.py) and could never be signed for real AWS.

The API tests' helpers (`sfn_support`: create, wait_done, error_of) are shared, not rewritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return moto_endpoint
