"""Helpers for Task tests: a free loopback port, and one in-process execution through the real
TaskDispatcher on a virtual clock."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from serving import free_port  # noqa: F401  (re-exported for the task tests)

from asl_engine.clock import VirtualClock
from asl_engine.tasks.config import TaskConfig
from asl_engine.tasks.dispatcher import TaskDispatcher
from asl_engine.testing import ExecutionResult, run_definition_async


def run_with(config: TaskConfig, definition: dict[str, Any], execution_input: Any = None,
             test_case: str | None = None, state_machine_name: str = "test-machine") -> ExecutionResult:
    """One execution through a fresh TaskDispatcher on a virtual clock."""

    async def go() -> ExecutionResult:
        clock = VirtualClock()
        dispatcher = TaskDispatcher(config, clock)
        return await run_definition_async(definition, execution_input, clock=clock,
                                          tasks=dispatcher.for_execution(test_case),
                                          state_machine_name=state_machine_name)

    return asyncio.run(go())


class _Echo(BaseHTTPRequestHandler):
    """Answers a POST with what it received: path (with query), headers (lower-cased names) and
    JSON body; a path under /missing answers 404."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        payload = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": json.loads(self.rfile.read(length) or b"null")}).encode()
        self.send_response(404 if self.path.startswith("/missing") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def echo_server() -> Iterator[str]:
    """An HTTP endpoint on loopback for http:invoke tests: its base URL."""
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
