"""Servers for the Task API tests: moto on loopback as SQS, and an asl-engine server whose Task
states reach it, with an SFN Local mock file and a short GetActivityTask poll."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from asl_engine.api.app import create_app
from postgres_server import fresh_db
from serving import ServerThread
from tasks_support import MOCK_CONFIG, sfn_client, tasks_config


@pytest.fixture(scope="session")
def mock_config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mocks") / "MockConfigFile.json"
    path.write_text(json.dumps(MOCK_CONFIG))
    return path


@pytest.fixture(scope="session")
def tasks_server(tmp_path_factory: pytest.TempPathFactory, mock_config_path: Path,
                 moto_endpoint: str) -> Iterator[ServerThread]:
    db = fresh_db(tmp_path_factory.mktemp("asl-engine-tasks"), "tasks.db")
    thread = ServerThread(create_app(tasks_config(db, mock_config_path, moto_endpoint)))
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def tasks_sfn(tasks_server: ServerThread) -> Any:
    """A client of the tasks server."""
    return sfn_client(tasks_server.url)


@pytest.fixture(scope="session")
def sqs(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
