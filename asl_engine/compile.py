"""Definition JSON -> immutable model, with every path, template and rule parsed once.

Compilation assumes the definition passed validation (`validate.py`) but stays defensive: anything
it cannot make sense of raises `DefinitionError` with a JSON-pointer location rather than failing
later, mid-execution.
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Callable

from . import model as m
from .choice import compile_choice_rule
from .distributed.reader import reader_spec
from .distributed.spec import ItemBatcher, ItemReader, ResultWriter
from .distributed.writer import writer_spec
from .engine.step import FLOWS
from .errors import DefinitionError
from .timestamps import epoch_seconds
from .intrinsics import IntrinsicSyntaxError, compile_intrinsic
from .paths import Path, PathSyntaxError, compile_path
from .payload import Template, compile_template
from .query import compile_assign, compile_jsonata_choice, compile_jsonata_value, compile_output

Json = Any
SCHEMA = "SCHEMA_VALIDATION_FAILED"
ROOT = compile_path("$")
_NEVER_WAITS = frozenset({"Pass", "Choice", "Succeed", "Fail"})


def compile_definition(definition: str | dict[str, Any]) -> m.StateMachine:
    """Compile a definition (JSON text or parsed object) into a `StateMachine`."""
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            raise DefinitionError("INVALID_JSON_DESCRIPTION", str(exc), "/") from None
    if not isinstance(definition, dict):
        raise DefinitionError("INVALID_JSON_DESCRIPTION", "a definition must be a JSON object", "/")
    language = definition.get("QueryLanguage", m.JSONPATH)
    try:
        program = _program(definition, "", language)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, DefinitionError):
            raise
        raise DefinitionError(SCHEMA, f"malformed definition: {exc!r}", "/") from None
    timeout = definition.get("TimeoutSeconds")
    return m.StateMachine(program, timeout, definition.get("Comment"), definition)


def _program(node: dict[str, Any], location: str, language: str) -> m.Program:
    if "StartAt" not in node or "States" not in node:
        raise DefinitionError(SCHEMA, "These fields are required: [StartAt, States]", location or "/")
    states = {
        name: _state(name, body, f"{location}/States/{name}", language)
        for name, body in node["States"].items()
    }
    if node["StartAt"] not in states:
        raise DefinitionError(
            "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {node['StartAt']}", f"{location}/StartAt"
        )
    synchronous = all(state.type in _NEVER_WAITS for state in states.values())
    at_once = synchronous and not any(state.flow.offloaded for state in states.values())
    return m.Program(node["StartAt"], MappingProxyType(states), language, synchronous, at_once)


def _state(name: str, body: dict[str, Any], location: str, outer_language: str) -> m.State:
    kind = body.get("Type")
    builder = _BUILDERS.get(str(kind))
    if builder is None:
        raise DefinitionError(SCHEMA, f"Unknown state type: {kind}", f"{location}/Type")
    language = body.get("QueryLanguage", outer_language)
    common = dict(
        name=name,
        type=kind,
        next=body.get("Next"),
        end=bool(body.get("End", False)),
        query_language=language,
        flow=FLOWS.get(language, FLOWS[m.JSONPATH]),  # the validator refused any other language
        input_path=_optional_path(body, "InputPath", location, ROOT),
        output_path=_optional_path(body, "OutputPath", location, ROOT),
        assign=compile_assign(body.get("Assign"), language, f"{location}/Assign"),
        output=compile_output(body, language, location),
    )
    return builder(body, location, language, common)


def _optional_path(body: dict[str, Any], key: str, location: str, default: Path | None) -> Path | None:
    """A path field: absent -> `default`, JSON null -> None, text -> compiled Path."""
    if key not in body:
        return default
    value = body[key]
    if value is None:
        return None
    try:
        return compile_path(value)
    except PathSyntaxError as exc:
        raise DefinitionError(SCHEMA, str(exc), f"{location}/{key}") from None


def _result_path(body: dict[str, Any], location: str) -> Path | None:
    path = _optional_path(body, "ResultPath", location, ROOT)
    if path is not None and (path.root != "input" or not path.definite):
        raise DefinitionError(SCHEMA, "ResultPath must be a definite reference path", f"{location}/ResultPath")
    return path


def _template(body: dict[str, Any], key: str, location: str) -> Template | None:
    if key not in body:
        return None
    return compile_template(body[key], f"{location}/{key}")


def _parameters(body: dict[str, Any], location: str, language: str) -> Any:
    if language == m.JSONATA:
        if "Arguments" not in body:
            return None
        return compile_jsonata_value(body["Arguments"], f"{location}/Arguments", "Arguments")
    return _template(body, "Parameters", location)


def _credentials(body: dict[str, Any], location: str, language: str) -> Any:
    """Credentials (`RoleArn`, `RoleArn.$`, or a JSONata `RoleArn`), compiled like Parameters:
    the role is evaluated per run and recorded in TaskScheduled's taskCredentials."""
    if language == m.JSONATA and "Credentials" in body:
        return compile_jsonata_value(body["Credentials"], f"{location}/Credentials", "Credentials")
    return _template(body, "Credentials", location)


def _retriers(body: dict[str, Any]) -> tuple[m.Retrier, ...]:
    return tuple(
        m.Retrier(
            error_equals=tuple(item["ErrorEquals"]),
            interval_seconds=item.get("IntervalSeconds", 1),
            max_attempts=item.get("MaxAttempts", 3),
            backoff_rate=item.get("BackoffRate", 2.0),
            max_delay_seconds=item.get("MaxDelaySeconds"),
            jitter_full=item.get("JitterStrategy", "NONE") == "FULL",
        )
        for item in body.get("Retry", ())
    )


def _catchers(body: dict[str, Any], location: str, language: str) -> tuple[m.Catcher, ...]:
    catchers = []
    for index, item in enumerate(body.get("Catch", ())):
        where = f"{location}/Catch/{index}"
        catchers.append(
            m.Catcher(
                error_equals=tuple(item["ErrorEquals"]),
                next=item["Next"],
                result_path=_result_path(item, where),
                assign=compile_assign(item.get("Assign"), language, f"{where}/Assign"),
                output=compile_output(item, language, where),
            )
        )
    return tuple(catchers)


def _pass(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    return m.PassState(
        **common,
        result=body.get("Result"),
        has_result="Result" in body,
        parameters=_template(body, "Parameters", location),
        result_path=_result_path(body, location),
    )


def _task(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    return m.TaskState(
        **common,
        # A CloudFormation reference ({"Fn::GetAtt": ...}) passes validation as AWS's tooling
        # accepts it, but names no resource at run time: keep its text, dispatch will refuse it.
        resource=body["Resource"] if isinstance(body["Resource"], str) else json.dumps(body["Resource"]),
        parameters=_parameters(body, location, language),
        result_selector=_template(body, "ResultSelector", location),
        result_path=_result_path(body, location),
        retry=_retriers(body),
        catch=_catchers(body, location, language),
        timeout_seconds=_number_or_path(body, "TimeoutSeconds", location, language),
        heartbeat_seconds=_number_or_path(body, "HeartbeatSeconds", location, language),
        credentials=_credentials(body, location, language),
    )


def _number_or_path(body: dict[str, Any], key: str, location: str, language: str) -> Any:
    """`Key` (a number, or a JSONata expression) or `KeyPath` (a path), compiled."""
    if key in body:
        value = body[key]
        if language == m.JSONATA and isinstance(value, str):
            return compile_jsonata_value(value, f"{location}/{key}", key)
        return value
    path_key = key + "Path"
    if path_key in body:
        return _optional_path(body, path_key, location, None)
    return None


def _choice(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    rules: list[Any] = []
    for index, rule in enumerate(body.get("Choices", ())):
        where = f"{location}/Choices/{index}"
        if language == m.JSONATA:
            rules.append(compile_jsonata_choice(rule, where))
        else:
            compiled = compile_choice_rule(rule, where)
            assign = compile_assign(compiled.assign, language, f"{where}/Assign")
            rules.append(replace(compiled, assign=assign))
    return m.ChoiceState(**common, choices=tuple(rules), default=body.get("Default"))


def _wait(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    seconds = body.get("Seconds")
    timestamp = body.get("Timestamp")
    if language == m.JSONATA:
        if isinstance(seconds, str):
            seconds = compile_jsonata_value(seconds, f"{location}/Seconds", "Seconds")
        if isinstance(timestamp, str):
            timestamp = compile_jsonata_value(timestamp, f"{location}/Timestamp", "Timestamp")
    elif timestamp is not None:
        moment = epoch_seconds(timestamp)
        if moment is None:
            raise DefinitionError(SCHEMA, "String does not match RFC3339 timestamp", f"{location}/Timestamp")
        timestamp = moment  # a JSONPath Timestamp is a literal: parsed once, here
    return m.WaitState(
        **common,
        seconds=seconds,
        seconds_path=_optional_path(body, "SecondsPath", location, None),
        timestamp=timestamp,
        timestamp_path=_optional_path(body, "TimestampPath", location, None),
    )


def _succeed(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    return m.SucceedState(**{**common, "end": True})


def _fail(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    error, cause = body.get("Error"), body.get("Cause")
    if language == m.JSONATA:
        if isinstance(error, str):
            error = compile_jsonata_value(error, f"{location}/Error", "Error")
        if isinstance(cause, str):
            cause = compile_jsonata_value(cause, f"{location}/Cause", "Cause")
    return m.FailState(
        **{**common, "end": True},
        error=error,
        cause=cause,
        error_path=_path_or_intrinsic(body, "ErrorPath", location),
        cause_path=_path_or_intrinsic(body, "CausePath", location),
    )


def _path_or_intrinsic(body: dict[str, Any], key: str, location: str) -> Any:
    text = body.get(key)
    if text is None:
        return None
    try:
        if isinstance(text, str) and text.startswith("States."):
            return compile_intrinsic(text)
        return compile_path(text)
    except (PathSyntaxError, IntrinsicSyntaxError) as exc:
        raise DefinitionError(SCHEMA, str(exc), f"{location}/{key}") from None


def _parallel(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    return m.ParallelState(
        **common,
        branches=tuple(
            _program(branch, f"{location}/Branches/{index}", language)
            for index, branch in enumerate(body["Branches"])
        ),
        parameters=_parameters(body, location, language),
        result_selector=_template(body, "ResultSelector", location),
        result_path=_result_path(body, location),
        retry=_retriers(body),
        catch=_catchers(body, location, language),
    )


def _map(body: dict[str, Any], location: str, language: str, common: dict[str, Any]) -> m.State:
    processor_key = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
    processor = body[processor_key]
    config = processor.get("ProcessorConfig") or {}
    selector: Any
    if language == m.JSONATA:
        selector = (
            compile_jsonata_value(body["ItemSelector"], f"{location}/ItemSelector", "ItemSelector")
            if "ItemSelector" in body else None
        )
        items = compile_jsonata_value(body["Items"], f"{location}/Items", "Items") if "Items" in body else None
    else:
        selector_key = "ItemSelector" if "ItemSelector" in body else "Parameters"
        selector = _template(body, selector_key, location)
        items = None
    return m.MapState(
        **common,
        processor=_program(processor, f"{location}/{processor_key}", language),
        distributed=config.get("Mode") == "DISTRIBUTED",
        items_path=_optional_path(body, "ItemsPath", location, ROOT),
        items=items,
        item_selector=selector,
        max_concurrency=_number_or_path(body, "MaxConcurrency", location, language),
        tolerated_failure_count=_number_or_path(body, "ToleratedFailureCount", location, language),
        tolerated_failure_percentage=_number_or_path(body, "ToleratedFailurePercentage", location, language),
        result_selector=_template(body, "ResultSelector", location),
        result_path=_result_path(body, location),
        retry=_retriers(body),
        catch=_catchers(body, location, language),
        label=body.get("Label"),
        express_children=config.get("ExecutionType") == "EXPRESS",
        **_distributed(body, location, language),
    )


def _distributed(body: dict[str, Any], location: str, language: str) -> dict[str, Any]:
    """A Distributed Map's ItemReader, ItemBatcher and ResultWriter, compiled (asl_engine.distributed).

    What asl-engine cannot honour of them (PARQUET, Athena manifests...) is refused here with
    UNSUPPORTED_FEATURE (CreateStateMachine, UpdateStateMachine, TestState, a run), never run as
    if absent; ValidateStateMachineDefinition still answers as AWS does."""
    fields: dict[str, Any] = {}
    if isinstance(reader := body.get("ItemReader"), dict):
        where = f"{location}/ItemReader"
        config = reader.get("ReaderConfig") or {}
        fields["item_reader"] = ItemReader(reader_spec(reader, where), _parameters(reader, where, language),
                                           _number_or_path(config, "MaxItems", f"{where}/ReaderConfig", language))
    if isinstance(batcher := body.get("ItemBatcher"), dict):
        where = f"{location}/ItemBatcher"
        batch_input = (compile_jsonata_value(batcher["BatchInput"], f"{where}/BatchInput", "BatchInput")
                       if language == m.JSONATA and "BatchInput" in batcher else _template(batcher, "BatchInput", where))
        fields["item_batcher"] = ItemBatcher(_number_or_path(batcher, "MaxItemsPerBatch", where, language),
                                             _number_or_path(batcher, "MaxInputBytesPerBatch", where, language),
                                             batch_input)
    if isinstance(writer := body.get("ResultWriter"), dict):
        where = f"{location}/ResultWriter"
        fields["result_writer"] = ResultWriter(writer_spec(writer), _parameters(writer, where, language))
    return fields


_BUILDERS: dict[str, Callable[[dict[str, Any], str, str, dict[str, Any]], m.State]] = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": _parallel,
    "Map": _map,
}
