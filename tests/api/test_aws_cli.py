"""The aws CLI against the server, the way a user types it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sfn_support import ADD_FIELD, ROLE, unique

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")


def aws(server, tmp_path: Path, *args: str) -> dict:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
    }
    done = subprocess.run(
        [AWS, "stepfunctions", *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


@pytest.mark.skipif(AWS is None, reason="the aws CLI is not installed")
def test_aws_cli_round_trip(server, tmp_path):
    name = unique("cli")
    created = aws(server, tmp_path, "create-state-machine", "--name", name,
                  "--definition", ADD_FIELD, "--role-arn", ROLE)
    machine = created["stateMachineArn"]
    started = aws(server, tmp_path, "start-execution", "--state-machine-arn", machine,
                  "--name", "from-cli", "--input", '{"cli": true}')
    described = aws(server, tmp_path, "describe-execution", "--execution-arn", started["executionArn"])
    for _ in range(20):
        if described["status"] != "RUNNING":
            break
        described = aws(server, tmp_path, "describe-execution", "--execution-arn", started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"cli": True, "step": "done"}
    history = aws(server, tmp_path, "get-execution-history", "--execution-arn", started["executionArn"])
    assert history["events"][0]["type"] == "ExecutionStarted"
    assert history["events"][-1]["type"] == "ExecutionSucceeded"
