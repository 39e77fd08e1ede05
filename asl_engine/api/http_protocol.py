"""uvicorn's httptools protocol, each response written to the socket once, and the requests an
app answers directly (`Direct`) answered without ASGI.

Why: uvicorn writes a response's status line and headers when the app sends
`http.response.start`, and its body when it sends `http.response.body`: two writes, so two
send(2) calls through the loopback TCP stack. Here a response's head waits for the first bytes of
its body and leaves with them; the bytes on the wire are the same. Measured with a raw client
against a hello-world app: 0.049 ms of server CPU per request instead of 0.052. `serve` uses it.

An app may go further for the requests it names (`App.direct` in api/app.py: every SDK call):
the protocol hands it the request's scope and a body reader, and writes the `Reply` it returns,
head and body in one write, as uvicorn would have written them, without the ASGI messages and
the checks uvicorn makes of an app's headers (our headers are constants). A DescribeExecution
then costs the server 0.071 ms instead of 0.078 (issue 20). uvicorn's own cycle still reads the
request, keeps the connection alive, pipelines and shuts down.

It leans on uvicorn's internals: `_start_asgi_task` (where each request's cycle starts) and the
cycle's attributes (`transport`, `on_response`, `body`, `more_body`, `message_event`, `flow`,
`keep_alive`...), hence the upper bound on uvicorn in pyproject.toml. A uvicorn without
`_start_asgi_task` simply writes twice and answers through ASGI; tests/api/test_http_protocol.py
compares the bytes with uvicorn's own protocol.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, cast

from starlette.requests import ClientDisconnect
from starlette.types import Scope
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from .errors import too_large

log = logging.getLogger("asl_engine.api")


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole response: its status, headers (lower-case names) and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


Reader = Callable[[int], Awaitable[bytes]]
"""Reads the request's whole body, refusing it past the given size with api/errors.py's
`too_large`; raises starlette's ClientDisconnect when the client is gone."""
Direct = Callable[[Scope, Reader], Awaitable["Reply | None"]]
"""Answers a request itself: its `Reply`, or None for a client that left before it was read."""


class OneWriteProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose every request/response cycle writes through a `_HeldHead`, or,
    for a request its app answers directly, writes the app's `Reply` at once."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        direct: Callable[[Scope], Direct | None] | None = getattr(app, "direct", None)
        answer = None if direct is None else direct(cast(Scope, cycle.scope))
        if answer is not None:
            task = self.loop.create_task(_answer(cycle, answer))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)
            return
        held = _HeldHead(cycle, self.transport, cycle.on_response)
        cycle.transport = held  # type: ignore[assignment]  # the cycle only writes, closes, asks is_closing
        cycle.on_response = held.completed
        super()._start_asgi_task(cycle, app)


async def _answer(cycle: RequestResponseCycle, answer: Direct) -> None:
    """What uvicorn's `run_asgi` and the cycle's `send` do for an app's response, for a `Reply`."""
    try:
        reply = await answer(cast(Scope, cycle.scope), lambda limit: _read(cycle, limit))
        if reply is None or cycle.disconnected:
            return
        if cycle.flow.write_paused:
            await cycle.flow.drain()
        cycle.response_started = True
        head = [STATUS_LINE[reply.status]]
        head.extend(b"%s: %s\r\n" % header for header in cycle.default_headers)
        head.extend(b"%s: %s\r\n" % header for header in reply.headers)
        if not cycle.keep_alive:
            head.append(b"connection: close\r\n")
        cycle.transport.write(b"".join((*head, b"\r\n", reply.body)))
        cycle.response_complete = True
        cycle.message_event.set()
        if not cycle.keep_alive:
            cycle.transport.close()
        cycle.on_response()
    except Exception:  # `answer` turns every error into a Reply: this is a bug of ours, one request's
        log.exception("a request answered directly failed")
        cycle.transport.close()
    finally:
        cycle.on_response = _nothing  # the cycle lets go of the protocol, as uvicorn's run_asgi does


def _nothing() -> None:
    return None


async def _read(cycle: RequestResponseCycle, limit: int) -> bytes:
    """The request's body, as the cycle's `receive` hands it over (a `100 Continue` first when
    the client asked for one), refused past `limit` bytes as it arrives."""
    if cycle.waiting_for_100_continue and not cycle.transport.is_closing():
        cycle.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        cycle.waiting_for_100_continue = False
    chunks: list[bytes] = []
    size = 0
    while True:
        if not cycle.disconnected and not cycle.response_complete:
            cycle.flow.resume_reading()
            await cycle.message_event.wait()
            cycle.message_event.clear()
        if cycle.disconnected or cycle.response_complete:
            raise ClientDisconnect()
        chunk, cycle.body = bytes(cycle.body), bytearray()
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not cycle.more_body:
            return chunk if len(chunks) == 1 else b"".join(chunks)


class _HeldHead:
    """A response's view of the connection's transport: the write that carries its head (the
    first one after `response_started`) is held until the next write, or until the response
    completes or the connection closes, whichever comes first."""

    __slots__ = ("cycle", "head", "on_response", "state", "transport")

    def __init__(self, cycle: RequestResponseCycle, transport: asyncio.Transport,
                 on_response: Callable[[], None]) -> None:
        self.cycle: RequestResponseCycle | None = cycle
        self.transport = transport
        self.on_response: Callable[[], None] | None = on_response
        self.head = b""
        self.state = 0  # 0: no head yet (a `100 Continue` goes straight out), 1: head held, 2: written

    def write(self, data: bytes) -> None:
        if self.state == 1:
            self.state = 2
            data, self.head = self.head + data, b""
        elif self.state == 0 and self.cycle is not None and self.cycle.response_started:
            self.state, self.head = 1, data
            return
        self.transport.write(data)

    def flush(self) -> None:
        if self.state == 1:
            self.state = 2
            self.transport.write(self.head)
            self.head = b""

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def completed(self) -> None:
        """The cycle's `on_response`, once the head of a response without a body write (HEAD)
        has gone out. The cycle and the protocol are let go: the cycle holds this object as its
        transport, and a reference cycle per request would be freed by the garbage collector alone."""
        self.flush()
        on_response, self.cycle, self.on_response = self.on_response, None, None
        if on_response is not None:
            on_response()
