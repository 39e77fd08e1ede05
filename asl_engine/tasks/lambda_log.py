"""The log of one local Lambda handler invocation, for lambda:invoke's `LogType: Tail`.

Lambda writes what a function prints (stdout and stderr) and what it logs through the root logger
to the invocation's log, between a `START` line and the `END` and `REPORT` lines, and with
`LogType: Tail` answers "the last 4 KB of the execution log", base64-encoded, as `LogResult`
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). Log records are formatted as the
Python runtime formats them, `[LEVEL]\\t<UTC time>\\t<request id>\\t<message>`
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html); the root logger's level decides
what is written, as in Lambda. The `REPORT` line has the durations and memory size; the memory a
handler used is not measured in a shared process, so `Max Memory Used` is left out.

A local handler runs in a worker thread of the server process, so an invocation's output is told
apart by thread: while any invocation is being logged, sys.stdout and sys.stderr are wrapped in a
stream that copies the logging threads' text into their logs and still writes everything to the
real stream, and a root-logger handler takes those threads' records. Threads the handler starts
itself are not followed.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import sys
import threading
import time
from types import TracebackType
from typing import Any, TextIO

TAIL_BYTES = 4096
_lock = threading.Lock()
_open: dict[int, InvocationLog] = {}  # thread id -> the invocation it is running


class _Tee:
    """A stdout/stderr stand-in: a logging thread's text goes to its log as well."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        log = _open.get(threading.get_ident())
        if log is not None:
            log.text.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _Formatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                         "%Y-%m-%dT%H:%M:%S")
        self.converter = time.gmtime


class _Records(logging.Handler):
    """Root-logger handler writing a logging thread's records to its log."""

    def emit(self, record: logging.LogRecord) -> None:
        log = _open.get(record.thread or 0)
        if log is None:
            return
        try:
            record.aws_request_id = log.request_id
            log.text.write(self.format(record) + "\n")
        except Exception:  # a record that cannot be formatted, as logging.Handler does
            self.handleError(record)


_records = _Records()
_records.setFormatter(_Formatter())


def _install() -> None:
    """Wrap the standard streams (once) and listen to the root logger."""
    if not isinstance(sys.stdout, _Tee):
        sys.stdout = _Tee(sys.stdout)
    if not isinstance(sys.stderr, _Tee):
        sys.stderr = _Tee(sys.stderr)
    logging.getLogger().addHandler(_records)


def _uninstall() -> None:
    """Put back the streams we wrapped, unless someone has replaced them since."""
    logging.getLogger().removeHandler(_records)
    if isinstance(sys.stdout, _Tee):
        sys.stdout = sys.stdout.stream
    if isinstance(sys.stderr, _Tee):
        sys.stderr = sys.stderr.stream


class InvocationLog:
    """`with InvocationLog(request_id) as log: handler(...)`, then `log.tail()` for LogResult."""

    def __init__(self, request_id: str, version: str = "$LATEST", memory_mb: int = 128) -> None:
        self.request_id = request_id
        self.version = version
        self.memory_mb = memory_mb
        self.text = io.StringIO()
        self.duration_ms = 0.0
        self._started = 0.0

    def __enter__(self) -> InvocationLog:
        self.text.write(f"START RequestId: {self.request_id} Version: {self.version}\n")
        with _lock:
            if not _open:
                _install()
            _open[threading.get_ident()] = self
        self._started = time.perf_counter()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.duration_ms = (time.perf_counter() - self._started) * 1000
        with _lock:
            del _open[threading.get_ident()]
            if not _open:
                _uninstall()
        self.text.write(f"END RequestId: {self.request_id}\n"
                        f"REPORT RequestId: {self.request_id}\tDuration: {self.duration_ms:.2f} ms\t"
                        f"Billed Duration: {max(1, math.ceil(self.duration_ms))} ms\t"
                        f"Memory Size: {self.memory_mb} MB\t\n")

    def tail(self) -> str:
        """The last 4 KB of the log, base64-encoded (LogResult)."""
        return base64.b64encode(self.text.getvalue().encode("utf-8")[-TAIL_BYTES:]).decode("ascii")
