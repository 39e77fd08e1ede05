"""Fixtures for Distributed Map tests: an S3 bucket of its own on moto's server (the session
fixture `moto_endpoint` in tests/conftest.py), reached with dummy credentials."""

from __future__ import annotations

import itertools
from typing import Any, Iterator

import boto3
import pytest

from asl_engine.distributed.s3 import Boto3Store
from asl_engine.testing import Environment

_buckets = itertools.count()


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"distributed-{next(_buckets)}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def store(s3: Any) -> Boto3Store:
    return Boto3Store(s3)


@pytest.fixture
def engine(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Environment]:
    """asl-engine with S3_ENDPOINT at moto's server (read when the engine starts)."""
    monkeypatch.setenv("S3_ENDPOINT", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with Environment() as environment:
        yield environment
