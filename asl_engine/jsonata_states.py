"""What each state type does under `"QueryLanguage": "JSONata"`.

JSONata states have no InputPath/Parameters/ResultSelector/ResultPath/OutputPath: `Arguments`
shapes what a Task or Parallel receives, `Output` shapes what the state passes on, and both see
`$states.input`, `$states.context`, `$states.result` (after the work) and the variables.
Reference: https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import model as m
from .errors import QUERY_EVALUATION_ERROR, StatesError
from .interpreter import no_choice_matched, parse_timestamp
from .payload import to_json

if TYPE_CHECKING:
    from .runner import Frame
    from .states import StateRunner

Json = Any
_NO_VALUE = object()


def bindings(frame: "Frame", raw: Json, context: Json, result: Json = _NO_VALUE, error: Json = _NO_VALUE) -> dict[str, Json]:
    """The names an expression sees: the variables and `$states`."""
    scope: dict[str, Json] = dict(frame.variables) if frame.variables else {}
    states: dict[str, Json] = {"input": raw, "context": context}
    if result is not _NO_VALUE:
        states["result"] = result
    if error is not _NO_VALUE:
        states["errorOutput"] = error
    scope["states"] = states
    return scope


def query_error(cause: str) -> StatesError:
    return StatesError(QUERY_EVALUATION_ERROR, cause, in_state=True)


class JsonataStates:
    """The JSONata form of each state type, sharing task and branch running with `StateRunner`."""

    def __init__(self, runner: "StateRunner") -> None:
        self.runner = runner

    def finish(self, state: m.State, frame: "Frame", names: dict[str, Json], default: Json) -> Json:
        """Evaluate Assign and Output against the same bindings; Output defaults to `default`."""
        if state.assign is not None:
            frame.assigned = state.assign.evaluate(names)
        return default if state.output is None else state.output.evaluate(names)

    def pass_(self, state: m.PassState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        return self.finish(state, frame, bindings(frame, raw, context), raw), state.next

    def succeed(self, state: m.State, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        return self.finish(state, frame, bindings(frame, raw, context), raw), None

    def fail(self, state: m.FailState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, None]:
        names = bindings(frame, raw, context)
        error = state.error.evaluate(names) if hasattr(state.error, "evaluate") else state.error
        cause = state.cause.evaluate(names) if hasattr(state.cause, "evaluate") else state.cause
        raise StatesError(_text(error), _text(cause))

    def choice(self, state: m.ChoiceState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        names = bindings(frame, raw, context)
        for rule in state.choices:
            verdict = rule.condition.evaluate(names)
            if not isinstance(verdict, bool):
                raise query_error(
                    f"The JSONata expression '{rule.condition.template.expression.text}' specified for the field "
                    f"'Condition' returned an unexpected result type. Expected 'boolean', but was "
                    f"'{_json_type(verdict)}' for value: {to_json(verdict)}"
                )
            if verdict:
                output = self.finish(state, frame, names, raw)
                if rule.assign is not None:
                    frame.assigned = {**(frame.assigned or {}), **rule.assign.evaluate(names)}
                if rule.output is not None:
                    output = rule.output.evaluate(names)
                return output, rule.next
        if state.default is None:
            raise no_choice_matched()
        return self.finish(state, frame, names, raw), state.default

    def wait_deadline(self, state: m.WaitState, raw: Json, context: Json, frame: "Frame", now: float) -> float:
        names = bindings(frame, raw, context)
        if state.seconds is not None:
            seconds = state.seconds.evaluate(names) if hasattr(state.seconds, "evaluate") else state.seconds
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                raise query_error(
                    f"The JSONata expression '{_text_of(state.seconds, seconds)}' specified for the field "
                    f"'Seconds' returned an unexpected result type. Expected 'integer', but was '{_json_type(seconds)}' "
                    f"for value: {to_json(seconds)}"
                )
            return now + seconds
        stamp = state.timestamp.evaluate(names) if hasattr(state.timestamp, "evaluate") else state.timestamp
        moment = parse_timestamp(stamp) if isinstance(stamp, str) else None
        if moment is None:
            raise query_error(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
                f"string: {stamp if isinstance(stamp, str) else to_json(stamp)}"
            )
        return moment.timestamp()

    def arguments(self, state: Any, raw: Json, context: Json, frame: "Frame") -> Json:
        if state.parameters is None:
            return raw
        return state.parameters.evaluate(bindings(frame, raw, context))

    def after_result(self, state: m.State, raw: Json, context: Json, frame: "Frame", result: Json) -> tuple[Json, str | None]:
        return self.finish(state, frame, bindings(frame, raw, context, result=result), result), state.next

    def items(self, state: m.MapState, raw: Json, context: Json, frame: "Frame") -> list[Json]:
        if state.items is None:
            items = raw
            if not isinstance(items, list):
                raise query_error(f"Map state input must be an array but was: {to_json(items)}")
            return items
        items = state.items.evaluate(bindings(frame, raw, context))
        if not isinstance(items, list):
            raise query_error(
                f"The JSONata expression '{_text_of(state.items, items)}' specified for the field 'Items' "
                f"returned an unexpected result type. Expected 'array', but was '{_json_type(items)}' for value: {to_json(items)}"
            )
        return items

    def number(self, source: Any, field: str, raw: Json, context: Json, frame: "Frame") -> Any:
        if not hasattr(source, "evaluate"):
            return source
        value = source.evaluate(bindings(frame, raw, context))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise query_error(
                f"The JSONata expression '{_text_of(source, value)}' specified for the field '{field}' "
                f"returned an unexpected result type. Expected 'number', but was '{_json_type(value)}' for value: {to_json(value)}"
            )
        return value

    def select_item(self, state: m.MapState, raw: Json, item_context: Json, frame: "Frame", item: Json) -> Json:
        if state.item_selector is None:
            return item
        return state.item_selector.evaluate(bindings(frame, raw, item_context))


def _text(value: Json) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_json(value)


def _text_of(source: Any, value: Json) -> str:
    """The field's expression text; for a literal (`"Items": "abc"`), the literal as JSON."""
    expression = getattr(getattr(source, "template", None), "expression", None)
    return expression.text if expression is not None else to_json(value)


def _json_type(value: Json) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "function"
