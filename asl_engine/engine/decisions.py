"""Pure decisions of the core: retry or catch (and the backoff), when a Wait ends, what a Fail
state says, and the time as `$$` shows it.

Nothing here awaits or performs I/O; the shell (`runtime/shell.py`) does the waiting.
"""

from __future__ import annotations

import random
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any

from .. import model as m
from ..errors import ALL, NO_CHOICE_MATCHED, NOT_MATCHED_BY_ALL, RUNTIME, TASK_FAILED, TIMEOUT, StatesError
from ..path_values import as_kind, rule_for
from ..paths import Path, PathNotFound, Scope
from ..payload import to_json
from ..timestamps import epoch_seconds

Json = Any
_JITTER = random.Random()
"""Retry jitter draws from its own generator, leaving the global random state to user code and tests."""

def error_matches(error_equals: tuple[str, ...], failure: StatesError) -> bool:
    """ErrorEquals matching (concepts-error-handling): exact names (and an error's aliases: a
    missed heartbeat is States.Timeout and States.HeartbeatTimeout); States.ALL for anything but
    the terminal errors; States.TaskFailed as a wildcard for any error but States.Timeout.

    A task's own failure is never terminal: a Lambda result over 256 KiB fails the task with
    States.DataLimitExceeded, and States.ALL catches that (recorded:
    test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response)."""
    error = failure.error
    if error == RUNTIME and not failure.from_task:
        # "A States.Runtime error isn't retriable, and will always cause the execution to fail",
        # even when named (recorded: test_catch_states_runtime).
        return False
    if error in error_equals or any(alias in error_equals for alias in failure.aliases):
        return True
    wildcard_allowed = failure.from_task or error not in NOT_MATCHED_BY_ALL
    if TASK_FAILED in error_equals and error != TIMEOUT and wildcard_allowed:
        return True
    return ALL in error_equals and wildcard_allowed


def retry_delay(retriers: tuple[m.Retrier, ...], attempts: list[int], failure: StatesError) -> float | None:
    """Seconds to wait before the next attempt, or None when no retrier applies any more.

    The first retrier whose ErrorEquals matches decides (the ASL specification, "Retrying after
    error"); `attempts` counts retries per retrier and is advanced here.
    """
    for index, retrier in enumerate(retriers):
        if not error_matches(retrier.error_equals, failure):
            continue
        done = attempts[index]
        if done >= retrier.max_attempts:
            return None
        attempts[index] = done + 1
        delay = backoff_seconds(retrier, done)
        if retrier.jitter_full:
            delay = _JITTER.uniform(0, delay)
        return float(delay)
    return None


def backoff_seconds(retrier: m.Retrier, done: int) -> float:
    """The wait before retry number `done + 1`, before jitter: IntervalSeconds x BackoffRate^done,
    capped by MaxDelaySeconds (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html,
    "Retry behavior"). The one formula: executions and TestState's retryBackoffIntervalSeconds."""
    delay = retrier.interval_seconds * (retrier.backoff_rate ** done)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    return float(delay)


def find_catcher(catchers: tuple[m.Catcher, ...], failure: StatesError) -> m.Catcher | None:
    for catcher in catchers:
        if error_matches(catcher.error_equals, failure):
            return catcher
    return None


def no_choice_matched() -> StatesError:
    """A Choice state with no matching rule and no Default, in either query language: AWS names
    the error States.NoChoiceMatched ("A Choice state failed to find a match for the condition
    field extracted from its input", developer guide concepts-error-handling, "Error names")."""
    return StatesError(NO_CHOICE_MATCHED, "No Matches! No Choice Rule matched the input and no Default was specified.",
                       in_state=True)


def wait_deadline(state: m.WaitState, effective_input: Json, scope: Scope, now: float) -> float:
    """The moment a JSONPath Wait state ends, from Seconds, SecondsPath, Timestamp or TimestampPath."""
    if isinstance(state.seconds, (int, float)):  # JSONPath holds literals (expressions are JSONata's)
        return now + max(0, state.seconds)
    if isinstance(state.timestamp, (int, float)):
        return float(state.timestamp)  # parsed at compile time
    if state.seconds_path is not None:
        value = _select(state.seconds_path, effective_input, scope, "SecondsPath")
        rule = rule_for("SecondsPath")
        seconds = as_kind(rule, value)
        if seconds is None:
            raise StatesError(
                RUNTIME,
                f"The SecondsPath parameter cannot be parsed as a long value: "
                f"{state.seconds_path} == {_render(value)}",
                in_state=True,
            )
        if not rule.admits(seconds):
            raise StatesError(RUNTIME, f"The SecondsPath parameter does not reference a {rule.noun}: "
                                       f"{state.seconds_path} == {_render(value)}", in_state=True)
        return now + seconds
    assert state.timestamp_path is not None
    value = _select(state.timestamp_path, effective_input, scope, "TimestampPath")
    moment = epoch_seconds(value)
    if moment is None:
        raise StatesError(
            RUNTIME,
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
            f"format string: {state.timestamp_path} == {_render(value)}",
            in_state=True,
        )
    return moment


def _select(path: Path, effective_input: Json, scope: Scope, field: str) -> Json:
    try:
        if path.root == "input":
            return path.find(effective_input)
        return path.select(scope)
    except PathNotFound:
        raise StatesError(
            RUNTIME, f"The {field} parameter does not reference an input value: {path}", in_state=True
        ) from None


def _render(value: Json) -> str:
    return value if isinstance(value, str) else to_json(value)


@lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")


def iso_time(epoch: float) -> str:
    """Epoch seconds as the context object shows them: 2024-02-07T13:49:36.123Z.

    The date and time of day are cached per second, which every execution and state that starts
    within it shares; formatting them (2 µs) was done per millisecond, once or twice a start."""
    millis = int(epoch * 1000)
    return f"{_iso_second(millis // 1000)}{millis % 1000:03d}Z"


def fail_fields(state: m.FailState, scope: Scope) -> tuple[str | None, str | None]:
    """A JSONPath Fail state's error and cause, from literals, paths or intrinsics."""
    error = _fail_field(state.error_path, "ErrorPath", scope) if state.error_path else _literal(state.error)
    cause = _fail_field(state.cause_path, "CausePath", scope) if state.cause_path else _literal(state.cause)
    return error, cause


def _literal(value: str | m.Evaluable | None) -> str | None:
    """A JSONPath Fail state's Error or Cause: a literal (expressions are JSONata's)."""
    return value if isinstance(value, str) else None


def _fail_field(source: Any, field: str, scope: Scope) -> str:
    try:
        value = source.select(scope) if isinstance(source, Path) else source.evaluate(scope)
    except PathNotFound as exc:
        raise StatesError(
            RUNTIME,
            f"The JSONPath '{exc.path}' specified for the field '{field}' could not be found in the input "
            f"'{to_json(scope.input)}'",
            in_state=True,
        ) from None
    return value if isinstance(value, str) else to_json(value)
