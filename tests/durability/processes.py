"""`asl-engine serve` as a real subprocess on a loopback port: what the durability tests kill.

A test that kills the server with SIGKILL must run it in another process; this one starts it on
a SQLite file of the test's own, waits until it listens, and gives boto3 clients pointed at it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from postgres_server import postgres_database
from serving import wait_until_ended as wait_until_ended  # re-exported: the durability tests wait with it

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/durability"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The server on `db`; local Lambda handlers from kill_handlers.py log their calls to `log`."""

    def __init__(self, tmp: Path, name: str, env: dict[str, str] | None = None,
                 db: Path | str | None = None) -> None:
        self.db = db or tmp / f"{name}.db"
        self.log = tmp / f"{name}-calls.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)]),
            "ASL_LAMBDA_HANDLERS": "charge=kill_handlers:charge,ship=kill_handlers:ship,"
                                   "item=kill_handlers:item,token=kill_handlers:token,"
                                   "token_then_die=kill_handlers:token_then_die,"
                                   "token_slow=kill_handlers:token_slow",
            "KILL_TEST_LOG": str(self.log),
            **(env or {}),
        }

    def command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "asl_engine", "serve", "--port", str(self.port), "--db", str(self.db), *extra]

    def start(self, *extra: str) -> None:
        self.process = subprocess.Popen(self.command(*extra), cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def run_to_exit(self, *extra: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Start the server expecting it to refuse: its exit status and what it printed."""
        return subprocess.run(self.command(*extra), cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def client(self, attempts: int = 8, read_timeout: float = 70) -> Any:
        return boto3.client("stepfunctions", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(retries={"max_attempts": attempts, "mode": "standard"},
                                          connect_timeout=2, read_timeout=read_timeout))

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def token_events(self, count: int = 1) -> list[dict[str, Any]]:
        """The events of the first `count` calls of the `token` handler (a callback task's
        message, holding its task token), once it has been called that many times."""
        deadline = time.monotonic() + 30
        while len(events := [call["event"] for call in self.calls() if call["handler"] == "token"]) < count:
            assert time.monotonic() < deadline, "the callback tasks never sent their tokens"
            time.sleep(0.05)
        return events[:count]


def server_on(store: str, tmp: Path, name: str) -> Server:
    """A server on a new database of `store` (`sqlite` or `postgresql`, postgres_server.STORES).

    On PostgreSQL a killed server's executions pass to the next server only once its lease has
    expired: a lease of 3 s (renewed every 0.75 s) instead of the default 10 s keeps each
    kill-and-restart from waiting 7 s for nothing."""
    if store == "postgresql":
        return Server(tmp, name, env={"ASL_ENGINE_LEASE_SECONDS": "3"}, db=postgres_database())
    return Server(tmp, name)


def history(client: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = client.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def wait_for_event(client: Any, arn: str, event_type: str, seconds: float = 30) -> None:
    """Until the execution's history holds an event of `event_type`."""
    deadline = time.monotonic() + seconds
    while not any(event["type"] == event_type for event in history(client, arn)):
        assert time.monotonic() < deadline, f"{arn} never recorded {event_type}"
        time.sleep(0.05)
