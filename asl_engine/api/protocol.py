"""AWS JSON 1.0, as botocore speaks it to Step Functions.

`POST /` with `X-Amz-Target: AWSStepFunctions.<Action>` and a JSON body; the answer is JSON with
`x-amzn-RequestId`. The `Host` header is checked by api/guard.py, which accepts botocore's
`sync-` host prefix. The account and region come from the SigV4 credential scope
(`Credential=AKID/date/<region>/states/aws4_request`); a 12-digit access key id names the
account, as in LocalStack. Paging tokens are opaque, signed, bound to the action and its other
arguments, and expire after 24 hours.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import time
import uuid
from typing import Any, Awaitable, Callable, Iterable, Mapping

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from asl_engine.arns import AccountRegion
from asl_engine.json_read import LoneSurrogate, parse_json
from asl_engine.service import Service
from asl_engine.aws_errors import InvalidToken, ValidationException

from . import model_check
from .errors import encode_json, serialization, too_large, unknown_operation

CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AWSStepFunctions."
TOKEN_TTL_SECONDS = 24 * 3600
Body = dict[str, Any]
Handler = Callable[[Service, AccountRegion, Body], Awaitable[Body]]

log = logging.getLogger("asl_engine.api")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")
_ACCOUNT = re.compile(r"\d{12}")
_TOKEN_KEY = secrets.token_bytes(32)
# Request ids: a random version-4 UUID drawn once per process, its last 48 bits then counting up.
# Same shape as AWS's x-amzn-RequestId, unique per process and across restarts (but for a 1 in
# 2^74 draw), at a tenth of the cost of a uuid4 per request (a urandom read and a formatting).
_ID_HEAD = str(uuid.uuid4())[:24]
_ID_COUNTER = itertools.count(secrets.randbits(48))


def request_id() -> str:
    """A fresh x-amzn-RequestId."""
    return f"{_ID_HEAD}{next(_ID_COUNTER) & 0xFFFF_FFFF_FFFF:012x}"


def request_scope(authorization: str, default: AccountRegion) -> AccountRegion:
    """The (account, region) of a request, from its SigV4 Authorization header if it has one."""
    match = _CREDENTIAL.search(authorization)
    if not match:
        return default
    access_key, region = match.groups()
    return _scope(access_key if _ACCOUNT.fullmatch(access_key) else default.account, region)


@functools.lru_cache(maxsize=64)
def _scope(account: str, region: str) -> AccountRegion:
    """One (frozen) AccountRegion per pair a client signs with, not one per request."""
    return AccountRegion(account, region)


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole request body; a client gone before it ends is starlette's ClientDisconnect, a
    body longer than `limit` bytes a RequestEntityTooLargeException (refused as it arrives)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large(limit)
        if not message.get("more_body", False):
            return b"".join((*chunks, chunk)) if chunks else bytes(chunk)  # one message: every small request
        chunks.append(chunk)


def parse_body(raw: bytes) -> Body:
    """The request's JSON object. Bytes that are not UTF-8, text that is not JSON as AWS reads it
    (NaN, Infinity, 1e400, nesting deeper than MAX_JSON_DEPTH) are a SerializationException; a
    string holding an unpaired surrogate (valid JSON escapes, but not Unicode) a ValidationException."""
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise serialization(f"Malformed JSON request body: the body is not UTF-8 ({exc.reason})") from None
    except LoneSurrogate as exc:
        raise ValidationException(f"1 validation error detected: {exc}") from None
    except ValueError as exc:
        raise serialization(f"Malformed JSON request body: {exc}") from None
    if not isinstance(body, dict):
        raise serialization("The request body must be a JSON object")
    return body


class AwsJsonEndpoint:
    """The action named by `X-Amz-Target`, given the JSON body, and its JSON answer.

    No framework object per request (FastAPI's routing and validation have nothing to do for a
    body whose shape each action checks itself): the two headers it needs are picked from the
    raw list and the target looked up as the bytes that arrive."""

    def __init__(self, state: Any, actions: Mapping[str, Handler]) -> None:
        self.state = state  # the app's state: `service` is set once the lifespan has opened it
        self.handlers = {f"{TARGET_PREFIX}{name}".encode("latin-1"): handler for name, handler in actions.items()}
        members = model_check.request_members()
        self.requests = {f"{TARGET_PREFIX}{name}".encode("latin-1"): members[name] for name in actions}

    async def answer(self, headers: Iterable[tuple[bytes, bytes]], raw: bytes) -> bytes:
        """The action's answer, encoded; raises the error it fails with (ServiceError, ApiError)."""
        target = authorization = None
        for key, value in headers:
            if key == b"x-amz-target" and target is None:
                target = value
            elif key == b"authorization" and authorization is None:
                authorization = value
        handler = self.handlers.get(target or b"")
        if handler is None:
            raise unknown_operation((target or b"").decode("latin-1"))
        body = parse_body(raw)
        model_check.check(self.requests[target or b""], body)
        service: Service = self.state.service
        default = service.default_scope()
        scope_of_request = default if authorization is None else request_scope(authorization.decode("latin-1"), default)
        return encode_json(await handler(service, scope_of_request, body))


def log_request(scope: Scope, status: int, started: float, request_id: str) -> None:
    """One DEBUG line per request (at INFO, a line per request cost a tenth of a call)."""
    if log.isEnabledFor(logging.DEBUG):
        target = next((value.decode() for key, value in scope["headers"] if key == b"x-amz-target"), "")
        log.debug("%s %s %s -> %d in %.1f ms [%s]", scope["method"], scope["path"], target, status,
                  (time.perf_counter() - started) * 1000, request_id)


# -- arguments -------------------------------------------------------------------------------


def present(**fields: Any) -> Body:
    """The fields that have a value: AWS leaves absent members out of a response, not null."""
    return {key: value for key, value in fields.items() if value is not None}


def required(body: Body, key: str, kind: type = str) -> Any:
    value = body.get(key)
    if value is None:
        raise ValidationException(
            f"1 validation error detected: Value null at '{key}' failed to satisfy constraint: "
            "Member must not be null"
        )
    return _typed(key, value, kind)


def optional(body: Body, key: str, kind: type = str) -> Any:
    value = body.get(key)
    return None if value is None else _typed(key, value, kind)


INCLUDED_DATA = ("ALL_DATA", "METADATA_ONLY")


def metadata_only(body: Body) -> bool:
    """`includedData` of the Describe calls and StartSyncExecution: METADATA_ONLY leaves out
    what a customer managed KMS key encrypts (the definition; an execution's input and output),
    "to get a successful response without the encrypted definition" (API_DescribeStateMachine)."""
    included: str | None = optional(body, "includedData")
    if included is not None and included not in INCLUDED_DATA:
        raise ValidationException.constraint(
            included, "includedData", f"Member must satisfy enum value set: [{', '.join(INCLUDED_DATA)}]")
    return included == "METADATA_ONLY"


def _typed(key: str, value: Any, kind: type) -> Any:
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise serialization(f"Unexpected value type for '{key}'")
    return value


# -- paging ----------------------------------------------------------------------------------


def page_request(action: str, body: Body) -> tuple[Any, int]:
    """(cursor, page size) from `nextToken` and `maxResults`; 0 or absent means 100. Their bounds
    are the model's, checked before the action (api/model_check.py)."""
    limit = optional(body, "maxResults", int)
    token = optional(body, "nextToken")
    cursor = None if token is None else _decode_token(token, action, _fingerprint(body))
    return cursor, limit or 100


def next_token(action: str, body: Body, cursor: Any) -> dict[str, str]:
    """`{"nextToken": ...}` when there is a next page, else `{}`."""
    if cursor is None:
        return {}
    payload = json.dumps([action, _fingerprint(body), int(time.time()), cursor], separators=(",", ":"))
    data = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return {"nextToken": f"{data}.{_sign(data)}"}


def _decode_token(token: str, action: str, fingerprint: str) -> Any:
    data, _, signature = token.partition(".")
    if not hmac.compare_digest(signature, _sign(data)):
        raise InvalidToken("Invalid Token: 'Invalid token'")  # AWS's words (LocalStack's snapshots)
    token_action, token_fingerprint, issued, cursor = json.loads(
        base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    )
    if (token_action, token_fingerprint) != (action, fingerprint):
        raise InvalidToken("Invalid Token: 'The arguments changed between pages'")
    if time.time() - issued > TOKEN_TTL_SECONDS:
        raise InvalidToken("Invalid Token: 'The token has expired'")
    return cursor


def _fingerprint(body: Body) -> str:
    rest = {key: value for key, value in body.items() if key not in ("nextToken", "maxResults")}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()[:16]


def _sign(data: str) -> str:
    return hmac.new(_TOKEN_KEY, data.encode(), hashlib.sha256).hexdigest()[:32]
