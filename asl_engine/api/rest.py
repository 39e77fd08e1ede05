"""A small REST API for people and scripts without an AWS SDK: upload, run, inspect.

It calls the same `Service` as the AWS protocol, so the rules and the error bodies are the same
(`{"__type", "message"}`); only the status codes use HTTP's vocabulary (404, 409). Everything
acts in the configured default account and region.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from asl_engine.arns import check_name, state_machine_arn
from asl_engine.definition_file import DefinitionFileError, yaml_to_json
from asl_engine.service import Service

from .actions.executions import execution_shape
from .actions.state_machines import machine_shape
from .errors import ApiError, encode_json, serialization

def _utf8_path(request: Request) -> None:
    """Refuse a path that is not UTF-8 once its %-escapes are decoded (`/state-machines/a%FFb`):
    Starlette would read it with U+FFFD in place of the byte, and create a machine of that name."""
    try:
        unquote_to_bytes(request.scope.get("raw_path", b"").decode("latin-1")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError("ValidationException",
                       f"1 validation error detected: the request path is not UTF-8 ({exc.reason})") from None


router = APIRouter(tags=["REST"], dependencies=[Depends(_utf8_path)])
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml"}
MAX_HISTORY = 25_000
_JSON_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
}


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.put("/state-machines/{name}", openapi_extra=_JSON_BODY, summary="Create or update a state machine")
async def put_state_machine(
    name: str,
    request: Request,
    response: Response,
    roleArn: str | None = Query(None, description="IAM role ARN; a placeholder when absent"),
    type: str | None = Query(None, description="STANDARD (default) or EXPRESS"),
) -> dict[str, Any]:
    """The body is the ASL definition, JSON or YAML (`Content-Type: application/yaml`, as SAM keeps
    definitions). 201 when created, 200 when updated or unchanged."""
    service = _service(request)
    definition = await _definition_text(request)
    record, created = await service.machines.put(service.default_scope(), name, definition, roleArn, type)
    response.status_code = 201 if created else 200
    return machine_shape(record)


@router.get("/state-machines/{name}", summary="Describe a state machine")
async def get_state_machine(name: str, request: Request) -> dict[str, Any]:
    service = _service(request)
    scope = service.default_scope()
    return machine_shape(await service.describe_state_machine(scope, _machine_arn(service, name)))


@router.delete("/state-machines/{name}", status_code=204, summary="Delete a state machine")
async def delete_state_machine(name: str, request: Request) -> Response:
    service = _service(request)
    await service.machines.delete(service.default_scope(), _machine_arn(service, name))
    return Response(status_code=204)


@router.post(
    "/state-machines/{name}/executions", status_code=201, openapi_extra=_JSON_BODY,
    summary="Start an execution",
)
async def start_execution(
    name: str, request: Request, execution_name: str | None = Query(None, alias="name")
) -> dict[str, Any]:
    """The body is the execution input (JSON); empty means `{}`."""
    service = _service(request)
    text = (await _json_text(request)).strip() or None
    record = await service.start_execution(service.default_scope(), _machine_arn(service, name), execution_name, text)
    return {"executionArn": record.arn, "startDate": record.start_date}


# `{arn:path}`: a Distributed Map's child execution has a '/' in its ARN (`…:execution:<machine>/<label>:<id>`).
# The history route comes first, or the describe route would take `…/history` as part of an ARN.
@router.get("/executions/{arn:path}/history", summary="An execution's history events")
async def get_history(
    arn: str,
    request: Request,
    reverseOrder: bool = False,
    includeExecutionData: bool = True,
) -> dict[str, Any]:
    service = _service(request)
    page = await service.executions.history(
        service.default_scope(), arn, None, MAX_HISTORY, reverseOrder, includeExecutionData
    )
    return {"events": page.items}


@router.get("/executions/{arn:path}", summary="Describe an execution")
async def get_execution(arn: str, request: Request) -> dict[str, Any]:
    service = _service(request)
    return execution_shape(await service.executions.describe(service.default_scope(), arn))


async def _definition_text(request: Request) -> str:
    """A YAML body as JSON text (a YAML type also needs a CORS preflight); otherwise `_json_text`.
    YAML is read in a worker thread: PyYAML is pure Python, and a large body would otherwise hold
    the event loop, and every other client with it, for as long as it reads."""
    if _media_type(request) not in YAML_TYPES:
        return await _json_text(request)
    text = await _utf8(request)
    try:
        return await asyncio.to_thread(yaml_to_json, text, "the request body")
    except DefinitionFileError as exc:
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'", 400) from None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _json_text(request: Request) -> str:
    """The body of a write, as text. Only a JSON Content-Type is accepted (415 otherwise): the
    types a web page may send cross-site without a CORS preflight (text/plain, forms) are not
    JSON, so no page a browser visits can start an execution here. Bytes that are not UTF-8 are a
    SerializationException; what the text holds is checked by the service, as for the AWS protocol."""
    media_type = _media_type(request)
    json_type = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    if not json_type:
        raise ApiError(
            "UnsupportedMediaTypeException",
            f"Content-Type must be application/json, not '{media_type or '(none)'}'", 415,
        )
    return await _utf8(request)


async def _utf8(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise serialization(f"Malformed JSON request body: the body is not UTF-8 ({exc.reason})") from None


def _machine_arn(service: Service, name: str) -> str:
    check_name(name)
    return state_machine_arn(service.default_scope(), name)


async def _http_error(request: Request, exc: Exception) -> Response:
    """A path no route serves (404) or a method the path does not take (405), with its status
    and `Allow` header, in AWS's error shape: AWS calls a request it has no action for an
    UnknownOperationException."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f"{request.method} is not a method of {request.url.path}"
    elif exc.status_code == 404:
        message = f"No resource at {request.url.path}"
    else:
        message = str(exc.detail)
    type_name = "UnknownOperationException" if exc.status_code in (404, 405) else "ValidationException"
    return _error(ApiError(type_name, message, exc.status_code), exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """A query parameter of the wrong type (`reverseOrder=maybe`): 422 as FastAPI answers it, in
    AWS's shape and words ("1 validation error detected: Value ... at ... failed to satisfy
    constraint: ...")."""
    assert isinstance(exc, RequestValidationError)
    problems = [f"Value '{error.get('input')}' at '{error['loc'][-1]}' failed to satisfy constraint: {error['msg']}"
                for error in exc.errors()]
    count = f"{len(problems)} validation error{'s' if len(problems) != 1 else ''} detected"
    return _error(ApiError("ValidationException", f"{count}: {'; '.join(problems)}", 422))


def _error(error: ApiError, headers: Any = None) -> Response:
    return Response(encode_json(error.body()), status_code=error.status, media_type="application/json",
                    headers=headers)


EXCEPTION_HANDLERS = {HTTPException: _http_error, RequestValidationError: _validation_error}
"""For the app: what FastAPI would answer as `{"detail": ...}` answered in AWS's error shape."""
