"""EventBridge connections for `http:invoke`, read from a local file (ASL_ENGINE_HTTP_CONNECTIONS).

On AWS an HTTP Task must name an EventBridge connection in `Authentication.ConnectionArn`; the
connection holds the credentials (API key, basic, or OAuth) and extra headers, query string and
body parameters, which are merged into the request with the connection's values taking precedence
(call-https-apis, "Merging EventBridge connection and HTTP Task definition data"). The connection's
secret lives in Secrets Manager and cannot be read back through the EventBridge API, so a local
emulator cannot learn it from an endpoint: the user writes it down instead, in a JSON file keyed
by connection ARN or name, each value shaped as EventBridge's CreateConnection request:

    {"orders": {"AuthorizationType": "API_KEY",
                "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                            "ApiKeyValue": "secret"},
                                   "InvocationHttpParameters": {"HeaderParameters": [
                                       {"Key": "X-Tenant", "Value": "t1"}]}}}}

`API_KEY` and `BASIC` are honoured. A connection the file does not name, a file that cannot be
read, and `OAUTH_CLIENT_CREDENTIALS` (which would need a token endpoint call we do not make) fail
the task with States.Runtime and a cause that names the setting: never a call without the
credentials the definition asked for.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from ..errors import RUNTIME, StatesError

CONNECTIONS_SETTING = "ASL_ENGINE_HTTP_CONNECTIONS"
_HONOURED = ("API_KEY", "BASIC")


@dataclass(frozen=True)
class Merge:
    """What a connection adds to a request; its values win over the Task's."""

    headers: dict[str, str]
    query: dict[str, str]
    body: dict[str, str]


def _refuse(cause: str) -> StatesError:
    return StatesError(RUNTIME, cause, in_state=True)


def connection_name(arn: str) -> str:
    """`arn:aws:events:<region>:<account>:connection/<name>/<id>` -> `<name>` (an ARN-less name as is)."""
    _, _, resource = arn.rpartition(":")
    parts = resource.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "connection" else arn


def _pairs(entries: Any) -> dict[str, str]:
    return {str(entry["Key"]): str(entry["Value"]) for entry in entries or ()
            if isinstance(entry, dict) and "Key" in entry and "Value" in entry}


class Connections:
    """The connections file, read on each use so that an edit applies to the next call."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def _entries(self, arn: str) -> dict[str, Any]:
        if not self.path:
            raise _refuse(
                f"The HTTP Task names the EventBridge connection '{arn}', whose credentials asl-engine "
                f"cannot read from AWS: set {CONNECTIONS_SETTING} to a JSON file that maps the "
                "connection's ARN or name to its AuthorizationType and AuthParameters"
            )
        try:
            with open(self.path, encoding="utf-8") as handle:
                entries = json.load(handle)
        except (OSError, ValueError) as exc:
            raise _refuse(f"{CONNECTIONS_SETTING} file {self.path} cannot be read: {exc}") from None
        if not isinstance(entries, dict):
            raise _refuse(f"{CONNECTIONS_SETTING} file {self.path} is not a JSON object")
        return entries

    def merge(self, arn: str) -> Merge:
        """The headers, query and body parameters connection `arn` adds to a request."""
        entries = self._entries(arn)
        connection = entries.get(arn, entries.get(connection_name(arn)))
        if not isinstance(connection, dict):
            raise _refuse(
                f"The EventBridge connection '{arn}' is not in the {CONNECTIONS_SETTING} file "
                f"{self.path} (keys are connection ARNs or names)"
            )
        kind = connection.get("AuthorizationType")
        if kind not in _HONOURED:
            raise _refuse(
                f"The EventBridge connection '{arn}' has AuthorizationType {kind!r}; asl-engine "
                f"honours {' and '.join(_HONOURED)} connections only (set in {CONNECTIONS_SETTING})"
            )
        params = connection.get("AuthParameters") or {}
        invocation = params.get("InvocationHttpParameters") or {}
        headers = _pairs(invocation.get("HeaderParameters"))
        if kind == "API_KEY":
            key = params.get("ApiKeyAuthParameters") or {}
            headers[str(key.get("ApiKeyName", ""))] = str(key.get("ApiKeyValue", ""))
        else:
            basic = params.get("BasicAuthParameters") or {}
            token = f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")
        return Merge(headers, _pairs(invocation.get("QueryStringParameters")),
                     _pairs(invocation.get("BodyParameters")))
