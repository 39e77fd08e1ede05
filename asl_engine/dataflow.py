"""JSONPath data flow in AWS's order: InputPath, Parameters, ResultSelector, ResultPath, OutputPath.

These are pure functions over compiled paths and templates. Failures raise `StatesError` with the
error names and causes AWS records (see the recorded cases under `test_invalid_jsonpath` and the
"Input and Output Processing" page of the AWS developer guide).
"""

from __future__ import annotations

from typing import Any

from .errors import DATA_LIMIT_EXCEEDED, RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError
from .limits import MAX_PAYLOAD_BYTES, exceeds, surely_exceeds
from .paths import Path, PathNotFound, ResultPathMismatch, Scope, set_at
from .payload import to_json

Json = Any


def apply_input_path(path: Path | None, scope: Scope) -> Json:
    """InputPath: absent means `$`; null means an empty object."""
    if path is None:
        return {}
    if path.steps == () and path.root == "input":
        return scope.input
    try:
        return path.select(scope)
    except PathNotFound:
        raise StatesError(RUNTIME, _invalid_path(path, scope.input), in_state=True) from None


def apply_output_path(path: Path | None, value: Json, scope: Scope) -> Json:
    """OutputPath: selects from the state's output after ResultPath."""
    if path is None:
        return {}
    if path.steps == () and path.root == "input":
        return value
    try:
        if path.root == "input":
            return path.find(value)
        return path.select(scope)
    except PathNotFound:
        raise StatesError(RUNTIME, _invalid_path(path, value), in_state=True) from None


def apply_result_path(path: Path | None, raw_input: Json, result: Json) -> Json:
    """ResultPath: null keeps the raw input; `$` replaces it; `$.a.b` places the result inside it."""
    if path is None:
        return raw_input
    steps = path.steps
    if not steps:
        return result
    try:
        return set_at(raw_input, steps, result)
    except ResultPathMismatch:
        raise StatesError(
            RESULT_PATH_MATCH_FAILURE,
            f"Unable to apply ResultPath \"{path}\" to input \"{to_json(raw_input)}\"",
            in_state=True,
        ) from None


def output_text(state_name: str, value: Json) -> str:
    """A state's (or a task's) output as JSON text; at most 256 KiB of UTF-8, else
    States.DataLimitExceeded: refused before it is written when it surely exceeds the limit
    (`surely_exceeds`), checked once written else."""
    if surely_exceeds(value):
        raise _too_large(state_name)
    text = to_json(value)
    if len(text) > MAX_PAYLOAD_BYTES // 4 and exceeds(text):  # the length test inline: every state's output
        raise _too_large(state_name)
    return text


def _too_large(state_name: str) -> StatesError:
    return StatesError(
        DATA_LIMIT_EXCEEDED,
        f"The state/task '{state_name}' returned a result with a size exceeding the maximum "
        "number of bytes service limit.",
    )


def _invalid_path(path: Path, document: Json) -> str:
    """Jayway's words, as AWS quotes them: a missing last step is "No results for path", a
    missing step before it is "Missing property in path" up to that step (recorded:
    test_invalid_jsonpath, test_catch_states_runtime)."""
    steps = path.steps or ()
    value = document
    for depth, step in enumerate(steps[:-1]):
        if isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        else:
            prefix = Path(path.text, path.root, path.variable, steps[: depth + 1])
            return f"Invalid path '{path}' : Missing property in path {_bracketed(prefix)}"
    return f"Invalid path '{path}' : No results for path: {_bracketed(path)}"


def _bracketed(path: Path) -> str:
    """Jayway's normalised form of a definite path, as AWS quotes it: $['a']['b'][0]."""
    if path.steps is None:
        return path.text
    prefix = "$$" if path.root == "context" else "$"
    return prefix + "".join(f"['{step}']" if isinstance(step, str) else f"[{step}]" for step in path.steps)
