"""Per-state rules the schema cannot express: query-language fields, timeouts, Retry/Catch order,
Distributed-Map-only fields and Task resources.

Every rule takes one StateNode and yields diagnostics; the schema has already checked the types,
so a rule only looks at values of the type it expects and ignores the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..tasks.models import request_fields, required_path
from .diagnostic import Diagnostic, pointer, schema_error
from .expressions import is_jsonata_expression, is_rfc3339
from .model import JSONATA, JSONPATH, Machine, StateNode

# "Transforming data with JSONata" (AWS developer guide): fields each query language does not have.
JSONPATH_ONLY = ("InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "ItemsPath",
                 "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath",
                 "ErrorPath", "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
                 "ToleratedFailurePercentagePath")
JSONATA_ONLY = ("Arguments", "Output", "Items")
# Numeric fields that a JSONata state may set with an expression string, and a JSONPath state may not.
NUMERIC_FIELDS = ("TimeoutSeconds", "HeartbeatSeconds", "Seconds", "MaxConcurrency",
                  "ToleratedFailureCount", "ToleratedFailurePercentage")
DISTRIBUTED_ONLY = ("ItemReader", "ResultWriter")


def _unsupported(field: str, language: str, location: str) -> Diagnostic:
    return schema_error(f"The field '{field}' is not supported when 'QueryLanguage' is '{language}'", location)


def _items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    return ((i, v) for i, v in enumerate(value if isinstance(value, list) else ()) if isinstance(v, dict))


def query_language(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """Each query language has its own fields; a JSONata machine cannot be downgraded per state.

    The downgrade is refused for top-level states only: AWS accepts JSONPath states inside a
    JSONata machine's Map processor (aslv-valid-map-with-item-batcher-jsonata's shape).
    """
    state, location = node.state, node.location
    top_level = node.scope.location == ""
    if top_level and machine.query_language == JSONATA and state.get("QueryLanguage") == JSONPATH:
        yield schema_error("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                           location)
        return
    if node.query_language == JSONATA:
        for field in JSONPATH_ONLY:
            if field in state:
                yield _unsupported(field, JSONATA, location)
        credentials = state.get("Credentials")
        if isinstance(credentials, dict) and "RoleArn" not in credentials:
            yield schema_error("The field 'RoleArn' is required but was missing", pointer(location, "Credentials"))
        for i, catcher in _items(state.get("Catch")):
            if "ResultPath" in catcher:
                yield _unsupported("ResultPath", JSONATA, pointer(location, "Catch", i))
        for i, rule in _items(state.get("Choices") if state.get("Type") == "Choice" else None):
            if "Variable" in rule or "Condition" not in rule:
                yield schema_error("A JSONata Choice rule must have 'Condition' and no 'Variable'",
                                   pointer(location, "Choices", i))
        return
    for field in JSONATA_ONLY:
        if field in state:
            yield _unsupported(field, JSONPATH, location)
    for i, catcher in _items(state.get("Catch")):
        if "Output" in catcher:
            yield _unsupported("Output", JSONPATH, pointer(location, "Catch", i))
    for i, rule in _items(state.get("Choices") if state.get("Type") == "Choice" else None):
        for field in ("Condition", "Output"):
            if field in rule:
                yield _unsupported(field, JSONPATH, pointer(location, "Choices", i))
    for field in NUMERIC_FIELDS:
        if isinstance(state.get(field), str):
            yield schema_error(f"The value for the field '{field}' must be a number", pointer(location, field))


def wait_timestamp(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """A literal Wait Timestamp is RFC3339; only a JSONata state may use an expression instead."""
    value = node.state.get("Timestamp")
    if node.state.get("Type") != "Wait" or not isinstance(value, str):
        return
    if node.query_language == JSONATA and is_jsonata_expression(value):
        return
    if not is_rfc3339(value):
        yield schema_error("String does not match RFC3339 timestamp", pointer(node.location, "Timestamp"))


def heartbeat_below_timeout(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """HeartbeatSeconds MUST be smaller than TimeoutSeconds (ASL spec, Task State)."""
    heartbeat, timeout = node.state.get("HeartbeatSeconds"), node.state.get("TimeoutSeconds")
    if type(heartbeat) is int and type(timeout) is int and heartbeat >= timeout:
        yield schema_error("The value for the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
                           pointer(node.location, "HeartbeatSeconds"))


def _error_lists(node: StateNode) -> Iterator[tuple[str, int, bool, Any]]:
    for field in ("Retry", "Catch"):
        entries = list(_items(node.state.get(field)))
        for position, (i, entry) in enumerate(entries):
            yield field, i, position == len(entries) - 1, entry.get("ErrorEquals")


def states_all_last(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """States.ALL must be alone in its ErrorEquals and in the last Retrier or Catcher (ASL spec)."""
    for field, i, last, errors in _error_lists(node):
        if not isinstance(errors, list) or "States.ALL" not in errors:
            continue
        location = pointer(node.location, field, i, "ErrorEquals")
        if len(errors) > 1:
            yield schema_error("'States.ALL' must appear alone in 'ErrorEquals'", location)
        elif not last:
            yield schema_error(f"The {field} entry with 'States.ALL' must be the last one", location)


def distributed_only(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """ItemReader and ResultWriter exist only for Distributed Map (AWS developer guide).

    Only an explicit `Mode: INLINE` is refused: a Map without ProcessorConfig that reads items is
    taken as distributed, as the corpus labels it.
    """
    if node.state.get("Type") != "Map":
        return
    processor = node.state.get("ItemProcessor")
    config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
    if not isinstance(config, dict) or config.get("Mode") != "INLINE":
        return
    for field in DISTRIBUTED_ONLY:
        if field in node.state:
            yield schema_error(f"The field '{field}' is supported only when 'Mode' is 'DISTRIBUTED'",
                               pointer(node.location, field))


_PARTITION = r"arn:aws(?:-cn|-us-gov|-iso|-iso-[a-z])?"
_LAMBDA = re.compile(_PARTITION + r":lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?")
_ACTIVITY = re.compile(_PARTITION + r":states:[a-z0-9-]+:\d{12}:activity:[A-Za-z0-9_.-]{1,80}")
# `arn:partition:states:region:account:service:api[.pattern]`; region and account may be empty
# (`arn:aws:states:::lambda:invoke`) or given together, as console exports and SAM `!Sub` write them.
_INTEGRATION = re.compile(_PARTITION + r":states:(?:::|[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:(?!activity:|execution:|express:))"
                          r"(?:aws-sdk:)?(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9:-]+?)"
                          r"(?P<pattern>\.sync(?::2)?|\.waitForTaskToken)?")
# Optimized integrations whose action list is small and fixed, with the integration patterns each
# supports ("" is request-response), as the table of
# https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html says.
# Other services accept any action and pattern.
_CALLBACK = frozenset({"", ".waitForTaskToken"})
_OPTIMIZED_ACTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "dynamodb": (frozenset({"getItem", "putItem", "updateItem", "deleteItem"}), frozenset({""})),
    "lambda": (frozenset({"invoke"}), _CALLBACK),
    "sns": (frozenset({"publish"}), _CALLBACK),
    "sqs": (frozenset({"sendMessage"}), _CALLBACK),
    "events": (frozenset({"putEvents"}), _CALLBACK),
}
# AWS SDK integrations: request-response and .waitForTaskToken, never .sync (same table).
_SDK_PATTERNS = _CALLBACK


def _resource_known(resource: str) -> bool:
    if _LAMBDA.fullmatch(resource) or _ACTIVITY.fullmatch(resource):
        return True
    match = _INTEGRATION.fullmatch(resource)
    if match is None:
        return False
    pattern = match["pattern"] or ""
    if ":aws-sdk:" in resource:
        return pattern in _SDK_PATTERNS
    if match["service"] not in _OPTIMIZED_ACTIONS:
        return True
    actions, patterns = _OPTIMIZED_ACTIONS[match["service"]]
    return match["action"] in actions and pattern in patterns


def task_resource(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """Resource is a Lambda, activity or service-integration ARN; EXPRESS rejects waiting patterns."""
    resource = node.state.get("Resource")
    if node.state.get("Type") != "Task" or not isinstance(resource, str):
        return
    location = pointer(node.location, "Resource")
    if not _resource_known(resource):
        yield schema_error(f"The resource provided {resource} is not recognized. The value is not a valid "
                           "resource ARN, or the resource is not available in this region.", location)
    elif machine.machine_type == "EXPRESS":
        if _ACTIVITY.fullmatch(resource):
            yield schema_error("Express state machine does not support Activity ARN", location)
        elif ".sync" in resource or resource.endswith(".waitForTaskToken"):
            pattern = ".sync" if ".sync" in resource else ".waitForTaskToken"
            yield schema_error(f"Express state machine does not support '{pattern}' service integration", location)


def task_parameters(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """An optimized or aws-sdk integration takes only its API's parameter names, in PascalCase
    ("The field Filter is not supported by Step Functions",
    https://docs.aws.amazon.com/step-functions/latest/dg/connect-parameters.html); `Name.$` counts as
    `Name`. Lambda function ARNs, activities, http:invoke and job-style integrations are not checked."""
    resource = node.state.get("Resource")
    if node.state.get("Type") != "Task" or not isinstance(resource, str) or not _INTEGRATION.fullmatch(resource):
        return
    field = "Arguments" if node.query_language == JSONATA else "Parameters"
    parameters = node.state.get(field)
    if not isinstance(parameters, dict) or not _resource_known(resource):
        return
    accepted = request_fields(resource)
    if accepted is None:
        return
    for key in parameters:
        name = key[:-2] if field == "Parameters" and key.endswith(".$") else key
        if name not in accepted:
            yield schema_error(f"The field '{name}' is not supported by Step Functions", pointer(node.location, field))


def _missing(field: str, location: str) -> Diagnostic:
    return schema_error(f"The field '{field}' is required but was missing", location)


def task_required_parameters(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """An integration's Parameters (Arguments in JSONata) hold the fields it cannot do without
    (tasks.models.REQUIRED_FIELDS): an HTTP Task's Authentication.ConnectionArn. A field given by a
    path (`ConnectionArn.$`) or a JSONata expression is known only at run time, so it counts as
    present. No AWS response to a missing connection is recorded: the wording and location are those
    AWS gives for the Task's other required nested field, a Credentials without RoleArn (recorded:
    "The field 'RoleArn' is required but was missing" at the object lacking it)."""
    resource = node.state.get("Resource")
    if node.state.get("Type") != "Task" or not isinstance(resource, str) or not _INTEGRATION.fullmatch(resource):
        return
    path = required_path(resource)
    if not path:
        return
    field = "Arguments" if node.query_language == JSONATA else "Parameters"
    holder = node.state.get(field)
    if holder is None:
        yield _missing(field, node.location)
        return
    location = pointer(node.location, field)
    for name in path:
        if not isinstance(holder, dict):  # an expression, or a type the schema has refused
            return
        if name not in holder:
            if field == "Parameters" and f"{name}.$" in holder:
                return
            yield _missing(name, location)
            return
        holder, location = holder[name], pointer(location, name)


STATE_RULES = (query_language, wait_timestamp, heartbeat_below_timeout, states_all_last, distributed_only,
               task_resource, task_parameters, task_required_parameters)
