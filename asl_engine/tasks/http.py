"""`arn:aws:states:::http:invoke`: call an HTTPS API (call-https-apis).

Parameters: `ApiEndpoint`, `Method`, `Headers`, `QueryParameters`, `RequestBody`,
`Transform.RequestBodyEncoding` (`URL_ENCODED` sends a form). `Authentication.ConnectionArn` names
an EventBridge connection, whose credentials and parameters are merged into the request from the
file ASL_ENGINE_HTTP_CONNECTIONS names (tasks/connections.py); a connection it cannot honour fails
the task rather than calling without the credentials. The result
is `{Headers, ResponseBody, StatusCode, StatusText}`; a status outside 2xx fails the task with
`States.Http.StatusCode.<code>`, and a connection failure with `States.Http.Socket`.

Like AWS, which calls only public endpoints, it refuses loopback, private, link-local and other
non-public addresses, and this machine's own, unless ASL_ENGINE_HTTP_ALLOW names them: otherwise a
definition could read the emulator's own API, a cloud metadata service or the local network. The
host is resolved once and every address it resolves to is checked; the connection then goes to a
checked address, so a name that resolves differently a moment later (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from typing import Any, Iterable

import httpx

from ..clock import Clock
from ..errors import HTTP_SOCKET, StatesError
from ..json_read import parse_json
from ..tasks_api import TaskRequest
from .connections import Connections, Merge

Json = Any


def _request_arguments(params: dict[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "method": str(params.get("Method", "GET")).upper(),
        "url": params.get("ApiEndpoint", ""),
        "headers": {key: str(value) for key, value in (params.get("Headers") or {}).items()},
        "params": params.get("QueryParameters") or None,
    }
    body = params.get("RequestBody")
    encoding = (params.get("Transform") or {}).get("RequestBodyEncoding")
    if body is None:
        return arguments
    if encoding == "URL_ENCODED" and isinstance(body, dict):
        arguments["data"] = body
    elif isinstance(body, str):
        arguments["content"] = body
    else:
        arguments["content"] = json.dumps(body)
        arguments["headers"].setdefault("Content-Type", "application/json")
    return arguments


def _with_connection(params: dict[str, Any], merge: Merge) -> dict[str, Any]:
    """The Task's parameters with the connection's headers, query string and body parameters; the
    connection's values win (call-https-apis: merging EventBridge connection and HTTP Task
    definition data). Body parameters join an object body, or make one when there is none."""
    merged = {**params, "Headers": {**(params.get("Headers") or {}), **merge.headers}}
    if merge.query:
        merged["QueryParameters"] = {**(params.get("QueryParameters") or {}), **merge.query}
    body = params.get("RequestBody")
    if merge.body and (body is None or isinstance(body, dict)):
        merged["RequestBody"] = {**(body or {}), **merge.body}
    return merged


def _body(response: httpx.Response) -> Json:
    """The body as JSON, or as text when it is not JSON as AWS reads it (NaN, 1e400, an unpaired
    surrogate or deep nesting would not survive into history)."""
    try:
        return parse_json(response.text)
    except ValueError:
        return response.text


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_SETTING = "ASL_ENGINE_HTTP_ALLOW"


def _kind(address: Address) -> str | None:
    """Why an address is not public, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


class Destinations:
    """Which hosts `http:invoke` may reach: public addresses, and what the allow-list names
    (host names, addresses, networks such as 10.0.0.0/8)."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.names.add(entry.lower().rstrip("."))
        self._own: set[Address] | None = None

    async def resolve(self, url: httpx.URL) -> str:
        """The address to connect to for `url`; a StatesError when the host must not be called."""
        host = url.host
        if url.scheme not in ("http", "https") or not host:
            raise StatesError(HTTP_SOCKET, f"Unable to reach {url}: only http and https URLs can be called")
        loop = asyncio.get_running_loop()
        try:
            found = await loop.getaddrinfo(host, url.port or (443 if url.scheme == "https" else 80),
                                           type=socket.SOCK_STREAM)
        except OSError as exc:
            raise StatesError(HTTP_SOCKET, f"Unable to reach {url}: {exc}") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(item[4][0]).split("%")[0]) for item in found))
        if host.lower().rstrip(".") not in self.names:
            own = await self._own_addresses()
            for address in addresses:
                kind = "this machine's own" if address in own else _kind(address)
                if kind is not None and not any(address in network for network in self.networks):
                    raise StatesError(
                        HTTP_SOCKET,
                        f"Unable to reach {url}: {host} resolves to {address}, a {kind} address, which "
                        f"asl-engine does not call unless the {ALLOW_SETTING} setting names it "
                        "(comma-separated host names, addresses or networks)",
                    )
        return str(addresses[0])

    async def _own_addresses(self) -> set[Address]:
        if self._own is None:
            loop = asyncio.get_running_loop()
            try:
                found = await loop.getaddrinfo(socket.gethostname(), None)
            except OSError:
                found = []
            self._own = {ipaddress.ip_address(str(item[4][0]).split("%")[0]) for item in found}
        return self._own


def _pinned(arguments: dict[str, Any], address: str) -> dict[str, Any]:
    """The request sent to `address` (not re-resolved), with the URL's own Host and TLS name."""
    url = httpx.URL(arguments["url"])
    pinned = {**arguments, "url": url.copy_with(host=address)}
    pinned["headers"] = {"Host": url.netloc.decode("ascii"), **arguments["headers"]}
    if url.scheme == "https":
        pinned["extensions"] = {"sni_hostname": url.host}
    return pinned


class HttpTasks:
    """Performs `http:invoke` with httpx; the clock is busy while the request is in flight."""

    def __init__(self, clock: Clock, timeout: float = 60.0, allow: Iterable[str] = (),
                 connections: str | None = None) -> None:
        self.clock = clock
        self.timeout = timeout
        self.destinations = Destinations(allow)
        self.connections = Connections(connections)

    async def __call__(self, request: TaskRequest) -> Json:
        params = request.input if isinstance(request.input, dict) else {}
        url = params.get("ApiEndpoint", "")
        try:
            with self.clock.busy():
                # The destination first: a connection's credentials are not read for a call that is refused.
                address = await self.destinations.resolve(httpx.URL(url))
                authentication = params.get("Authentication")
                if isinstance(authentication, dict) and "ConnectionArn" in authentication:
                    params = _with_connection(params, self.connections.merge(str(authentication["ConnectionArn"])))
                arguments = _request_arguments(params)
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.request(**_pinned(arguments, address))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise StatesError(HTTP_SOCKET, f"Unable to reach {url}: {exc}") from None
        result = {
            "Headers": {key: [value] for key, value in response.headers.items()},
            "ResponseBody": _body(response),
            "StatusCode": response.status_code,
            "StatusText": response.reason_phrase,
        }
        if not 200 <= response.status_code < 300:
            raise StatesError(f"States.Http.StatusCode.{response.status_code}", json.dumps(result))
        return result
