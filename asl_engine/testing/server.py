"""A real asl-engine server in a background thread, on a loopback port the OS chooses.

What `asl_engine.testing.Environment` serves each test from, and what our own test suite's
fixtures use: code under test talks to it with boto3 over HTTP, exactly as to AWS.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn

from asl_engine.api.http_protocol import OneWriteProtocol

START_SECONDS = 20.0
TICK_SECONDS = 0.1


class ServerThread:
    """uvicorn in a background thread, bound to a port chosen by the OS."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets whose `proto` says
        # TCP, and without it every keep-alive response waits ~40 ms (Nagle against delayed ACK).
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready = threading.Event()
        self.db: Any = None  # the SQLite file, for tests that look at what is on disk
        # asyncio's own loop: the virtual clock tells "everything is parked" by its ready queue;
        # no `server` header, as AWS sends none; serve's HTTP protocol, so SDK calls are answered
        # as `serve` answers them (asl_engine/api/http_protocol.py)
        server_config = uvicorn.Config(
            app, log_level="warning", ws="none", lifespan="on", access_log=False, loop="asyncio", server_header=False,
            http=OneWriteProtocol,
        )
        self.server = _ReadyServer(server_config, self.ready)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop, where the service and every execution run."""
        assert self.server.loop is not None, "the server has not started"
        return self.server.loop

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(timeout=START_SECONDS):
            raise RuntimeError("asl-engine test server did not start")

    def stop(self, wait: bool = True) -> None:
        """Stop serving; `wait=False` lets the server finish its shutdown (uvicorn gives open
        connections 0.1 s) in its own thread while the caller goes on."""
        self.server.should_exit = True
        if self.server.loop is not None and self.server.stopping is not None:
            self.server.loop.call_soon_threadsafe(self.server.stopping.set)
        if wait:
            self.thread.join(timeout=START_SECONDS)
            self.socket.close()


class _ReadyServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.stopping = asyncio.Event()
        await super().startup(sockets=sockets)
        self.loop = asyncio.get_running_loop()
        self._ready.set()

    async def main_loop(self) -> None:
        """uvicorn's loop, ticking each 0.1 s, but ending as soon as `stop` asks: a test's server
        stops in a millisecond, not at the next tick."""
        assert self.stopping is not None
        while not await self.on_tick(0):
            try:
                await asyncio.wait_for(self.stopping.wait(), TICK_SECONDS)
            except asyncio.TimeoutError:
                continue
            return
