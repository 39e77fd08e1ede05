"""Where Task calls go, read from the environment under SFN Local's names (sfn-local-config-options).

Nothing reaches real AWS unless an endpoint says so: a service with no endpoint (its own, or the
general `AWS_ENDPOINT_URL`) fails the task with a cause that names the variable to set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

# Service (as botocore names it) -> the SFN Local variable for its endpoint.
ENDPOINT_VARIABLES: dict[str, str] = {
    "lambda": "LAMBDA_ENDPOINT",
    "sqs": "SQS_ENDPOINT",
    "sns": "SNS_ENDPOINT",
    "dynamodb": "DYNAMODB_ENDPOINT",
    "events": "EVENTBRIDGE_ENDPOINT",
    "stepfunctions": "STEP_FUNCTIONS_ENDPOINT",
    "batch": "BATCH_ENDPOINT",
    "ecs": "ECS_ENDPOINT",
    "glue": "GLUE_ENDPOINT",
    "sagemaker": "SAGE_MAKER_ENDPOINT",
    "s3": "S3_ENDPOINT",  # not in SFN Local: Distributed Map's ItemReader and ResultWriter
}


@dataclass(frozen=True)
class Advice:
    """How a user gives a Lambda function a local handler, and answers a Task state with a mock,
    in the words of error causes: the server's settings here, the test fixture's own calls in
    asl_engine.testing (which ignores these settings)."""

    lambda_handler: str = "Map it to a Python handler with ASL_LAMBDA_HANDLERS={name}=module:function"
    mock: str = "mock this state with an SFN_MOCK_CONFIG file"


@dataclass(frozen=True)
class TaskConfig:
    """Mock file, local Lambda handlers, and service endpoints."""

    mock_config_path: str | None = None
    # function name -> "module:function", or a Python callable (asl_engine.testing's lambda_handler)
    lambda_handlers: dict[str, Any] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)  # botocore service name -> URL
    default_endpoint: str | None = None  # AWS_ENDPOINT_URL: every service not listed above
    region: str = "us-east-1"
    # ASL_ENGINE_HTTP_ALLOW: host names, addresses or networks http:invoke may call although they
    # are loopback, private, link-local or this machine's own (refused otherwise: tasks/http.py)
    http_allow: tuple[str, ...] = ()
    # ASL_ENGINE_HTTP_CONNECTIONS: a JSON file of EventBridge connections http:invoke's
    # Authentication.ConnectionArn may name (tasks/connections.py)
    http_connections: str | None = None
    advice: Advice = Advice()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TaskConfig:
        env = os.environ if env is None else env
        endpoints = {service: env[name] for service, name in ENDPOINT_VARIABLES.items() if env.get(name)}
        mock = env.get("SFN_MOCK_CONFIG") or (
            "MockConfigFile.json" if os.path.exists("MockConfigFile.json") else None
        )
        return cls(
            mock_config_path=mock,
            lambda_handlers=parse_handlers(env.get("ASL_LAMBDA_HANDLERS", "")),
            endpoints=endpoints,
            default_endpoint=env.get("AWS_ENDPOINT_URL") or None,
            region=env.get("AWS_DEFAULT_REGION") or "us-east-1",
            http_allow=names_list(env.get("ASL_ENGINE_HTTP_ALLOW", "")),
            http_connections=env.get("ASL_ENGINE_HTTP_CONNECTIONS") or None,
        )

    def endpoint(self, service: str) -> str | None:
        """The URL calls to a botocore service go to, or None: not configured."""
        return self.endpoints.get(service) or self.default_endpoint


def names_list(text: str) -> tuple[str, ...]:
    """`a, b,c` -> ("a", "b", "c"): the form of every list setting."""
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def parse_handlers(text: str) -> dict[str, str]:
    """`name=module:function,other=pkg.mod:fn` -> {"name": "module:function", ...}."""
    handlers = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, target = item.partition("=")
        if not sep or ":" not in target:
            raise ValueError(f"ASL_LAMBDA_HANDLERS entry {item!r} is not name=module:function")
        handlers[name.strip()] = target.strip()
    return handlers
