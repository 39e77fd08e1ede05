"""The diagnostic record and AWS's diagnostic codes, shared by the schema pass and the rules."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "ERROR"
WARNING = "WARNING"

SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END_STATE = "MISSING_END_STATE"
PASS_RESULT_IS_STATIC = "PASS_RESULT_IS_STATIC"
NO_DOLLAR = "NO_DOLLAR"

# ValidateStateMachineDefinition lists diagnostics and CreateStateMachine reports only the first, so
# the order is part of the contract: AWS checks the shape of the document before it follows
# transitions, and it can only decide that a machine never ends once every target exists.
CODE_RANK = {
    INVALID_JSON_DESCRIPTION: 0,
    SCHEMA_VALIDATION_FAILED: 1,
    INVALID_STATE_NAME: 2,
    DUPLICATE_STATE_NAME: 3,
    MISSING_TRANSITION_TARGET: 4,
    MISSING_END_STATE: 5,
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, located by a JSON pointer into the definition ("/" is the root)."""

    severity: str  # "ERROR" | "WARNING"
    code: str
    message: str
    location: str


def error(code: str, message: str, location: str) -> Diagnostic:
    return Diagnostic(ERROR, code, message, location or "/")


def schema_error(message: str, location: str) -> Diagnostic:
    """Most rules AWS enforces, even semantic ones, surface as SCHEMA_VALIDATION_FAILED."""
    return error(SCHEMA_VALIDATION_FAILED, message, location)


def warning(code: str, message: str, location: str) -> Diagnostic:
    return Diagnostic(WARNING, code, message, location or "/")


def pointer(base: str, *tokens: str | int) -> str:
    """Extend JSON pointer `base` ("" is the root) by `tokens`, escaping `~` and `/` (RFC 6901)."""
    for token in tokens:
        base += "/" + str(token).replace("~", "~0").replace("/", "~1")
    return base
