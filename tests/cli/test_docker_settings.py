"""The Docker image's settings, run without Docker (it cannot run here): the Dockerfile's own CMD
arguments (`serve --host 0.0.0.0`) and its own HEALTHCHECK command, with only the port changed to a
free one and all traffic on loopback. What `docker run -p 8083:8083` users need: the health check
passes (also with SigV4 verification on, since `GET /health` needs no signature), and boto3 on the
host reaches the server as `http://localhost:8083` or `http://127.0.0.1:8083` with no setting,
while another name in Host (Docker Compose's service name) needs ASL_ENGINE_ALLOWED_HOSTS.
Docker's HEALTHCHECK exec form: https://docs.docker.com/reference/dockerfile/#healthcheck.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from cli_support import ASL_ENGINE, START_TIMEOUT, environment
from serving import boto_client, free_port

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
IMAGE_PORT = "8083"


def _instruction(name: str) -> list[str]:
    """The exec-form JSON array of the Dockerfile's `name` instruction (continuation lines joined)."""
    text = DOCKERFILE.replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.split()[:1] == [name])
    return list(json.loads(line[line.index("["):]))


def _serve(port: int, env: dict[str, str], tmp_path: Path) -> Iterator[None]:
    command = _instruction("CMD")
    assert command[:2] == ["asl-engine", "serve"] and "0.0.0.0" in command
    args = [str(port) if arg == IMAGE_PORT else arg for arg in command[2:]]
    process = subprocess.Popen([ASL_ENGINE, "serve", *args, "--log-level", "warning"],
                               env=environment({"ASL_ENGINE_DB": str(tmp_path / "docker.db"), **env}),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert re.search(rf"ready on http://0\.0\.0\.0:{port}\b", ready), ready
        yield
    finally:
        process.terminate()
        process.communicate(timeout=START_TIMEOUT)


def _health_check(port: int) -> int:
    command = _instruction("HEALTHCHECK")
    assert command[0] == "python"
    script = command[-1].replace(f":{IMAGE_PORT}/", f":{port}/")
    return subprocess.run([sys.executable, *command[1:-1], script], timeout=START_TIMEOUT).returncode


@pytest.fixture
def port() -> int:
    return free_port()


def test_the_image_health_check_passes_and_boto3_reaches_it_by_localhost(port: int, tmp_path: Path) -> None:
    for _ in _serve(port, {}, tmp_path):
        assert _health_check(port) == 0
        for url in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):
            assert boto_client(url).list_state_machines()["stateMachines"] == []
        refused = httpx.post(f"http://127.0.0.1:{port}/", headers={"Host": f"sfn:{port}"}, content=b"{}")
        assert refused.status_code == 403 and "ASL_ENGINE_ALLOWED_HOSTS" in refused.text


def test_a_compose_service_name_is_answered_once_allowed(port: int, tmp_path: Path) -> None:
    for _ in _serve(port, {"ASL_ENGINE_ALLOWED_HOSTS": "sfn"}, tmp_path):
        answered = httpx.post(f"http://127.0.0.1:{port}/", headers={
            "Host": f"sfn:{port}", "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}, content=b"{}")
        assert answered.status_code == 200 and answered.json() == {"stateMachines": []}


def test_the_health_check_needs_no_signature_when_sigv4_is_on(port: int, tmp_path: Path) -> None:
    for _ in _serve(port, {"ASL_ENGINE_SIGV4_CREDENTIALS": "AKIDEXAMPLE:secret"}, tmp_path):
        assert _health_check(port) == 0
