"""Lambda: a local Python handler (`ASL_LAMBDA_HANDLERS`) or the Invoke API at `LAMBDA_ENDPOINT`.

The two resource forms answer differently (connect-lambda):
- the function ARN (`arn:aws:lambda:…:function:NAME`) returns the function's payload, and a
  function error's cause is the payload text as the runtime wrote it;
- `arn:aws:states:::lambda:invoke` returns the Invoke response `{ExecutedVersion, Payload,
  SdkHttpMetadata, SdkResponseMetadata, StatusCode}`, and re-serialises a function error's
  payload compactly as the cause (both recorded, e.g. test_task_service_lambda).
"""

from __future__ import annotations

import base64
import importlib
import json
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import arns
from ..aws_errors import InvalidArn
from ..clock import Clock
from ..config import DEFAULT_ACCOUNT
from ..errors import StatesError
from ..json_read import JsonRejected, parse_json
from ..tasks_api import TaskRequest, is_lambda_function
from .aws import Clients, call_blocking, call_detached, connection_error, http_metadata, task_role, v1_error
from .lambda_log import InvocationLog
from .models import invalid_request

Json = Any
# A local handler: "module:function" (ASL_LAMBDA_HANDLERS), or the function itself (asl_engine.testing)
Handler = str | Callable[[Json, Any], Json]
_Outcome = tuple[dict[str, Json], Json, "str | None"]  # (response fields, payload, function error type)
_OPTIONS = ("InvocationType", "LogType", "ClientContext")
# Invoke's StatusCode per InvocationType (API_Invoke.html): Event and DryRun answer no payload.
_STATUS = {"RequestResponse": 200, "Event": 202, "DryRun": 204}


@dataclass(frozen=True)
class MobileClient:
    """`context.client_context.client`, as the Python runtime names its fields."""

    installation_id: str | None = None
    app_title: str | None = None
    app_version_name: str | None = None
    app_version_code: str | None = None
    app_package_name: str | None = None


@dataclass(frozen=True)
class ClientContext:
    """`context.client_context`: Invoke's ClientContext, base64-encoded JSON
    `{"client": {...}, "custom": {...}, "env": {...}}` (API_Invoke.html, python-context.html)."""

    client: MobileClient | None
    custom: Any
    env: Any

    @classmethod
    def decode(cls, encoded: str) -> ClientContext:
        """Raises StatesError (States.TaskFailed) for text that is not a base64-encoded JSON object."""
        try:
            data = parse_json(base64.b64decode(encoded, validate=True).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise StatesError("States.TaskFailed", f"ClientContext is not base64-encoded JSON: {exc}") from None
        if not isinstance(data, dict):
            raise StatesError("States.TaskFailed", "ClientContext is not a base64-encoded JSON object")
        client = data.get("client")
        fields = MobileClient.__dataclass_fields__
        mobile = (MobileClient(**{k: v for k, v in client.items() if k in fields})
                  if isinstance(client, dict) else None)
        return cls(mobile, data.get("custom"), data.get("env"))


@dataclass(frozen=True)
class LambdaContext:
    """Lambda's context object, with every property the Python runtime documents
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html); `identity` is None, and
    `client_context` too unless lambda:invoke passed a ClientContext."""

    function_name: str
    invoked_function_arn: str  # the full ARN, with the version or alias the invoker gave
    aws_request_id: str
    deadline: float | None  # epoch seconds, from TimeoutSeconds
    clock: Clock
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    identity: Any = None
    client_context: ClientContext | None = None

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """Lambda's form, `2024/01/02/[$LATEST]` and the instance's id (here, one per invoke)."""
        day = time.strftime("%Y/%m/%d", time.gmtime(self.clock.time()))
        return f"{day}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        if self.deadline is None:
            return 900_000
        return max(0, int((self.deadline - self.clock.time()) * 1000))


@dataclass(frozen=True, slots=True)
class _Invocation:
    function: str  # name or ARN as given
    name: str  # bare function name
    payload: Json
    qualifier: str | None
    # lambda:invoke's other Invoke parameters, sent as given (API_Invoke.html)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def invocation_type(self) -> str:
        return self.options.get("InvocationType", "RequestResponse")


def _invocation(request: TaskRequest) -> _Invocation:
    options: dict[str, str] = {}
    if is_lambda_function(request.resource):
        function, payload, qualifier = request.resource, request.input, None
    else:
        params = request.input if isinstance(request.input, dict) else {}
        # A FunctionName missing or not a string fails the task with the SDK's words (States.TaskFailed:
        # AWS documents no other name), and is never str()-ed into a name.
        problem = invalid_request("lambda", "Invoke", {k: v for k, v in params.items() if k != "Payload"})
        if problem is not None:
            raise StatesError("States.TaskFailed", problem)
        function = params["FunctionName"]
        payload, qualifier = params.get("Payload"), params.get("Qualifier")
        options = {key: params[key] for key in _OPTIONS if key in params}
    bare = function.split(":function:", 1)[1] if ":function:" in function else function
    name = bare.split(":")[0]
    return _Invocation(function, name, payload, qualifier, options)


def _invoked_arn(call: _Invocation, request: TaskRequest, region: str) -> str:
    """The function's ARN as Lambda shows it to the handler: `arn:aws:lambda:REGION:ACCOUNT:
    function:NAME`, with the version or alias the invoker named. A bare or partial name is
    completed with the execution's account and region, as Lambda completes it with the caller's."""
    function_arn = call.function
    if not function_arn.startswith("arn:"):
        execution = request.context.get("Execution") if isinstance(request.context, dict) else None
        try:
            scope = arns.parse_arn(str((execution or {}).get("Id", ""))).scope
        except InvalidArn:
            scope = arns.AccountRegion(DEFAULT_ACCOUNT, region)
        bare = function_arn.split(":function:", 1)[-1]
        function_arn = f"arn:{scope.partition}:lambda:{scope.region}:{scope.account}:function:{bare}"
    if call.qualifier and function_arn.count(":") == 6:  # lambda:invoke's Qualifier parameter
        function_arn += f":{call.qualifier}"
    return function_arn


class LambdaTasks:
    """Runs both Lambda resource forms."""

    def __init__(self, handlers: dict[str, Handler], clients: Clients, clock: Clock) -> None:
        self.handlers = handlers
        self.clients = clients
        self.clock = clock

    async def __call__(self, request: TaskRequest) -> Json:
        call = _invocation(request)
        if call.name in self.handlers:
            status, payload, error_type = await self._local(call, request)
        else:
            status, payload, error_type = await self._remote(call, request)
        if error_type is not None:
            raise StatesError(error_type, self._cause(payload, request))
        if is_lambda_function(request.resource):
            return payload
        return status

    @staticmethod
    def _cause(payload: Json, request: TaskRequest) -> str:
        if is_lambda_function(request.resource):  # the runtime's own text
            return payload if isinstance(payload, str) else json.dumps(payload)
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                return str(payload)
        return json.dumps(payload, separators=(",", ":"))

    async def _local(self, call: _Invocation, request: TaskRequest) -> _Outcome:
        """A local handler is the function's only code, so it always runs as `$LATEST`. `Event`
        starts it without waiting, `DryRun` does not run it; `LogType: Tail` answers the last 4 KB
        of what a synchronous invocation printed and logged as LogResult (lambda_log.py)."""
        target = self.handlers[call.name]
        function = target if callable(target) else load_handler(target)
        request_id = str(uuid.uuid4())
        deadline = None if request.timeout_seconds is None else self.clock.time() + request.timeout_seconds
        invoked = _invoked_arn(call, request, self.clients.config.region)
        encoded = call.options.get("ClientContext")
        client_context = ClientContext.decode(encoded) if encoded else None
        context = LambdaContext(call.name, invoked, request_id, deadline, self.clock, client_context=client_context)
        event = json.loads(json.dumps(call.payload))  # the handler gets its own copy, as over the wire

        def invoke() -> tuple[Json, str | None]:
            try:
                text = json.dumps(function(event, context))
            except Exception as exc:  # the function's error becomes the task's error
                return _function_error(exc, request_id), type(exc).__name__
            return _read_payload(text), None

        def invoke_logged() -> tuple[Json, str | None, str]:
            with InvocationLog(request_id, context.function_version, context.memory_limit_in_mb) as log:
                payload, error_type = invoke()
            return payload, error_type, log.tail()

        code = _STATUS.get(call.invocation_type, 200)
        log_result = None  # LogType Tail applies to synchronous invocations only (API_Invoke.html)
        if call.invocation_type == "Event":  # Lambda queues the event and answers at once
            call_detached(invoke)
            payload, error_type = "", None
        elif call.invocation_type == "DryRun":
            payload, error_type = "", None
        elif call.options.get("LogType") == "Tail":
            payload, error_type, log_result = await call_blocking(self.clock, invoke_logged)
        else:
            payload, error_type = await call_blocking(self.clock, invoke)
        status = {"ExecutedVersion": "$LATEST", "LogResult": log_result, "Payload": payload,
                  "SdkHttpMetadata": {"HttpStatusCode": code, "HttpHeaders": {}, "AllHttpHeaders": {}},
                  "SdkResponseMetadata": {"RequestId": request_id}, "StatusCode": code}
        if call.invocation_type != "RequestResponse":
            del status["ExecutedVersion"]
        if log_result is None:
            del status["LogResult"]
        return status, payload, error_type

    async def _remote(self, call: _Invocation, request: TaskRequest) -> _Outcome:
        if self.clients.config.endpoint("lambda") is None:
            advice = self.clients.config.advice
            raise StatesError("States.Runtime", (
                f"No Lambda function '{call.name}' is configured. "
                f"{advice.lambda_handler.format(name=call.name)}, set LAMBDA_ENDPOINT (or AWS_ENDPOINT_URL) "
                f"to a service speaking the Lambda Invoke API, or {advice.mock}."
            ), in_state=True)
        client = self.clients.get("lambda")
        arguments: dict[str, Any] = {"FunctionName": call.function, "Payload": json.dumps(call.payload),
                                     **call.options}
        if call.qualifier:
            arguments["Qualifier"] = call.qualifier

        def invoke() -> dict[str, Any]:
            from botocore.exceptions import ClientError, EndpointConnectionError

            try:
                response = self.clients.as_role(client, task_role(request.credentials)).invoke(**arguments)
            except ClientError as exc:
                raise v1_error(exc, client, "lambda") from None
            except EndpointConnectionError as exc:
                raise connection_error(exc, "Lambda") from None
            response["Payload"] = response["Payload"].read().decode("utf-8")
            return dict(response)

        response = await call_blocking(self.clock, invoke)
        text = response["Payload"]
        error = response.get("FunctionError")
        if error:
            try:
                parsed = parse_json(text)
            except JsonRejected:
                parsed = None
            error_type = parsed.get("errorType", error) if isinstance(parsed, dict) else error
            payload = text  # the cause is the payload text
        else:
            payload, error_type = _read_payload(text), None
        status = {"ExecutedVersion": response.get("ExecutedVersion"), "LogResult": response.get("LogResult"),
                  "Payload": payload, **http_metadata(response), "StatusCode": response.get("StatusCode", 200)}
        return {key: value for key, value in status.items() if value is not None}, payload, error_type


def _read_payload(text: str) -> Json:
    """A function's answer as JSON. Text AWS's JSON parser refuses (`NaN`, `Infinity`, which Python's
    json writes for a float) fails the task, so it never reaches an execution's output: AWS documents
    no error for it, hence States.TaskFailed."""
    if not text:  # Event and DryRun answer no payload
        return text
    try:
        return parse_json(text)
    except JsonRejected as exc:
        raise StatesError("States.TaskFailed",
                          f"The Lambda function's response payload is not valid JSON: {exc}") from None


def load_handler(target: str) -> Callable[[Json, Any], Json]:
    """`module:function` as Python imports it (asl-engine serve checks every one at start-up)."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]


def _function_error(exc: Exception, request_id: str) -> dict[str, Json]:
    """The payload Lambda's Python runtime returns for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }
