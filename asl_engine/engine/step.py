"""What a state does, as a value: `advance(state, input, context) -> Step`.

This is the pure core of the runtime (the design of ../shared/style.md, example 7): it reads the
compiled state, the state's raw input and a `Context`, and returns what should happen next. It
never awaits, never touches a store and never reads the clock (the time is in the `Context`);
the shell (`asl_engine/runtime/shell.py`) performs the step: it records the
history, checkpoints, sleeps, and raises a `Fail`'s error into Retry and Catch.

Because a step is pure, it can be computed twice with the same answer. The shell relies on that
for the JSONata budget: it runs `advance` inside `offload.settle`, which re-runs the whole step
once an evaluation that overran its slice on the loop has been finished in a worker process
(the step then replays that evaluation's outcome). The core itself knows nothing of workers.

The data flow of both query languages is here, in AWS's order, one class per language:
- `JsonPathFlow`: InputPath, Parameters, (the work), ResultSelector, Assign, ResultPath, OutputPath;
- `JsonataFlow`: Arguments, (the work), Assign and Output against the same bindings.
`compile.py` gives every state the flow of its query language (`state.flow`), so the core asks
`state.flow` and never branches on the language while a run goes on.
Reference: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
and https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeAlias

from .. import model as m
from . import map_fields
from ..dataflow import apply_input_path, apply_output_path, apply_result_path
from ..errors import PARAMETER_PATH_FAILURE, QUERY_EVALUATION_ERROR, RUNTIME, StatesError
from .decisions import fail_fields, no_choice_matched, wait_deadline
from ..path_values import as_kind, rule_for
from ..paths import Path, PathNotFound, Scope
from ..payload import to_json
from ..timestamps import epoch_seconds

# Steps and the context are named tuples: immutable like frozen dataclasses, but built several
# times faster (a frozen dataclass sets each field through object.__setattr__), and two of them
# are built for every state an execution runs (the engine benchmark, benchmarks/engine.py).
Json: TypeAlias = Any
Variables: TypeAlias = dict[str, Json] | None  # read, never written, by the core
_NO_VALUE: Any = object()


class Context(NamedTuple):
    """What a state may read besides its input: the `$$` object, the variables in scope, and
    the time it runs at (epoch seconds; a Wait state's Seconds count from it)."""

    context: Json
    variables: Variables
    now: float = 0.0


class Next(NamedTuple):
    """The state is done: its output, the next state's name (None: its scope ends here), and
    the variables it assigned (they take effect when the state exits)."""

    output: Json
    next: str | None
    assigned: dict[str, Json] | None = None


class Fail(NamedTuple):
    """The state failed with `error` (a Fail state, or a field that could not be evaluated);
    Retry and Catch decide what follows."""

    error: StatesError


class MapFields(NamedTuple):
    """A Map's fields for one run: the value its ItemSelector and Distributed Map fields see (the
    effective input in JSONPath, the raw input in JSONata), its items (none yet with an
    ItemReader), MaxConcurrency, and the tolerated failures (count, percentage), read later."""

    value: Json
    items: list[Json]
    concurrency: int | None
    tolerated: tuple[Callable[[], int | None], Callable[[], float | None]]


class Sleep(NamedTuple):
    """A Wait state: sleep until `until` (epoch seconds, before WAIT_TIME_SCALE), then `then`."""

    until: float
    then: Next


class CallTask(NamedTuple):
    """A Task state's work, for the shell to perform: call `resource` with `arguments` (after
    InputPath and Parameters, or JSONata Arguments), within `timeout` seconds and `heartbeat`
    seconds between heartbeats (None: no limit), with the evaluated `credentials` (None: none)
    and the task `token` the context offered (`$$.Task.Token`, None for a plain call). Once the
    call produced a result, `finish(result)` is what the state passes on."""

    resource: str
    arguments: Json
    timeout: float | None
    heartbeat: float | None
    credentials: Json
    token: str | None
    state: m.TaskState
    raw: Json
    ctx: Context

    def finish(self, result: Json) -> Next:
        """ResultSelector, Assign, ResultPath, OutputPath (JSONata: Assign, Output) on `result`."""
        return finish(self.state, self.raw, result, self.ctx)


class RunBranches(NamedTuple):
    """A Parallel state's branches or a Map state's iterations, for the shell to run side by side.

    Parallel: each of `programs` runs once with `value` as its input. Map: `programs` is its
    ItemProcessor, run once per item of `items` (empty when an ItemReader reads them, which the
    shell does) with `item_input(index, item)` as input, at most `max_concurrency` at once (as
    asked: None or 0 is no limit), tolerating the failures `tolerated()` gives (read after
    MapStateStarted, as AWS does). Their results, in order, combine into one list (a failure
    tolerated in a Map puts its error output in its place); `finish(results)` is what the state
    passes on."""

    programs: tuple[m.Program, ...]
    value: Json  # Parallel: every branch's input; Map: what ItemSelector (and ItemReader...) see
    items: list[Json] | None  # None for a Parallel
    max_concurrency: int | None
    tolerances: tuple[Callable[[], int | None], Callable[[], float | None]] | None
    state: m.ParallelState | m.MapState
    raw: Json
    ctx: Context

    def item_input(self, index: int, item: Json) -> Json:
        """A Map iteration's input: ItemSelector against the item's `$$.Map.Item`, or the item."""
        state = self.state
        assert isinstance(state, m.MapState)
        ctx = self.ctx
        item_ctx = Context({**ctx.context, "Map": {"Item": {"Index": index, "Value": item}}}, ctx.variables)
        return state.flow.item_input(state, self.value, item_ctx, item)

    def tolerated(self) -> tuple[int | None, float | None]:
        """A Map's ToleratedFailureCount and ToleratedFailurePercentage (or their ...Path)."""
        if self.tolerances is None:
            return None, None
        return self.tolerances[0](), self.tolerances[1]()

    def finish(self, results: list[Json]) -> Next:
        """ResultSelector, Assign, ResultPath, OutputPath (JSONata: Assign, Output) on the results."""
        return finish(self.state, self.raw, results, self.ctx)


Step: TypeAlias = Next | Fail | Sleep | CallTask | RunBranches


def advance(state: m.State, raw: Json, ctx: Context) -> Step:
    """What `state` does with its raw input: one case per state type.

    Pass, Choice, Wait, Succeed and Fail decide on their own. Task, Parallel and Map describe
    their work (`CallTask`, `RunBranches`) for the shell to perform; the step's `finish` is
    what follows once the work produced its result. A field that cannot be evaluated is a
    `Fail`, for Retry and Catch."""
    try:
        match state:
            case m.PassState():
                step: Step = state.flow.pass_(state, raw, ctx)
            case m.ChoiceState():
                step = state.flow.choice(state, raw, ctx)
            case m.WaitState():
                step = state.flow.wait(state, raw, ctx)
            case m.SucceedState():
                step = state.flow.succeed(state, raw, ctx)
            case m.FailState():
                step = Fail(state.flow.fail_error(state, raw, ctx))
            case m.TaskState():
                step = call_task(state, raw, ctx)
            case m.ParallelState():
                step = RunBranches(state.branches, arguments(state, raw, ctx), None, None, None, state, raw, ctx)
            case m.MapState():
                fields = state.flow.map_fields(state, raw, ctx)
                step = RunBranches((state.processor,), fields.value, fields.items, fields.concurrency,
                                   fields.tolerated, state, raw, ctx)
            case _:
                raise TypeError(f"no state type {state.type}")
    except StatesError as failure:
        return Fail(failure)
    return step


def call_task(state: m.TaskState, raw: Json, ctx: Context) -> CallTask:
    """A Task's call, its fields evaluated in AWS's order: Parameters (or Arguments), then
    TimeoutSeconds(Path), HeartbeatSeconds(Path), Credentials; the first that fails fails the state."""
    parameters = arguments(state, raw, ctx)
    timeout = task_limit(state.timeout_seconds, "TimeoutSeconds", raw, ctx)
    heartbeat = task_limit(state.heartbeat_seconds, "HeartbeatSeconds", raw, ctx)
    credentials = None if state.credentials is None else state.flow.credentials(state, raw, ctx)
    task = ctx.context.get("Task")
    token = task.get("Token") if isinstance(task, dict) else None
    return CallTask(state.resource, parameters, timeout, heartbeat, credentials, token, state, raw, ctx)


def task_limit(source: Any, name: str, raw: Json, ctx: Context) -> float | None:
    """TimeoutSeconds / HeartbeatSeconds: a number, a reference path (into the raw input), or a
    JSONata expression."""
    if source is None or isinstance(source, (int, float)):
        return source
    if not isinstance(source, Path):
        return jsonata_number(source, name, raw, ctx)  # type: ignore[no-any-return]
    try:
        value = source.select(Scope(raw, ctx.context, ctx.variables))
    except PathNotFound:
        raise StatesError(RUNTIME, f"Invalid path '{source}' : No results for path: {_bracketed(source)}",
                          in_state=True) from None
    rule = rule_for(f"{name}Path")
    seconds = as_kind(rule, value)
    if seconds is None or not rule.admits(seconds):
        raise StatesError(RUNTIME, f"The {name}Path parameter does not reference a {rule.noun}: "
                                   f"{source} == {to_json(value)}", in_state=True)
    return seconds


def _bracketed(path: Path) -> str:
    """A definite path as AWS quotes it in this cause: $['a'][0]."""
    if path.steps is None:
        return path.text
    return "$" + "".join(f"['{step}']" if isinstance(step, str) else f"[{step}]" for step in path.steps)


def arguments(state: m.TaskState | m.ParallelState, raw: Json, ctx: Context) -> Json:
    """What a Task or Parallel works on: InputPath then Parameters, or JSONata Arguments."""
    return state.flow.arguments(state, raw, ctx)


def finish(state: m.State, raw: Json, result: Json, ctx: Context) -> Next:
    """After a Task, Map or Parallel produced its result: ResultSelector, Assign, ResultPath,
    OutputPath in JSONPath; Assign and Output in JSONata."""
    step: Next = state.flow.finish(state, raw, result, ctx)
    return step


def jsonata_items(state: m.MapState, raw: Json, ctx: Context) -> list[Json]:
    """A JSONata Map's items: its Items field, or its input."""
    if state.items is None:
        if not isinstance(raw, list):
            raise query_error(f"Map state input must be an array but was: {to_json(raw)}")
        return raw
    items = state.items.evaluate(bindings(ctx.variables, raw, ctx.context))
    if not isinstance(items, list):
        raise query_error(
            f"The JSONata expression '{text_of(state.items, items)}' specified for the field 'Items' "
            f"returned an unexpected result type. Expected 'array', but was '{json_type(items)}' for value: {to_json(items)}"
        )
    return items


def jsonata_number(source: Any, field: str, raw: Json, ctx: Context) -> Any:
    """A JSONata numeric field (MaxConcurrency, TimeoutSeconds...): a literal or an expression."""
    if not hasattr(source, "evaluate"):
        return source
    value = source.evaluate(bindings(ctx.variables, raw, ctx.context))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise query_error(
            f"The JSONata expression '{text_of(source, value)}' specified for the field '{field}' "
            f"returned an unexpected result type. Expected 'number', but was '{json_type(value)}' for value: {to_json(value)}"
        )
    return value


def jsonata_item(state: m.MapState, raw: Json, item_ctx: Context, item: Json) -> Json:
    """A JSONata Map iteration's input: ItemSelector against the item's `$states.context`, or the item."""
    if state.item_selector is None:
        return item
    return state.item_selector.evaluate(bindings(item_ctx.variables, raw, item_ctx.context))


def bindings(variables: Variables, raw: Json, context: Json, result: Json = _NO_VALUE,
             error: Json = _NO_VALUE) -> dict[str, Json]:
    """The names a JSONata expression sees: the variables and `$states`."""
    names: dict[str, Json] = dict(variables) if variables else {}
    states: dict[str, Json] = {"input": raw, "context": context}
    if result is not _NO_VALUE:
        states["result"] = result
    if error is not _NO_VALUE:
        states["errorOutput"] = error
    names["states"] = states
    return names


def query_error(cause: str) -> StatesError:
    return StatesError(QUERY_EVALUATION_ERROR, cause, in_state=True)


# -- JSONPath and JSONata, per state type ------------------------------------------------------


def _assigned(assign: m.Evaluable, source: Json, ctx: Context) -> dict[str, Json]:
    """JSONPath Assign: evaluated against the state's result."""
    return assign.evaluate(Scope(source, ctx.context, ctx.variables))  # type: ignore[no-any-return]


def _jsonpath_next(state: m.State, raw: Json, result: Json, ctx: Context, scope: Scope) -> Next:
    """Assign (on the result), ResultPath, OutputPath, and where to go next; `scope` is the raw input's."""
    assigned = None if state.assign is None else _assigned(state.assign, result, ctx)
    merged = apply_result_path(getattr(state, "result_path", None), raw, result)
    return Next(apply_output_path(state.output_path, merged, scope), state.next, assigned)


def _jsonata_next(state: m.State, names: dict[str, Json], default: Json, next_name: str | None) -> Next:
    """JSONata Assign and Output against the same bindings; Output defaults to `default`."""
    assigned = None if state.assign is None else state.assign.evaluate(names)
    output = default if state.output is None else state.output.evaluate(names)
    return Next(output, next_name, assigned)


class JsonPathFlow:
    """JSONPath: paths and payload templates evaluated against a `Scope` of the input or result."""

    offloaded = False
    """Whether the shell runs this flow's steps inside `offload.settle` (JSONata's budget):
    a path never overruns its slice, so JSONPath steps are called directly."""

    def caught(self, catcher: m.Catcher, raw: Json, error_output: Json, ctx: Context) -> Next:
        """A Catcher's Assign (on the error output) and ResultPath (into the raw input)."""
        assigned = None if catcher.assign is None else _assigned(catcher.assign, error_output, ctx)
        return Next(apply_result_path(catcher.result_path, raw, error_output), catcher.next, assigned)

    def item_input(self, state: m.MapState, value: Json, item_ctx: Context, item: Json) -> Json:
        """A Map iteration's input: ItemSelector against the item's `$$.Map.Item`, or the item."""
        selector = state.item_selector
        return item if selector is None else selector.evaluate(Scope(value, item_ctx.context, item_ctx.variables))

    def template(self, compiled: m.Evaluable, value: Json, ctx: Context) -> Json:
        """A payload template (Credentials, ItemReader/ResultWriter fields) against `value`."""
        return compiled.evaluate(Scope(value, ctx.context, ctx.variables))

    def map_fields(self, state: m.MapState, raw: Json, ctx: Context) -> MapFields:
        """AWS reads MaxConcurrencyPath before MapStateStarted and the tolerated failures after it
        (recorded: test_max_concurrency_path, test_map_state_tolerated_failure_count_path)."""
        variables = ctx.variables
        value = apply_input_path(state.input_path, Scope(raw, ctx.context, variables))
        items = [] if state.item_reader is not None else map_fields.items(state, value, ctx.context, variables)
        value_scope = Scope(value, ctx.context, variables)
        concurrency = map_fields.whole_number(state.max_concurrency, "MaxConcurrencyPath", value_scope)
        tolerated = (
            lambda: map_fields.whole_number(state.tolerated_failure_count, "ToleratedFailureCountPath", value_scope),
            lambda: map_fields.percentage(state.tolerated_failure_percentage, value_scope),
        )
        return MapFields(value, items, concurrency, tolerated)

    def number(self, compiled: Any, field: str, value: Json, ctx: Context) -> Json:
        """A Distributed Map number field (MaxItems...): a literal, or the value its `...Path` names."""
        if not isinstance(compiled, Path):
            return compiled
        try:
            return compiled.select(Scope(value, ctx.context, ctx.variables))
        except PathNotFound:
            raise StatesError(PARAMETER_PATH_FAILURE, f"Invalid path '{compiled}' : No results for path: "
                                                      f"{compiled}", in_state=True) from None

    def credentials(self, state: m.TaskState, raw: Json, ctx: Context) -> Json:
        """A Task's Credentials, against the effective input (after InputPath), like Parameters."""
        assert state.credentials is not None
        return self.template(state.credentials, apply_input_path(state.input_path, Scope(raw, ctx.context, ctx.variables)), ctx)

    def arguments(self, state: m.TaskState | m.ParallelState | m.PassState, raw: Json, ctx: Context) -> Json:
        value = apply_input_path(state.input_path, Scope(raw, ctx.context, ctx.variables))
        if state.parameters is not None:
            value = state.parameters.evaluate(Scope(value, ctx.context, ctx.variables))
        return value

    def finish(self, state: m.State, raw: Json, result: Json, ctx: Context) -> Next:
        return _jsonpath_next(state, raw, self.selected(state, result, ctx), ctx, Scope(raw, ctx.context, ctx.variables))

    def selected(self, state: m.State, result: Json, ctx: Context) -> Json:
        """ResultSelector (Task, Map, Parallel) on the state's result."""
        selector = getattr(state, "result_selector", None)
        return result if selector is None else selector.evaluate(Scope(result, ctx.context, ctx.variables))

    def inspection(self, state: m.State, raw: Json, ctx: Context, result: Json, has_result: bool
                   ) -> Iterator[tuple[str, Json]]:
        """TestState's inspectionData, stage by stage in the order above: afterInputPath,
        afterParameters, result, afterResultSelector, afterResultPath. A stage that fails ends
        the iteration with its StatesError; what came before it has been yielded."""
        yield "afterInputPath", apply_input_path(state.input_path, Scope(raw, ctx.context, ctx.variables))
        if not isinstance(state, (m.PassState, m.TaskState, m.ParallelState)):
            return
        after_parameters = self.arguments(state, raw, ctx)
        yield "afterParameters", after_parameters
        if isinstance(state, m.PassState):
            result = state.result if state.has_result else after_parameters
        elif not (has_result and isinstance(state, m.TaskState)):
            return
        yield "result", result
        selected = self.selected(state, result, ctx)
        yield "afterResultSelector", selected
        yield "afterResultPath", apply_result_path(state.result_path, raw, selected)

    def pass_(self, state: m.PassState, raw: Json, ctx: Context) -> Next:
        scope = Scope(raw, ctx.context, ctx.variables)
        value = apply_input_path(state.input_path, scope)
        if state.parameters is not None:
            value = state.parameters.evaluate(Scope(value, ctx.context, ctx.variables))
        return _jsonpath_next(state, raw, state.result if state.has_result else value, ctx, scope)

    def succeed(self, state: m.SucceedState, raw: Json, ctx: Context) -> Next:
        scope = Scope(raw, ctx.context, ctx.variables)
        value = apply_input_path(state.input_path, scope)
        assigned = None if state.assign is None else _assigned(state.assign, value, ctx)
        return Next(apply_output_path(state.output_path, value, scope), None, assigned)

    def fail_error(self, state: m.FailState, raw: Json, ctx: Context) -> StatesError:
        return StatesError(*fail_fields(state, Scope(raw, ctx.context, ctx.variables)))

    def choice(self, state: m.ChoiceState, raw: Json, ctx: Context) -> Next:
        scope = Scope(raw, ctx.context, ctx.variables)
        value = apply_input_path(state.input_path, scope)
        rule_scope = Scope(value, ctx.context, ctx.variables)
        assigned = None if state.assign is None else _assigned(state.assign, value, ctx)
        next_name = state.default
        for rule in state.choices:
            if rule.predicate(rule_scope):
                next_name = rule.next
                if rule.assign is not None:
                    assigned = {**(assigned or {}), **rule.assign.evaluate(rule_scope)}
                break
        else:
            if next_name is None:
                raise no_choice_matched()
        return Next(apply_output_path(state.output_path, value, scope), next_name, assigned)

    def wait(self, state: m.WaitState, raw: Json, ctx: Context) -> Sleep:
        scope = Scope(raw, ctx.context, ctx.variables)
        value = apply_input_path(state.input_path, scope)
        until = wait_deadline(state, value, Scope(value, ctx.context, ctx.variables), ctx.now)
        assigned = None if state.assign is None else _assigned(state.assign, value, ctx)
        return Sleep(until, Next(apply_output_path(state.output_path, value, scope), state.next, assigned))


class JsonataFlow:
    """JSONata: templates evaluated against the variables and `$states` (see `bindings`)."""

    offloaded = True
    """An expression may outgrow its slice of the loop: the shell runs these steps inside
    `offload.settle`, which finishes such an evaluation in a worker and replays the step."""

    def caught(self, catcher: m.Catcher, raw: Json, error_output: Json, ctx: Context) -> Next:
        """A Catcher's Assign and Output against `$states.errorOutput`; Output defaults to it."""
        names = bindings(ctx.variables, raw, ctx.context, error=error_output)
        assigned = None if catcher.assign is None else catcher.assign.evaluate(names)
        output = error_output if catcher.output is None else catcher.output.evaluate(names)
        return Next(output, catcher.next, assigned)

    def item_input(self, state: m.MapState, value: Json, item_ctx: Context, item: Json) -> Json:
        return jsonata_item(state, value, item_ctx, item)

    def template(self, compiled: m.Evaluable, value: Json, ctx: Context) -> Json:
        return compiled.evaluate(bindings(ctx.variables, value, ctx.context))

    def map_fields(self, state: m.MapState, raw: Json, ctx: Context) -> MapFields:
        items = [] if state.item_reader is not None else jsonata_items(state, raw, ctx)
        concurrency = jsonata_number(state.max_concurrency, "MaxConcurrency", raw, ctx)
        tolerated = (
            lambda: jsonata_number(state.tolerated_failure_count, "ToleratedFailureCount", raw, ctx),
            lambda: map_fields.percentage(jsonata_number(state.tolerated_failure_percentage,
                                                         "ToleratedFailurePercentage", raw, ctx), Scope(raw)),
        )
        return MapFields(raw, items, concurrency, tolerated)

    def number(self, compiled: Any, field: str, value: Json, ctx: Context) -> Json:
        return jsonata_number(compiled, field, value, ctx)

    def credentials(self, state: m.TaskState, raw: Json, ctx: Context) -> Json:
        assert state.credentials is not None
        return self.template(state.credentials, raw, ctx)

    def arguments(self, state: m.TaskState | m.ParallelState, raw: Json, ctx: Context) -> Json:
        return raw if state.parameters is None else state.parameters.evaluate(bindings(ctx.variables, raw, ctx.context))

    def finish(self, state: m.State, raw: Json, result: Json, ctx: Context) -> Next:
        return _jsonata_next(state, bindings(ctx.variables, raw, ctx.context, result=result), result, state.next)

    def inspection(self, state: m.State, raw: Json, ctx: Context, result: Json, has_result: bool
                   ) -> Iterator[tuple[str, Json]]:
        """TestState's inspectionData: a JSONata state has no intermediate stages, only its result."""
        if has_result:
            yield "result", result

    def pass_(self, state: m.PassState, raw: Json, ctx: Context) -> Next:
        return _jsonata_next(state, bindings(ctx.variables, raw, ctx.context), raw, state.next)

    def succeed(self, state: m.SucceedState, raw: Json, ctx: Context) -> Next:
        return _jsonata_next(state, bindings(ctx.variables, raw, ctx.context), raw, None)

    def fail_error(self, state: m.FailState, raw: Json, ctx: Context) -> StatesError:
        names = bindings(ctx.variables, raw, ctx.context)
        return StatesError(_text(_evaluated(state.error, names)), _text(_evaluated(state.cause, names)))

    def choice(self, state: m.ChoiceState, raw: Json, ctx: Context) -> Next:
        names = bindings(ctx.variables, raw, ctx.context)
        for rule in state.choices:
            verdict = rule.condition.evaluate(names)
            if not isinstance(verdict, bool):
                raise query_error(
                    f"The JSONata expression '{rule.condition.template.expression.text}' specified for the field "
                    f"'Condition' returned an unexpected result type. Expected 'boolean', but was "
                    f"'{json_type(verdict)}' for value: {to_json(verdict)}"
                )
            if verdict:
                step = _jsonata_next(state, names, raw, rule.next)
                assigned = step.assigned
                if rule.assign is not None:
                    assigned = {**(assigned or {}), **rule.assign.evaluate(names)}
                output = step.output if rule.output is None else rule.output.evaluate(names)
                return Next(output, rule.next, assigned)
        if state.default is None:
            raise no_choice_matched()
        return _jsonata_next(state, names, raw, state.default)

    def wait(self, state: m.WaitState, raw: Json, ctx: Context) -> Sleep:
        names = bindings(ctx.variables, raw, ctx.context)
        until = _jsonata_deadline(state, names, ctx.now)
        return Sleep(until, _jsonata_next(state, names, raw, state.next))


FLOWS: dict[str, m.DataFlow] = {m.JSONPATH: JsonPathFlow(), m.JSONATA: JsonataFlow()}
"""The flow of each query language; `compile.py` picks a state's once."""


def _jsonata_deadline(state: m.WaitState, names: dict[str, Json], now: float) -> float:
    if state.seconds is not None:
        seconds = _evaluated(state.seconds, names)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise query_error(
                f"The JSONata expression '{text_of(state.seconds, seconds)}' specified for the field "
                f"'Seconds' returned an unexpected result type. Expected 'integer', but was '{json_type(seconds)}' "
                f"for value: {to_json(seconds)}"
            )
        return now + seconds
    stamp = _evaluated(state.timestamp, names)
    moment = epoch_seconds(stamp)
    if moment is None:
        raise query_error(
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
            f"string: {stamp if isinstance(stamp, str) else to_json(stamp)}"
        )
    return moment


def _evaluated(field: str | float | m.Evaluable | None, names: dict[str, Json]) -> Json:
    """A JSONata field that holds a literal or an expression, as a value."""
    return field if field is None or isinstance(field, (str, int, float)) else field.evaluate(names)


def _text(value: Json) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_json(value)


def text_of(source: Any, value: Json) -> str:
    """A JSONata field's expression text; for a literal (`"Items": "abc"`), the literal as JSON."""
    expression = getattr(getattr(source, "template", None), "expression", None)
    return expression.text if expression is not None else to_json(value)


def json_type(value: Json) -> str:
    """A value's type as AWS's JSONata diagnostics name it."""
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
