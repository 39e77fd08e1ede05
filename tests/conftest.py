"""Shared fixtures: a real asl-engine server on loopback, and boto3 clients pointed at it.

The server runs in a daemon thread with its own event loop (as moto's ThreadedMotoServer does)
and a fresh SQLite file; a `threading.Event` says when it accepts connections. Executions use
the virtual clock, so Wait states cost no wall time.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator

import pytest

from asl_engine.api.app import create_app
from asl_engine.config import Config
from moto.server import ThreadedMotoServer
from postgres_server import fresh_db
from serving import ServerThread, boto_client, free_port

_regions = itertools.count(1)


def _serve(tmp_path_factory: pytest.TempPathFactory, clock: str) -> Iterator[ServerThread]:
    db = fresh_db(tmp_path_factory.mktemp(f"asl-engine-{clock}"), "test.db")  # or PostgreSQL's
    thread = ServerThread(create_app(Config(db_path=db, clock=clock)))
    thread.db = db
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    yield from _serve(tmp_path_factory, "virtual")


@pytest.fixture(scope="session")
def real_time_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A server on the wall clock, where a long Wait really keeps an execution RUNNING (the
    virtual clock jumps over any wait as soon as the server is idle)."""
    yield from _serve(tmp_path_factory, "real")


@pytest.fixture(scope="session")
def make_client(server: ServerThread) -> Callable[..., Any]:
    """A boto3 `stepfunctions` client for a region (and optionally an access key)."""

    def make(region: str = "us-east-1", access_key: str = "testing") -> Any:
        return boto_client(server.url, region, access_key)

    return make


@pytest.fixture(scope="session")
def live(real_time_server: ServerThread) -> Any:
    """A client of the wall-clock server, for executions that must stay RUNNING."""
    return boto_client(real_time_server.url)


@pytest.fixture(scope="session")
def sfn(make_client: Callable[..., Any]) -> Any:
    return make_client()


@pytest.fixture
def fresh(make_client: Callable[..., Any]) -> Any:
    """A client in a region of its own: listings in it see only what this test created."""
    return make_client(f"test-region-{next(_regions)}")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on loopback: the AWS services a workflow calls (SQS, DynamoDB, ...)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()

