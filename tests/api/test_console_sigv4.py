"""With SigV4 verification on (ASL_ENGINE_SIGV4_CREDENTIALS), the web console is refused, also from
loopback, and says why: a browser cannot sign requests with SigV4
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html), and
loopback is no identity (a local program, or a reverse proxy on this machine, arrives from it).
The AWS protocol and /health behave as before."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

from asl_engine.api.app import create_app
from asl_engine.config import Config
from serving import ServerThread, boto_client


@pytest.fixture(scope="module")
def signed_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    db = Path(tmp_path_factory.mktemp("console-sigv4")) / "s.db"
    thread = ServerThread(create_app(Config(db_path=str(db), clock="virtual",
                                            credentials={"AKIDCONSOLE": "testing"})))
    thread.start()
    yield thread
    thread.stop()


@pytest.mark.parametrize("method, path", [("GET", "/"), ("GET", "/ui/"), ("GET", "/ui/static/console.js"),
                                          ("POST", "/ui/actions/start-execution")])
def test_the_console_is_refused_from_loopback_saying_why(signed_only: ServerThread, method: str, path: str) -> None:
    refused = httpx.request(method, signed_only.url + path, json={})
    assert refused.status_code == 403
    assert refused.json()["__type"] == "AccessDeniedException"
    assert "browser cannot sign" in refused.json()["message"]


def test_signed_clients_and_the_health_probe_are_still_served(signed_only: ServerThread) -> None:
    assert boto_client(signed_only.url, access_key="AKIDCONSOLE").list_state_machines()["stateMachines"] == []
    assert httpx.get(signed_only.url + "/health").status_code == 200
