"""The structural pass: schemas/asl.schema.json through jsonschema, errors reworded as AWS words them.

The schema is compiled once at import. Keyword failures become AWS's messages: missing fields are
grouped into "These fields are required: [...]" at the object, unknown fields become "The field
'X' is not supported by Step Functions" at the object holding them, and a subschema may carry
`x-aws-message` with the wording AWS uses for a combined rule (mutually exclusive fields, Wait's
four durations, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from .diagnostic import Diagnostic, pointer, schema_error
from .fastcheck import compile_schema

# A link to schemas/asl.schema.json, so an installed package carries the schema with it.
SCHEMA_PATH = Path(__file__).with_name("asl.schema.json")
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_VALIDATOR = Draft202012Validator(SCHEMA)
IS_VALID = compile_schema(SCHEMA)

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "object": "an object", "array": "an array", "null": "null"}
# Keywords whose failure AWS describes generically; any other keyword uses `x-aws-message` if set.
_GENERIC = {"type", "required", "additionalProperties"}


def check(definition: dict[str, Any]) -> Iterator[Diagnostic]:
    """Yield one diagnostic per schema violation, missing fields grouped per object."""
    if IS_VALID(definition):
        return
    missing: dict[str, list[str]] = {}
    for err in _VALIDATOR.iter_errors(definition):
        location = pointer("", *err.absolute_path)
        if err.validator == "required":  # one error per missing field: report them together
            if location not in missing:
                missing[location] = _missing_fields(err)
            continue
        yield from _convert(err, location)
    for location, fields in missing.items():
        if fields == ["RoleArn"]:
            yield schema_error("The field 'RoleArn' is required but was missing", location)
        else:
            yield schema_error(f"These fields are required: [{', '.join(fields)}]", location or "/")


def _missing_fields(err: ValidationError) -> list[str]:
    instance = err.instance if isinstance(err.instance, dict) else {}
    return [f for f in err.validator_value if f not in instance]


def _convert(err: ValidationError, location: str) -> Iterator[Diagnostic]:
    keyword = err.validator
    field = next((p for p in reversed(err.absolute_path) if isinstance(p, str)), None)
    subject = f"The value for the field '{field}'" if field else "The definition"
    custom = err.schema.get("x-aws-message") if isinstance(err.schema, dict) else None
    if keyword == "additionalProperties":
        known = err.schema.get("properties", {})
        for extra in err.instance:
            if extra not in known:
                yield schema_error(f"The field '{extra}' is not supported by Step Functions",
                                   location or "/")
    elif custom and keyword not in _GENERIC:
        yield schema_error(f"{subject} {custom}" if custom.startswith("must") else custom, location)
    elif keyword == "type":
        wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        yield schema_error(f"{subject} must be {' or '.join(_TYPE_NAMES[t] for t in wanted)}", location)
    elif keyword in ("enum", "const"):
        values = err.validator_value if keyword == "enum" else [err.validator_value]
        yield schema_error(f"The field '{field}' should have one of these values: "
                           f"[{', '.join(map(str, values))}]", location)
    elif keyword == "minItems":
        yield schema_error("Value cannot be empty", location)
    elif keyword in ("minimum", "maximum"):
        relation = ">=" if keyword == "minimum" else "<="
        yield schema_error(f"{subject} must be {relation} {err.validator_value}", location)
    else:
        yield schema_error(f"{subject} is not valid: {err.message}", location)
