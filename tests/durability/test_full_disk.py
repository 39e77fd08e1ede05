"""A full disk answers an AWS error, loses nothing, and recovers by itself when space returns.

Issue "Nothing acknowledged is lost, and no request can hurt another": a full disk used to give
500 InternalFailure and roll back everyone's writes. Now a request whose write meets a full disk
answers ServiceUnavailable (HTTP 503, AWS's common error for a temporary failure of the server:
https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html), an execution's
own writes wait and are retried (it stays RUNNING, never FAILED for lack of space), and once space
returns everything carries on without a restart.

The database lives on a small tmpfs mounted for the test, which needs root: without it the test
is skipped and says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from botocore.exceptions import ClientError
from processes import ROLE, Server, history, wait_until_ended

BIG = "x" * 100_000  # more than the write-ahead log already holds: each write of it needs new pages
SLOW_BIG = {"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 2, "Next": "Grow"},
    "Grow": {"Type": "Pass", "Parameters": {"copy.$": "$.big", "again.$": "$.big"}, "Next": "Done"},
    "Done": {"Type": "Pass", "OutputPath": "$.copy", "End": True}}}
CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
    "Parameters": {"FunctionName": "token", "Payload": {"token.$": "$$.Task.Token"}}}}}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("the full-disk test mounts a small tmpfs, which needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for the full-disk test: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> Path:
    """Write a file until the disk has no byte left."""
    filler = disk / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(handle, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(handle)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_a_full_disk_answers_service_unavailable_and_recovers_by_itself(small_disk: Path, tmp_path: Path) -> None:
    server = Server(tmp_path, "full", db=small_disk / "full.db")
    server.start()
    try:
        client = server.client(attempts=1)
        machine = client.create_state_machine(name="slow-big", definition=json.dumps(SLOW_BIG),
                                              roleArn=ROLE)["stateMachineArn"]
        running = client.start_execution(stateMachineArn=machine, input=json.dumps({"big": BIG}))["executionArn"]
        asking = client.create_state_machine(name="ask", definition=json.dumps(CALLBACK), roleArn=ROLE)["stateMachineArn"]
        waiting = client.start_execution(stateMachineArn=asking, input="{}")["executionArn"]
        token = server.token_events()[0]["token"]
        filler = _fill(small_disk)

        for _ in range(3):
            with pytest.raises(ClientError) as refused:
                client.start_execution(stateMachineArn=machine, input=json.dumps({"big": BIG}))
            assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert "disk is full" in refused.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as refused:  # its answer cannot be committed: not acknowledged
            client.send_task_success(taskToken=token, output=json.dumps({"answer": BIG}))
        assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
        time.sleep(3)  # the Wait is over: its big output is waiting for space, not failed
        assert client.describe_execution(executionArn=running)["status"] == "RUNNING"

        filler.unlink()  # space returns: no restart, no call needed
        ended = wait_until_ended(client, running, 30)
        assert ended["status"] == "SUCCEEDED", (ended.get("error"), ended.get("cause"))
        assert json.loads(client.describe_execution(executionArn=running)["output"]) == BIG
        events = history(client, running)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        assert [event["type"] for event in events].count("PassStateExited") == 2
        client.send_task_success(taskToken=token, output=json.dumps({"answer": "later"}))
        assert json.loads(wait_until_ended(client, waiting, 30)["output"]) == {"answer": "later"}
        later = client.start_execution(stateMachineArn=machine, input=json.dumps({"big": "small"}))
        assert wait_until_ended(client, later["executionArn"], 30)["status"] == "SUCCEEDED"
    finally:
        server.stop()
