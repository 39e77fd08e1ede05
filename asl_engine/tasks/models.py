"""Which botocore operation a Task resource calls, and the parameter names that operation takes.

Pure lookups in botocore's service models (no client, no I/O beyond reading the bundled model
files, cached): the runtime uses them to call the API, the validator to refuse a Parameters or
Arguments field name the API does not have, as AWS does ("The field Filter is not supported by
Step Functions", https://docs.aws.amazon.com/step-functions/latest/dg/connect-parameters.html),
and to refuse a Task that leaves out a field its integration cannot do without (REQUIRED_FIELDS).
"""

from __future__ import annotations

import functools
from typing import Any

from ..tasks_api import resource_parts

# Optimized integrations: resourceType -> botocore service.
OPTIMIZED_SERVICES = {"lambda": "lambda", "sqs": "sqs", "sns": "sns", "dynamodb": "dynamodb",
                      "events": "events", "states": "stepfunctions"}
# aws-sdk service names that differ from botocore's (the rest match once dashes are dropped).
SERVICE_ALIASES = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs",
                   "elasticloadbalancingv2": "elbv2", "cognitoidentityprovider": "cognito-idp"}


# Fields an integration cannot do without that no botocore model names, outermost first: an HTTP
# Task authorizes its call with an EventBridge connection, and "You must include the connection ARN
# in any HTTP Task that calls an HTTPS API"
# (https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html, "Connectivity for an
# HTTP Task"; Parameters.Authentication.ConnectionArn, or Arguments' in JSONata).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {"http:invoke": ("Authentication", "ConnectionArn")}


def required_path(resource: str) -> tuple[str, ...]:
    """The nested Parameters (or Arguments) fields `resource` needs, each inside the one before it;
    () for a resource that needs none. The integration pattern does not change them."""
    resource_type, action = resource_parts(resource)
    return REQUIRED_FIELDS.get(f"{resource_type}:{action.split('.')[0]}", ())


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


def botocore_service(name: str) -> str:
    """`sfn` -> `stepfunctions`, `secretsmanager` -> `secretsmanager`, `cognitoidp` -> `cognito-idp`."""
    if name in SERVICE_ALIASES:
        return SERVICE_ALIASES[name]
    for service in _session().get_available_services():
        if service.replace("-", "") == name:
            return str(service)
    return name


def find_operation(service_model: Any, action: str) -> str | None:
    """`putItem` or `putItem.sync` -> `PutItem` when the service model has it."""
    wanted = action.split(".")[0].lower()
    for name in service_model.operation_names:
        if name.lower() == wanted:
            return str(name)
    return None


@functools.lru_cache(maxsize=256)
def _service_model(service: str) -> Any:
    from botocore.exceptions import UnknownServiceError

    try:
        return _session().get_service_model(service)
    except UnknownServiceError:
        return None


@functools.lru_cache(maxsize=1024)
def request_fields(resource: str) -> frozenset[str] | None:
    """The top-level Parameters names `arn:aws:states:::SERVICE:ACTION` (optimized or `aws-sdk:`)
    accepts: the operation's input members in PascalCase, as Step Functions spells them
    (supported-services-awssdk.html). None for a resource whose parameters are not checked."""
    resource_type, action = resource_parts(resource)
    if resource_type.startswith("aws-sdk:"):
        service = botocore_service(resource_type.split(":", 1)[1])
    elif resource_type in OPTIMIZED_SERVICES and action != resource:  # not a function or activity ARN
        service = OPTIMIZED_SERVICES[resource_type]
    else:
        return None
    model = _service_model(service)
    operation = find_operation(model, action) if model is not None else None
    if operation is None:
        return None
    shape = model.operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    return frozenset(name[:1].upper() + name[1:] for name in members)


def invalid_request(service: str, operation: str, params: dict[str, Any]) -> str | None:
    """botocore's own words for parameters the operation's input shape refuses (a dict where a
    string is wanted, a required member missing), or None when they are fine."""
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    try:
        validate_parameters(params, _service_model(service).operation_model(operation).input_shape)
    except ParamValidationError as exc:
        return str(exc).replace("\n", " ")
    return None
