"""`serve`'s HTTP protocol (api/http_protocol.py) writes each response once, and writes the very
bytes uvicorn's own httptools protocol writes: the same exchange, one system call fewer.

Each case drives both protocols with the same request bytes over a transport that records its
writes, and compares what a client would read (RFC 9112: a HEAD answer has no body, a
`100 Continue` interim response goes out before the body is read, a response without
Content-Length is chunked, a `Connection: close` request ends with the connection closed).
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import weakref
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from asl_engine.api.http_protocol import OneWriteProtocol

BODY = b'{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e"}'


class Recorder(asyncio.Transport):
    """A transport that keeps what is written to it, and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        if data:  # as asyncio's and uvloop's transports do, an empty write sends nothing
            self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8083), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A JSON answer of known length, or chunked when the path says so; reads the body first."""
    message = await receive()
    assert message["type"] == "http.request"
    headers = [(b"content-type", b"application/x-amz-json-1.0")]
    if scope["path"] != "/chunked":
        headers.append((b"content-length", b"%d" % len(BODY)))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/chunked":
        await send({"type": "http.response.body", "body": BODY[:10], "more_body": True})
        await send({"type": "http.response.body", "body": BODY[10:]})
    else:
        await send({"type": "http.response.body", "body": BODY})


async def fail_after_start(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    raise RuntimeError("gone wrong after the head")


async def connection(protocol_class: type[HttpToolsProtocol], request: bytes, app: Any,
                     default_headers: list[tuple[bytes, bytes]]) -> Recorder:
    """The writes of one connection that receives `request` (one or more requests), once the
    app's tasks are done: the first request's, then any pipelined one's, started as it completed."""
    config = Config(app=app, lifespan="off", proxy_headers=False, log_level="critical")
    state = ServerState()
    state.default_headers = default_headers
    protocol = protocol_class(config=config, server_state=state, app_state={})
    transport = Recorder()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(2):
        for _ in range(50):
            await asyncio.sleep(0)
        for task in list(state.tasks):
            await task
    return transport


def exchange(protocol_class: type[HttpToolsProtocol], request: bytes, app: Any = answer) -> Recorder:
    """`connection` with a toy app."""
    return asyncio.run(connection(protocol_class, request, app, [(b"server", b"test")]))


POST = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
        b"Content-Length: 2\r\n\r\n{}")


@pytest.mark.parametrize("request_bytes", [
    pytest.param(POST, id="post"),
    pytest.param(POST.replace(b"POST / ", b"POST /chunked "), id="chunked"),
    pytest.param(POST.replace(b"Host:", b"Connection: close\r\nHost:"), id="connection-close"),
    pytest.param(POST.replace(b"POST / ", b"HEAD / ").replace(b"Content-Length: 2", b"Content-Length: 0")[:-2],
                 id="head"),
    pytest.param(POST.replace(b"Host:", b"Expect: 100-continue\r\nHost:"), id="expect-100-continue"),
    pytest.param(POST + POST.replace(b"POST / ", b"POST /chunked "), id="pipelined"),
])
def test_the_bytes_a_client_reads_are_uvicorns(request_bytes: bytes) -> None:
    ours = exchange(OneWriteProtocol, request_bytes)
    theirs = exchange(HttpToolsProtocol, request_bytes)
    assert b"".join(ours.writes) == b"".join(theirs.writes)
    assert ours.closed == theirs.closed


def test_a_response_with_a_length_is_one_write() -> None:
    transport = exchange(OneWriteProtocol, POST)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == BODY
    assert len(exchange(HttpToolsProtocol, POST).writes) == 2  # what uvicorn alone does


def test_a_head_answer_goes_out_when_the_response_completes() -> None:
    request = POST.replace(b"POST / ", b"HEAD / ").replace(b"Content-Length: 2", b"Content-Length: 0")[:-2]
    transport = exchange(OneWriteProtocol, request)
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\n")


def test_100_continue_goes_out_before_the_head() -> None:
    transport = exchange(OneWriteProtocol, POST.replace(b"Host:", b"Expect: 100-continue\r\nHost:"))
    assert transport.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert len(transport.writes) == 2 and transport.writes[1].endswith(BODY)


def test_an_app_that_fails_after_the_head_leaves_the_head_written_and_the_connection_closed() -> None:
    ours = exchange(OneWriteProtocol, POST, app=fail_after_start)
    theirs = exchange(HttpToolsProtocol, POST, app=fail_after_start)
    assert ours.writes == theirs.writes and ours.closed and theirs.closed


@pytest.mark.parametrize("protocol_class", [OneWriteProtocol, HttpToolsProtocol])
def test_a_finished_request_is_freed_without_the_garbage_collector(protocol_class: type[HttpToolsProtocol]) -> None:
    """The held head and the request's cycle refer to each other while the response is sent; a
    cycle left behind after it would be freed only by the collector, which then ran every few
    hundred requests (measured in `serve`: 4.7 us per DescribeExecution)."""

    async def run() -> weakref.ref[Any]:
        config = Config(app=answer, lifespan="off", proxy_headers=False, log_level="critical")
        state = ServerState()
        protocol = protocol_class(config=config, server_state=state, app_state={})
        protocol.connection_made(Recorder())
        protocol.data_received(POST)
        for task in list(state.tasks):
            await task
        cycle = weakref.ref(protocol.cycle)
        protocol.connection_lost(None)
        return cycle

    gc.collect()
    gc.disable()
    try:
        cycle = asyncio.run(run())
        assert cycle() is None
    finally:
        gc.enable()


# -- SDK calls answered directly (App.direct) ------------------------------------------------

def aws_exchange(protocol_class: type[HttpToolsProtocol], request: bytes, tmp_path: Any) -> Recorder:
    """`exchange`, with asl-engine's own app (its service open on a fresh database) as the app."""
    from asl_engine.api.app import create_app
    from asl_engine.config import Config as EngineConfig

    app = create_app(EngineConfig(db_path=str(tmp_path / f"{protocol_class.__name__}.db")))

    async def run() -> Recorder:
        async with app.router.lifespan_context(app):
            return await connection(protocol_class, request, app, [(b"date", b"Tue, 01 Dec 2026 00:00:00 GMT")])

    return asyncio.run(run())


def aws_request(action: str, body: bytes, *extra: bytes) -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8083\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AWSStepFunctions." + action.encode() + b"\r\n" + b"".join(extra)
            + b"Content-Length: %d\r\n\r\n" % len(body) + body)


LIST = aws_request("ListStateMachines", b"{}")


def without_request_ids(data: bytes) -> bytes:
    return re.sub(rb"x-amzn-requestid: [0-9a-f-]{36}", b"x-amzn-requestid: <id>", data)


@pytest.mark.parametrize("request_bytes", [
    pytest.param(LIST, id="answer"),
    pytest.param(aws_request("DescribeExecution", b'{"executionArn":"nope"}'), id="service-error"),
    pytest.param(aws_request("NoSuchAction", b"{}"), id="unknown-action"),
    pytest.param(aws_request("ListStateMachines", b"{not json"), id="not-json"),
    pytest.param(LIST.replace(b"127.0.0.1:8083", b"evil.example"), id="host-refused"),
    pytest.param(LIST.replace(b"Host:", b"Connection: close\r\nHost:"), id="connection-close"),
    pytest.param(LIST.replace(b"HTTP/1.1", b"HTTP/1.0"), id="http-1.0"),
    pytest.param(LIST.replace(b"Host:", b"Expect: 100-continue\r\nHost:"), id="expect-100-continue"),
    pytest.param(LIST + LIST, id="pipelined"),
    pytest.param(LIST + b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", id="then-an-asgi-route"),
])
def test_an_sdk_call_answered_directly_reads_as_through_asgi(request_bytes: bytes, tmp_path: Any) -> None:
    """Under `serve`, POST / is answered without ASGI (api/http_protocol.py `_answer`); a client
    reads the same bytes as from uvicorn's own protocol running the app through ASGI (but for
    the request id, fresh on every answer), and the connection ends alike."""
    ours = aws_exchange(OneWriteProtocol, request_bytes, tmp_path)
    theirs = aws_exchange(HttpToolsProtocol, request_bytes, tmp_path)
    assert without_request_ids(b"".join(ours.writes)) == without_request_ids(b"".join(theirs.writes))
    assert ours.closed == theirs.closed
    assert b"x-amzn-requestid: " in b"".join(ours.writes)


def test_an_sdk_call_is_one_write_and_names_its_request(tmp_path: Any) -> None:
    transport = aws_exchange(OneWriteProtocol, LIST, tmp_path)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[:4] == [b"HTTP/1.1 200 OK", b"date: Tue, 01 Dec 2026 00:00:00 GMT",
                                       b"content-type: application/x-amz-json-1.0",
                                       b"content-length: %d" % len(body)]
    assert json.loads(body) == {"stateMachines": []}


def test_a_body_past_the_limit_is_refused_as_it_arrives(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A body is counted as it arrives (chunked, or longer than its Content-Length says), and
    refused with 413 RequestEntityTooLargeException once past the limit, directly as through ASGI."""
    from asl_engine.api import aws_json

    monkeypatch.setattr(aws_json, "MAX_BODY_BYTES", 10)
    chunked = LIST.replace(b"Content-Length: 2\r\n\r\n{}", b"Transfer-Encoding: chunked\r\n\r\n6\r\n{     \r\n6\r\n     }\r\n0\r\n\r\n")
    for request in (aws_request("ListStateMachines", b"{" + b" " * 20 + b"}"), chunked):
        ours = aws_exchange(OneWriteProtocol, request, tmp_path)
        theirs = aws_exchange(HttpToolsProtocol, request, tmp_path)
        assert without_request_ids(b"".join(ours.writes)) == without_request_ids(b"".join(theirs.writes))
        assert b"413 Request Entity Too Large" in ours.writes[0] and b"RequestEntityTooLargeException" in ours.writes[0]


def test_a_client_gone_before_its_body_gets_no_answer_and_the_protocol_lives_on(tmp_path: Any) -> None:
    from asl_engine.api.app import create_app
    from asl_engine.config import Config as EngineConfig

    app = create_app(EngineConfig(db_path=str(tmp_path / "gone.db")))

    async def run() -> Recorder:
        async with app.router.lifespan_context(app):
            config = Config(app=app, lifespan="off", proxy_headers=False, log_level="critical")
            state = ServerState()
            protocol = OneWriteProtocol(config=config, server_state=state, app_state={})
            transport = Recorder()
            protocol.connection_made(transport)
            protocol.data_received(LIST[:-1])  # the body's last byte never comes
            for _ in range(5):
                await asyncio.sleep(0)
            protocol.connection_lost(None)
            for task in list(state.tasks):
                await task
            return transport

    assert asyncio.run(run()).writes == []
