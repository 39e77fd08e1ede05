"""Every SDK request's members checked against AWS's own model of the API before an action reads them.

botocore, which boto3 brings, ships the Step Functions model that every AWS SDK is generated from:
each member's type, and the length and value bounds that AWS's front end checks before the
service sees a request. Checking them here, once, for every action:

- a member of the wrong JSON type (a list where the model has a string, a number where it has a
  structure, a number beyond its 32- or 64-bit integer type) is a SerializationException, as AWS's
  JSON reader refuses it: no action ever sees a value of a type it does not expect (each such
  value was a 500 somewhere: a list among UntagResource's `tagKeys`, a number as TestState's
  `mock.result`, 2**63 as UpdateMapRun's `toleratedFailureCount`);
- a string longer or shorter than its bounds, or a number outside them, is a ValidationException
  in AWS's words ("1 validation error detected: Value '...' at 'cause' failed to satisfy
  constraint: Member must have length less than or equal to 32768"), where the value of a member
  the model marks sensitive (an input, a definition, a cause) is not repeated.

Members the model does not know are ignored, as AWS ignores them; `null` is an absent member.
An execution's `input` and a task's `output` keep their own errors for their size, as for their
text (InvalidExecutionInput, InvalidOutput: the API reference gives those for what is wrong with
that data, and its length "in bytes in UTF-8 encoding", which is not the model's length).
Required members, enumerations and patterns stay with the actions: AWS's messages list an
enumeration's values in an order the model does not give, and its patterns are Java's.
A number too large for its type is refused only after its bounds: maxResults 2**64 is "less than
or equal to 1000", as tests/api/test_protocol.py records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import Shape

from asl_engine.aws_errors import ValidationException

from .errors import serialization

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "blob": (str,),
    "boolean": (bool,), "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "timestamp": (int, float, str),
}
_INTEGER_BITS = {"integer": 32, "long": 64}
_BOUNDED = frozenset(("string", "integer", "long", "float", "double"))


@dataclass(frozen=True, slots=True)
class Member:
    """What the model says of one member: its JSON types, bounds and, for a container, its parts."""

    type_name: str
    types: tuple[type, ...]
    low: float | None = None
    high: float | None = None
    sensitive: bool = False
    members: dict[str, Member] = field(default_factory=dict)  # a structure's
    item: Member | None = None  # a list's items, a map's values
    shape_name: str = ""  # a structure's, as AWS's messages name it


_PAYLOADS = frozenset(("input", "output"))
"""Members whose size the service checks itself (see the module docstring)."""


def _member(shape: Shape, depth: int = 0) -> Member:
    """`shape` as a `Member`; the model's structures do not recurse, but the walk stops at a
    depth no request reaches should a later model make one that does."""
    inner = depth < 16
    members = {name: _member(part, depth + 1) if name not in _PAYLOADS else _unbounded(part)
               for name, part in shape.members.items()} if shape.type_name == "structure" and inner else {}
    item = None
    if shape.type_name == "list" and inner:
        item = _member(shape.member, depth + 1)
    elif shape.type_name == "map" and inner:
        item = _member(shape.value, depth + 1)
    bounded = shape.type_name in _BOUNDED or shape.type_name == "list"
    return Member(
        shape.type_name, _PYTHON_TYPES.get(shape.type_name, (object,)),
        shape.metadata.get("min") if bounded else None, shape.metadata.get("max") if bounded else None,
        bool(shape.metadata.get("sensitive")), members, item, shape.name,
    )


def _unbounded(shape: Shape) -> Member:
    return Member(shape.type_name, _PYTHON_TYPES.get(shape.type_name, (object,)))


def request_members() -> dict[str, Member]:
    """Each Step Functions operation's request, by operation name."""
    model = botocore.session.get_session().get_service_model("stepfunctions")
    return {name: _member(model.operation_model(name).input_shape) for name in model.operation_names}


def check(request: Member, body: dict[str, Any]) -> None:
    """Raise the error AWS answers for the first member of `body` that its model refuses."""
    _check_members(request, body, "")


def _check_members(structure: Member, value: dict[str, Any], prefix: str) -> None:
    for name, part in value.items():
        member = structure.members.get(name)
        if member is not None and part is not None:
            _check(member, part, f"{prefix}{name}")


def _check(member: Member, value: Any, path: str) -> None:
    if not _has_type(member, value):
        raise serialization(f"Unexpected value type for '{path}'")
    if member.members:
        _check_members(member, value, f"{path}.")
    elif member.item is not None:
        parts = value.values() if isinstance(value, dict) else value
        for index, part in enumerate(parts, 1):
            if part is not None:
                _check(member.item, part, f"{path}.{index}.member")
        if isinstance(value, list):
            _check_length(member, value, path)
    elif member.type_name in _BOUNDED:
        _check_bounds(member, value, path)


def _has_type(member: Member, value: object) -> bool:
    """JSON's true and false are no number, and no other JSON value is a boolean."""
    return isinstance(value, bool) is (member.type_name == "boolean") and isinstance(value, member.types)


def _check_bounds(member: Member, value: Any, path: str) -> None:
    if isinstance(value, str):
        size = len(value)
        if member.high is not None and size > member.high // 2:
            size = len(value.encode("utf-16-le", "surrogatepass")) // 2  # AWS counts UTF-16 code units
        word, amount = "length", size
    else:
        word, amount = "value", value
    if member.high is not None and amount > member.high:
        raise _constraint(member, value, path, f"Member must have {word} less than or equal to {member.high}")
    if member.low is not None and amount < member.low:
        raise _constraint(member, value, path, f"Member must have {word} greater than or equal to {member.low}")
    bits = _INTEGER_BITS.get(member.type_name)
    if bits is not None and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        kind = "int" if bits == 32 else "long"
        raise serialization(f"Numeric value ({value}) out of range of {kind} for '{path}'")


def _check_length(member: Member, value: list[Any], path: str) -> None:
    if member.high is not None and len(value) > member.high:
        raise _constraint(member, value, path, f"Member must have length less than or equal to {member.high}")
    if member.low is not None and len(value) < member.low:
        raise _constraint(member, value, path, f"Member must have length greater than or equal to {member.low}")


def _constraint(member: Member, value: Any, path: str, constraint: str) -> ValidationException:
    if member.sensitive:
        return ValidationException(f"1 validation error detected: Value at '{path}' failed to satisfy "
                                   f"constraint: {constraint}")
    return ValidationException.constraint(_as_java(member, value), path, constraint)


def _as_java(member: Member, value: Any) -> str:
    """A value as AWS's message prints it: Java's toString of the request object, a list as
    `[a, b]`, a structure as `Shape(member=value, ...)` in the model's member order (recorded:
    "Value '[RoutingConfigurationListItem(stateMachineVersionArn=arn:..., weight=50), ...]' at
    'routingConfiguration'")."""
    if isinstance(value, list) and member.item is not None:
        return "[" + ", ".join(_as_java(member.item, item) for item in value) + "]"
    if isinstance(value, dict) and member.members:
        fields = ", ".join(f"{name}={_as_java(part, value[name])}" for name, part in member.members.items()
                           if value.get(name) is not None)
        return f"{member.shape_name}({fields})"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
