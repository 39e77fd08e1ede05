"""boto3 plumbing shared by every AWS integration: clients at configured endpoints, blocking calls
run off the event loop, responses made JSON, and errors named as Step Functions names them.

Two error dialects exist because AWS runs two SDK generations behind Step Functions (recorded in
the conformance corpus, see /tmp/ref/causes.txt):
- optimized integrations (`arn:aws:states:::sns:publish`) use the Java SDK v1:
  `SNS.NotFoundException`, "Topic does not exist (Service: AmazonSNS; Status Code: 404;
  Error Code: NotFound; Request ID: …; Proxy: null)";
- `aws-sdk:*` integrations use the Java SDK v2: `DynamoDb.ResourceNotFoundException`,
  "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: …)".
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..clock import Clock
from ..errors import StatesError
from .config import ENDPOINT_VARIABLES, Advice, TaskConfig

Json = Any

# Optimized integrations: service -> (error prefix, SDK v1 client name in causes).
V1_NAMES: dict[str, tuple[str, str]] = {
    "lambda": ("Lambda", "AWSLambda"),
    "sqs": ("SQS", "AmazonSQS"),
    "sns": ("SNS", "AmazonSNS"),
    "dynamodb": ("DynamoDB", "AmazonDynamoDBv2"),
    "events": ("EventBridge", "AmazonEventBridge"),
    "stepfunctions": ("StepFunctions", "AWSStepFunctions"),
}
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|\d+")


class Clients:
    """botocore clients per (service, region), created lazily; never toward real AWS by default."""

    def __init__(self, config: TaskConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def get(self, service: str, region: str | None = None, variable: str | None = None) -> Any:
        endpoint = self.config.endpoint(service)
        if endpoint is None:
            raise StatesError("States.Runtime", _not_configured(service, variable, self.config.advice),
                              in_state=True)
        region = region or self.config.region
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                client = _make_client(service, region, endpoint)
                self._clients[(service, region)] = client
            return client

    def as_role(self, client: Any, role: str | None) -> Any:
        """`client` signed with the temporary credentials of a Task's `Credentials.RoleArn`, from
        STS AssumeRole at the configured STS endpoint (`AWS_ENDPOINT_URL`), as Step Functions
        assumes it (concepts-access-cross-acct-resources.html); `client` itself without a role.
        Blocking: call it from the thread that makes the call."""
        if role is None:
            return client
        from botocore.exceptions import ClientError, EndpointConnectionError

        region = client.meta.region_name
        try:
            answer = self.get("sts", region).assume_role(RoleArn=role, RoleSessionName=ROLE_SESSION_NAME)
        except ClientError as exc:
            code, message, _, _ = error_parts(exc)
            raise StatesError("States.TaskFailed", f"Unable to assume the role {role}: {code}: {message}") from None
        except EndpointConnectionError as exc:
            raise connection_error(exc, "Sts") from None
        credentials = answer["Credentials"]
        return _make_client(client.meta.service_model.service_name, region, client.meta.endpoint_url, {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"]})


ROLE_SESSION_NAME = "asl-engine-task"


def task_role(request_credentials: Json) -> str | None:
    """The role a Task's evaluated `Credentials` name, if any."""
    role = request_credentials.get("RoleArn") if isinstance(request_credentials, dict) else None
    return role if isinstance(role, str) else None


def _make_client(service: str, region: str, endpoint: str, credentials: dict[str, str] | None = None) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    credentials = credentials or {}
    if not credentials and session.get_credentials() is None:  # an emulator accepts any key
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return session.client(service, region_name=region, endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1}), **credentials)


def _not_configured(service: str, variable: str | None, advice: Advice) -> str:
    name = variable or ENDPOINT_VARIABLES.get(service)
    own = f"{name} or " if name else ""
    return (f"No endpoint is configured for the '{service}' service. Set {own}AWS_ENDPOINT_URL to the "
            f"URL of a service that speaks its API (moto, LocalStack, real AWS), or {advice.mock}.")


TASK_CALL_THREADS = 256
"""Blocking Task calls (boto3, a local Lambda handler, a Distributed Map's S3 reads and writes) that
run at once; threads start only when needed. They have a pool of their own: on asyncio's default
one (six threads on a 2-core machine) six slow Lambda calls stalled every other Task call of the
server, and the PostgreSQL store's commits, which use that pool too."""
_TASK_CALLS = ThreadPoolExecutor(max_workers=TASK_CALL_THREADS, thread_name_prefix="asl-engine-task")


async def call_blocking(clock: Clock, function: Callable[[], Json]) -> Json:
    """Run a blocking boto3 call in a thread while the clock knows we are busy, not waiting."""
    with clock.busy():
        return await asyncio.get_running_loop().run_in_executor(_TASK_CALLS, function)


def call_detached(function: Callable[[], object]) -> None:
    """Start a blocking call nobody waits for (a local Lambda invoked with InvocationType Event)."""
    _TASK_CALLS.submit(function)


def service_title(service_id: str) -> str:
    """SDK v2's client name from botocore's serviceId: "DynamoDB" -> "DynamoDb", "SFN" -> "Sfn"."""
    return "".join(word.capitalize() if word.isupper() and len(word) > 1 else word[:1].upper() + word[1:]
                   for word in _WORDS.findall(service_id))


def error_parts(exc: Exception) -> tuple[str, str, int, str]:
    """(code, message, HTTP status, request id) of a botocore ClientError."""
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {})
    meta = response.get("ResponseMetadata", {})
    return (str(error.get("Code", "Unknown")), str(error.get("Message", "")),
            int(meta.get("HTTPStatusCode", 400) or 400), str(meta.get("RequestId", "")))


def _exception_name(code: str, client: Any, generic: str) -> str:
    """The SDK's exception class for an error code: its modeled shape, else the service's generic one."""
    for shape in client.meta.service_model.error_shapes:
        if code in (shape.name, shape.metadata.get("error", {}).get("code")):
            return str(shape.name) if shape.name.endswith("Exception") else shape.name + "Exception"
    return generic


def v1_error(exc: Exception, client: Any, service: str) -> StatesError:
    """An optimized integration's service error, as the Java SDK v1 words it."""
    prefix, sdk_name = V1_NAMES.get(service, (service_title(client.meta.service_model.service_id),) * 2)
    code, message, status, request_id = error_parts(exc)
    generic = "AWSLambdaException" if prefix == "Lambda" else f"Amazon{prefix}Exception"
    name = _exception_name(code, client, generic)
    cause = (f"{message} (Service: {sdk_name}; Status Code: {status}; Error Code: {code}; "
             f"Request ID: {request_id}; Proxy: null)")
    return StatesError(f"{prefix}.{name}", cause)


def v2_error(exc: Exception, client: Any) -> StatesError:
    """An `aws-sdk:*` service error, as the Java SDK v2 words it."""
    title = service_title(client.meta.service_model.service_id)
    code, message, status, request_id = error_parts(exc)
    name = _exception_name(code, client, f"{title}Exception")
    cause = f"{message} (Service: {title}, Status Code: {status}, Request ID: {request_id})"
    return StatesError(f"{title}.{name}", cause)


def connection_error(exc: Exception, service: str) -> StatesError:
    """The endpoint did not answer: the SDK's client-side failure."""
    return StatesError(f"{service}.SdkClientException", f"Unable to execute HTTP request: {exc}")


def to_json(value: Json) -> Json:
    """botocore values as JSON: timestamps ISO-8601, blobs and streams as text."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "read"):  # a streaming body (s3 getObject)
        return to_json(value.read())
    return value


def http_metadata(response: dict[str, Any]) -> dict[str, Json]:
    """The SdkHttpMetadata / SdkResponseMetadata that optimized integrations add to results."""
    meta = response.get("ResponseMetadata", {})
    headers = {key: str(value) for key, value in (meta.get("HTTPHeaders") or {}).items()}
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {key: [value] for key, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": meta.get("HTTPStatusCode", 200),
        },
        "SdkResponseMetadata": {"RequestId": meta.get("RequestId", "")},
    }
