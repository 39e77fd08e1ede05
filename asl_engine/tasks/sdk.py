"""`arn:aws:states:::aws-sdk:SERVICE:ACTION`: any API botocore models, called generically.

Step Functions speaks PascalCase on both sides whatever the service's own casing
(supported-services-awssdk): `StateMachineArn` in, `ExecutionArn` out, even though the SFN API
itself says `stateMachineArn`. botocore's shapes give the real member names, so parameters are
matched case-insensitively and results are re-keyed with a capital first letter.
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from ..errors import StatesError
from ..tasks_api import TaskRequest, resource_parts
from .aws import Clients, call_blocking, connection_error, service_title, task_role, to_json, v2_error
from .models import botocore_service, find_operation

Json = Any

def operation_name(client: Any, action: str) -> str:
    """`putItem` -> `PutItem`, checked against the service model."""
    name = find_operation(client.meta.service_model, action)
    if name is not None:
        return name
    raise StatesError("States.Runtime", f"The resource provided {action} is not a known action of "
                      f"{client.meta.service_model.service_name}.", in_state=True)


def to_request(value: Json, shape: Any) -> Json:
    """Match PascalCase keys to the shape's members; strings become bytes where a blob is wanted."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        result = {}
        for key, item in value.items():
            name = members.get(key.lower(), key)
            result[name] = to_request(item, shape.members.get(name))
        return result
    if kind == "list" and isinstance(value, list):
        return [to_request(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_request(item, shape.value) for key, item in value.items()}
    if kind == "blob" and isinstance(value, str):
        return value.encode("utf-8")
    return value


def from_response(value: Json, shape: Any) -> Json:
    """PascalCase member names, JSON values; maps keep their keys."""
    if shape is None:
        return to_json(value)
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {key[:1].upper() + key[1:]: from_response(item, shape.members.get(key))
                for key, item in value.items() if key != "ResponseMetadata"}
    if kind == "list" and isinstance(value, list):
        return [from_response(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: from_response(item, shape.value) for key, item in value.items()}
    return to_json(value)


async def call_api(clients: Clients, clock: Clock, service: str, action: str, params: Json,
                   on_error: Any = None, role: str | None = None) -> tuple[Json, dict[str, Any]]:
    """Call one API operation, as `role` when the Task names one; returns (PascalCase result, raw
    response for its metadata)."""
    client = clients.get(service)
    operation = client.meta.service_model.operation_model(operation_name(client, action))
    arguments = to_request(params if isinstance(params, dict) else {}, operation.input_shape)

    def invoke() -> tuple[Json, dict[str, Any]]:
        from botocore import xform_name
        from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
        from botocore.validate import validate_parameters

        try:
            # Checked before the client's own handlers, some of which (S3's bucket-name check,
            # DynamoDB's) fail with a bare TypeError on a JSON object where a string is wanted.
            validate_parameters(arguments, operation.input_shape)
            response = getattr(clients.as_role(client, role), xform_name(operation.name))(**arguments)
        except ClientError as exc:
            raise (on_error or v2_error)(exc, client) from None
        except ParamValidationError as exc:
            title = service_title(client.meta.service_model.service_id)
            raise StatesError(f"{title}.{title}Exception", str(exc).replace("\n", " ")) from None
        except EndpointConnectionError as exc:
            raise connection_error(exc, service_title(client.meta.service_model.service_id)) from None
        return from_response(response, operation.output_shape), response

    return await call_blocking(clock, invoke)  # type: ignore[no-any-return]


class SdkTasks:
    """`aws-sdk:*` resources."""

    def __init__(self, clients: Clients, clock: Clock) -> None:
        self.clients = clients
        self.clock = clock

    async def __call__(self, request: TaskRequest) -> Json:
        resource_type, action = resource_parts(request.resource)
        service = botocore_service(resource_type.split(":", 1)[1])
        result, _ = await call_api(self.clients, self.clock, service, action, request.input,
                                   role=task_role(request.credentials))
        return result
