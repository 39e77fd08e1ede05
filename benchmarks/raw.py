"""A raw AWS JSON 1.0 client: http.client on one kept-alive connection, no botocore per call.

Why: boto3 spends ~1.5 ms of Python per call (signing, parsing), on the same two cores as the
server, so it hides what the server costs. This client sends the bytes botocore would send,
with a fixed `Authorization` header whose credential scope names the region and service (no
server here checks the signature unless told to; moto and LocalStack read the scope to route
the request), and parses the answer with `json.loads`. An HTTP 500/501 or an unknown-action error
is `Unsupported`, any other error `RawError`, as `client.call` does for boto3.

The server's cost is read from /proc: `cpu_seconds(pid)` is utime + stime of the process and
its children (threads included, the ones that ended too), so `(after - before) / calls` is the
server CPU per call whatever the client spends.
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .client import UNSUPPORTED_CODES, Unsupported
from .servers import descendants

AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/states/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)
TICKS = os.sysconf("SC_CLK_TCK")


class RawError(Exception):
    """The server answered an error that is not "no such action"."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message[:200]}")
        self.code = code


class RawClient:
    """One connection to one server; `call(action, body)` is one request, answered as a dict.

    http.client reconnects by itself when a server closes after each answer (moto's werkzeug
    answers every request with `Connection: close`)."""

    def __init__(self, endpoint: str, timeout: float = 90.0) -> None:
        parts = urlsplit(endpoint)
        self.host = parts.netloc
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{action}",
                   "X-Amz-Date": "20260101T000000Z", "Authorization": AUTHORIZATION, "Host": self.host}
        try:
            self.connection.request("POST", "/", json.dumps(body).encode(), headers)
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, ConnectionError):
            self.connection.close()  # a stale kept-alive connection: one retry on a fresh one
            self.connection.request("POST", "/", json.dumps(body).encode(), headers)
            response = self.connection.getresponse()
            data = response.read()
        if response.status in (500, 501):
            raise Unsupported(f"HTTP {response.status}")
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            raise RawError(response.status, "NotJson", data[:200].decode(errors="replace")) from None
        if response.status >= 300:
            code = str(answer.get("__type", "")).rpartition("#")[2]
            if code in UNSUPPORTED_CODES:
                raise Unsupported(code)
            raise RawError(response.status, code, str(answer.get("message") or answer.get("Message") or ""))
        return dict(answer)

    def close(self) -> None:
        self.connection.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and every process below it, in seconds (from /proc/<pid>/stat)."""
    total = 0
    for one in (pid, *descendants(pid)):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / TICKS
