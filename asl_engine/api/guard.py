"""Who may talk to the server: the Host check (always) and SigV4 verification (opt-in).

Every request body is refused past MAX_BODY_BYTES as it arrives, before it fills memory.

The Host check is the defence against DNS rebinding: a web page whose name is made to resolve to
127.0.0.1 reaches the API with its own name in `Host`. Allowed are IP literals (a page cannot be
served from the server's own address without being the server), `localhost` and `*.localhost`,
this machine's host name, and what `Config.allowed_hosts` names (`*` turns the check off); each
also with botocore's `sync-` prefix (StartSyncExecution, TestState). It guards every route, the
web console's included.

SigV4: without configured credentials the API trusts every caller, as SFN Local does. With them,
every request but `GET /health` must be signed by one of those keys, and the web console, which a
browser cannot sign, is refused with a message saying so (not served to loopback either: a local
program or a reverse proxy on this machine arrives from loopback too). botocore's own signer
recomputes the signature (nothing is hand-rolled) and a signature older or newer than 15 minutes
is refused, as AWS does.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import re
import socket
import time
from datetime import datetime, timezone
from typing import Awaitable, Iterable

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asl_engine.config import Config

from .errors import ApiError, too_large
from .protocol import read_body

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;\-]+),\s*Signature=([0-9a-f]{64})$"
)
MAX_SKEW_SECONDS = 15 * 60
MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body read: AWS's largest member is a 1,048,576-character definition (up to
6 bytes a character once JSON-escaped); a bigger body is refused before it fills memory."""
SYNC_PREFIX = "sync-"
HEALTH = "/health"


class Gate:
    """The checks themselves, for the guard in front of every route and for POST /, which
    api/aws_json.py answers without middleware."""

    def __init__(self, config: Config) -> None:
        self.any_host = "*" in config.allowed_hosts
        self.hosts = {name.lower().rstrip(".") for name in config.allowed_hosts}
        self.hosts.update(("localhost", socket.gethostname().lower()))
        self.credentials = dict(config.credentials)
        # The answers for the last few Host values: a client sends the same one on every request,
        # and reading it as an IP address costs more than the rest of the guard.
        self._host_allowed = functools.lru_cache(maxsize=64)(self.host_allowed)

    def check_host(self, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """Raise AccessDeniedException unless every Host header names this server."""
        if self.any_host:
            return
        for key, value in headers:
            if key == b"host" and not self._host_allowed(host := value.decode("latin-1")):
                raise ApiError(
                    "AccessDeniedException",
                    f"Host '{host}' is not one this server answers to (a defence against DNS rebinding); "
                    "name it in ASL_ENGINE_ALLOWED_HOSTS or --allowed-hosts",
                    403,
                )

    def host_allowed(self, host: str) -> bool:
        name = _hostname(host)
        for candidate in (name, name[len(SYNC_PREFIX):] if name.startswith(SYNC_PREFIX) else None):
            if candidate is None:
                continue
            if candidate in self.hosts or candidate.endswith(".localhost") or _is_ip(candidate):
                return True
        return False

    def verify(self, scope: Scope, body: bytes) -> None:
        """Raise the error AWS answers unless the request is signed by a configured key."""
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        authorization = headers.get("authorization")
        if authorization is None:
            raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
        match = _AUTHORIZATION.match(authorization.strip())
        if match is None:
            raise ApiError("IncompleteSignatureException",
                           "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.")
        access_key, _, region, service, signed, signature = match.groups()
        secret = self.credentials.get(access_key)
        if secret is None:
            raise ApiError("UnrecognizedClientException", "The security token included in the request is invalid.")
        stamp = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise ApiError("IncompleteSignatureException", "Missing or malformed X-Amz-Date header.") from None
        if abs(time.time() - signed_at) > MAX_SKEW_SECONDS:  # wall time: the client signed with it
            raise ApiError("InvalidSignatureException", f"Signature expired: {stamp} is more than 15 minutes "
                           "away from the server's time.")
        names = signed.split(";")
        if "host" not in names or any(name not in headers for name in names):
            raise _mismatch()
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope.get("raw_path") or scope["path"].encode()
        url = f"http://{headers['host']}{path.decode('latin-1')}" + (f"?{query}" if query else "")
        request = AWSRequest(method=scope["method"], url=url, data=body,
                             headers={name: headers[name] for name in names})
        request.context["timestamp"] = stamp
        signer = SigV4Auth(Credentials(access_key, secret), service, region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, signature):
            raise _mismatch()


class Guard:
    """Plain ASGI middleware in front of every route (inside the error net, so its refusals are
    logged and carry a request id like any other answer)."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.gate = Gate(config)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Refuses (raises ApiError) or hands the request on: the app's own awaitable, no coroutine
        of the guard's in between unless a signature needs the body read first."""
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        self.gate.check_host(scope["headers"])
        length = -1  # the Content-Length, when it is the body's one framing header
        for key, value in scope["headers"]:
            if key == b"content-length":
                length = int(value) if length == -1 and value.isdigit() and len(value) < 16 else -2
            elif key == b"transfer-encoding":
                length = -2
        # The HTTP parser delivers exactly Content-Length bytes: a body announced within the limit
        # cannot outgrow it, and needs no counting as it arrives (chunked ones and others do).
        if not 0 <= length <= MAX_BODY_BYTES:
            receive = _bounded(receive, MAX_BODY_BYTES)
        credentials = self.gate.credentials
        if credentials and _is_console(scope):
            raise ApiError("AccessDeniedException", CONSOLE_REFUSED, 403)
        if credentials and scope["path"] != HEALTH:  # a probe that reveals nothing needs no key
            return self._signed(scope, receive, send)
        return self.app(scope, receive, send)

    async def _signed(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        self.gate.verify(scope, body)
        await self.app(scope, _replay(body, receive), send)


CONSOLE_REFUSED = (
    "The web console is not served when ASL_ENGINE_SIGV4_CREDENTIALS is set: a browser cannot sign "
    "its requests, and serving it unsigned, even to loopback, would let any local program or proxied "
    "request start and stop executions without a key. Use the console on a server without SigV4 "
    "verification (bound to 127.0.0.1)"
)


def _is_console(scope: Scope) -> bool:
    """The console's pages and actions (/ui/...), and GET /, which sends a browser there."""
    path = str(scope["path"])
    return path == "/ui" or path.startswith("/ui/") or (path == "/" and scope["method"] == "GET")


def _mismatch() -> ApiError:
    return ApiError(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS "
        "Secret Access Key and signing method. Consult the service documentation for details.",
    )


def _hostname(host: str) -> str:
    """The name in a Host header, without its port, lower case, without a final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return (host.rpartition(":")[0] if host.count(":") == 1 else host).rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _bounded(receive: Receive, limit: int) -> Receive:
    """`receive`, refusing a body longer than `limit` bytes as it arrives (Content-Length or not)."""
    received = 0

    async def bounded() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
        return message

    return bounded


def _replay(body: bytes, then: Receive) -> Receive:
    """The body already read, then the connection's own messages (a disconnect, say)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
