"""Map and Parallel: run iterations and branches side by side as coroutines, results in order.

A failing branch fails the state with its own error and stops its siblings. Map honours
MaxConcurrency (0 = no limit); MaxConcurrency 1 runs iterations one after another without
creating tasks at all. A DISTRIBUTED Map runs its items here too, but, as in AWS, their events
belong to child executions and only the MapRun* events appear in the parent's history; its
ItemReader, ItemBatcher and ResultWriter are asl_engine.distributed's (read, batch, export).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import Any, Awaitable, Callable

from . import model as m
from .dataflow import apply_input_path
from .engine.step import Context, jsonata_items, jsonata_number
from .errors import EXCEED_TOLERATED_FAILURE_THRESHOLD, RUNTIME, StatesError
from .execution import ListSink
from .history import History
from .path_values import as_kind, rule_for
from .paths import Path, PathNotFound, Scope
from .payload import to_json
from .position import BRANCHES, DONE, FAILED, Frame
from .offload import settle, share_loop
from .run_api import MapRunObserver, Run, complete
from .distributed import names
from .distributed import run as distributed
from .distributed.evaluate import Source

Json = Any
INLINE_CONCURRENCY = 40  # AWS's bound on an inline Map's concurrent iterations


class _Discard(ListSink):
    """The events of a Distributed Map's child executions, which the parent never shows."""

    def emit(self, events: list[Any], checkpoint: Json | None = None) -> None:
        return None


class MapRunner:
    def __init__(self, run: "Run") -> None:
        self.run = run

    async def execute(self, state: m.MapState, raw: Json, context: Json, frame: "Frame") -> tuple[Json, str | None]:
        if state.query_language == m.JSONATA:
            fields = await settle(lambda: self._jsonata_fields(state, raw, context, frame), self.run.clock)
        else:
            fields = self._jsonpath_fields(state, raw, context, frame)
        value, items, concurrency, tolerated = fields
        source = Source(value, context, frame.variables, state.flow)
        store = distributed.store_factory(self.run.tasks)
        weights: list[int] | None = None  # with an ItemBatcher: the items are batches of this many
        if state.item_reader is not None:
            items = await distributed.read_items(state.item_reader, source, store, self.run.clock)
        if state.item_batcher is not None:
            inputs = [await self._item_input(state, index, item, value, context, frame)
                      for index, item in enumerate(items)]
            items = distributed.batch(state.item_batcher, source, inputs)
            weights = [len(child["Items"]) for child in items]
        history = frame.history
        resumed = frame.take_resumed(BRANCHES)
        if resumed is None:
            frame.previous = history.add("MapStateStarted", frame.previous, {"length": len(items)})
        tolerated_count, tolerated_percentage = await settle(lambda: (tolerated[0](), tolerated[1]()), self.run.clock)
        # Tolerated failures count items: a failed batch fails all of its items (AWS developer guide,
        # maprun-fail-threshold.html: "the total number of failed or timed out items divided by the
        # total number of items").
        tolerance = _tolerance(sum(weights) if weights is not None else len(items), tolerated_count,
                               tolerated_percentage)
        map_run: tuple[MapRunObserver, str] | None = None
        log: distributed.ChildLog | None = None
        map_run_arn = None
        if state.distributed:
            # The ARN rides in the saved phase, so a resumed map reports to the same Map Run.
            map_run_arn = resumed.get("mapRunArn") if resumed is not None else None
            if map_run_arn is None:
                map_run_arn = names.map_run_arn(self.run.info.state_machine_arn,
                                                state.label or str(uuid.uuid4())[:8])
            if resumed is None:
                frame.previous = history.add("MapRunStarted", frame.previous, {"mapRunArn": map_run_arn})
            observer = self.run.map_runs
            if observer is not None:
                map_run = (observer, map_run_arn)
                observer.map_run_started(self.run.info.execution_arn, map_run_arn,
                                         sum(weights) if weights is not None else len(items), concurrency or 0,
                                         float(tolerated_percentage or 0), tolerated_count or 0,
                                         len(items) if weights is not None else None)
            if state.result_writer is not None:
                log = distributed.ChildLog(map_run_arn, state.express_children)
        frame.phase = {"kind": BRANCHES, **({"mapRunArn": map_run_arn} if map_run_arn is not None else {})}
        self.run.touch(frame)
        iterations = [self._iteration(state, index, item, value, context, frame, map_run, log,
                                      weights[index] if weights is not None else None)
                      for index, item in enumerate(items)]
        try:
            results = await _run_all(iterations, _concurrency(state, concurrency), tolerance, weights)
        except StatesError as failure:
            if state.distributed:
                frame.previous = history.add("MapRunFailed", frame.previous, _error_details(failure))
                if map_run is not None:
                    map_run[0].map_run_ended(map_run[1], "FAILED")
            raise failure.replace(from_branches=True) from None
        except asyncio.CancelledError:
            if map_run is not None:
                map_run[0].map_run_ended(map_run[1], "ABORTED")
            raise
        if state.result_writer is not None and log is not None:
            results = await distributed.result(state.result_writer, source, store, self.run.clock, log, len(items))
        if state.distributed:
            frame.previous = history.add("MapRunSucceeded", frame.previous)
            if map_run is not None:
                map_run[0].map_run_ended(map_run[1], "SUCCEEDED")
        frame.previous = history.add("MapStateSucceeded", frame.previous)
        return await complete(state, raw, results, context, frame, self.run.clock)

    def _jsonpath_fields(self, state: m.MapState, raw: Json, context: Json, frame: "Frame") -> Any:
        """(selector input, items, concurrency, deferred tolerated failures) in JSONPath.

        AWS reads MaxConcurrencyPath before MapStateStarted and the tolerated failures after it
        (recorded: test_max_concurrency_path, test_map_state_tolerated_failure_count_path).
        """
        variables = frame.variables
        value = apply_input_path(state.input_path, Scope(raw, context, variables))
        items = [] if state.item_reader is not None else self._items(state, value, context, variables)
        value_scope = Scope(value, context, variables)
        concurrency = _whole_number(state.max_concurrency, "MaxConcurrencyPath", value_scope)
        tolerated = (
            lambda: _whole_number(state.tolerated_failure_count, "ToleratedFailureCountPath", value_scope),
            lambda: _percentage(state.tolerated_failure_percentage, value_scope),
        )
        return value, items, concurrency, tolerated

    def _jsonata_fields(self, state: m.MapState, raw: Json, context: Json, frame: "Frame") -> Any:
        ctx = Context(context, frame.variables)
        items = [] if state.item_reader is not None else jsonata_items(state, raw, ctx)
        concurrency = jsonata_number(state.max_concurrency, "MaxConcurrency", raw, ctx)
        tolerated = (
            lambda: jsonata_number(state.tolerated_failure_count, "ToleratedFailureCount", raw, ctx),
            lambda: _percentage(jsonata_number(state.tolerated_failure_percentage, "ToleratedFailurePercentage",
                                               raw, ctx), Scope(raw)),
        )
        return raw, items, concurrency, tolerated

    def _items(self, state: m.MapState, value: Json, context: Json, variables: Any) -> list[Json]:
        path = state.items_path
        if path is None or (path.steps == () and path.root == "input"):
            items = value
        else:
            try:
                items = path.find(value) if path.root == "input" else path.select(Scope(value, context, variables))
            except PathNotFound:
                raise StatesError(
                    RUNTIME,
                    f"Invalid path '{path}' : No results for path: {path}",
                    in_state=True,
                ) from None
        if not isinstance(items, list):
            raise StatesError(
                RUNTIME,
                f"Item Path '{path}' evaluated to a non-array value: {to_json(items)}"
                if path is not None else "The input of the Map state must be a JSON array.",
                in_state=True,
            )
        return items

    async def _item_input(self, state: m.MapState, index: int, item: Json, value: Json, context: Json,
                          frame: "Frame") -> Json:
        """An item's input: ItemSelector against the item's `$$.Map.Item`, or the item."""
        item_context = {**context, "Map": {"Item": {"Index": index, "Value": item}}}
        item_ctx = Context(item_context, frame.variables)
        if state.flow.offloaded:
            return await settle(lambda: state.flow.item_input(state, value, item_ctx, item), self.run.clock)
        return state.flow.item_input(state, value, item_ctx, item)

    def _iteration(
        self, state: m.MapState, index: int, item: Json, value: Json, context: Json, frame: "Frame",
        map_run: tuple[MapRunObserver, str] | None = None, log: distributed.ChildLog | None = None,
        batch_size: int | None = None,
    ) -> Callable[[], Awaitable[Json]]:
        """One child; `batch_size` set: `item` is already its input, a batch of that many items."""
        prepared = batch_size is not None
        items = batch_size or 1

        async def iterate() -> Json:
            await share_loop()  # before any work: thousands of iterations may be ready at once
            item_input = item if prepared else await self._item_input(state, index, item, value, context, frame)
            history = _Unrecorded(self.run.clock) if state.distributed else frame.history
            events = None if state.distributed else ("MapIteration", {"name": state.name, "index": index})
            if map_run is None and log is None:
                return await self._child(frame, index, state.processor, item_input, history, events)
            clock = self.run.clock
            if log is not None:
                log.start(index, item_input, clock.time())
            _tell(map_run, "running", items)
            try:
                output = await self._child(frame, index, state.processor, item_input, history, events)
            except StatesError as failure:
                _tell(map_run, "failed", items)
                if log is not None:
                    log.end(index, clock.time(), error=failure.error, cause=failure.cause, status="FAILED")
                raise
            except asyncio.CancelledError:
                _tell(map_run, "aborted", items)
                raise
            _tell(map_run, "succeeded", items)
            if log is not None:
                log.end(index, clock.time(), output=output)
            return output

        return iterate

    async def run_branches(self, state: m.ParallelState, value: Json, frame: "Frame") -> list[Json]:
        history = frame.history
        if frame.take_resumed(BRANCHES) is None:
            frame.previous = history.add("ParallelStateStarted", frame.previous)
        frame.phase = {"kind": BRANCHES}
        self.run.touch(frame)

        def branch(index: int, program: m.Program) -> Callable[[], Awaitable[Json]]:
            return lambda: self._child(frame, index, program, value, history, None)

        try:
            sequential = all(program.synchronous for program in state.branches)
            jobs = [branch(index, program) for index, program in enumerate(state.branches)]
            results = await _run_all(jobs, 1 if sequential else 0, 0)
        except StatesError as failure:
            raise failure.replace(from_branches=True) from None
        frame.previous = history.add("ParallelStateSucceeded", frame.previous)
        return results

    async def _child(
        self, parent: "Frame", index: int, program: m.Program, value: Json, history: History,
        events: tuple[str, dict[str, Json]] | None,
    ) -> Json:
        """Run one branch or iteration in a frame of its own, or take its saved outcome.

        `events` names the event family (MapIteration) and its details; Parallel branches and
        Distributed Map children record none of their own."""
        child = Frame(parent.child_id(index), parent.previous, history,
                      dict(parent.variables) if parent.variables is not None else None,
                      aborts=events is None and history is parent.history)
        resume = self.run.resume
        saved = resume.frames.get(child.id) if resume is not None else None
        if saved is not None and saved["phase"]["kind"] in (DONE, FAILED):
            resume.take(child.id)  # type: ignore[union-attr]
            phase = saved["phase"]
            if phase["kind"] == DONE:
                return phase["output"]
            raise StatesError(phase.get("error"), phase.get("cause"))
        if saved is None and events is not None:
            child.previous = history.add(events[0] + "Started", parent.previous, events[1])
        try:
            output = await self.run.run_program(program, value, child)
        except StatesError as failure:
            child.phase = {"kind": FAILED, "error": failure.error, "cause": failure.cause}
            self.run.touch(child)
            if events is not None:
                history.add(events[0] + "Failed", child.previous, events[1])
            raise
        except asyncio.CancelledError:
            if events is not None:
                history.add(events[0] + "Aborted", child.previous, events[1])
            raise
        child.phase = {"kind": DONE, "output": output}
        self.run.touch(child)
        if events is not None:
            history.add(events[0] + "Succeeded", child.previous, events[1])
        return output


def _tell(map_run: tuple[MapRunObserver, str] | None, outcome: str, items: int) -> None:
    if map_run is not None:
        map_run[0].map_run_item(map_run[1], outcome, items)


class _Unrecorded(History):
    """A Distributed Map child's history: AWS keeps it in the child execution, not the parent's."""

    def __init__(self, clock: Any) -> None:
        super().__init__(clock, _Discard())

    def add(self, event_type: str, previous: int, details: dict[str, Json] | None = None) -> int:
        self.count += 1
        return self.count


def _concurrency(state: m.MapState, asked: int | None) -> int:
    """How many iterations run at once (0: all). An inline Map runs up to 40, as AWS's does
    (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html): a large one then
    keeps 40 iterations ready to run, not thousands, and shares the loop like any execution."""
    if state.processor.synchronous:
        return 1
    if state.distributed:
        return asked or 0
    return min(asked or INLINE_CONCURRENCY, INLINE_CONCURRENCY)


async def _run_all(jobs: list[Callable[[], Awaitable[Json]]], concurrency: int, tolerance: int,
                   weights: list[int] | None = None) -> list[Json]:
    """Run jobs, at most `concurrency` at once (0: all); results in job order.

    Up to `tolerance` failures are tolerated (their error output takes the result's place);
    one more fails the whole run with the first error, or with ExceedToleratedFailureThreshold
    when failures were tolerated at all. A job's failure counts `weights[index]` (the items of a
    batch), 1 without weights.
    """
    results: list[Json] = [None] * len(jobs)
    if concurrency == 1 or len(jobs) <= 1:
        failures = 0
        for index, job in enumerate(jobs):
            try:
                results[index] = await job()
            except StatesError as failure:
                failures += weights[index] if weights is not None else 1
                results[index] = _error_output(failure)
                if failures > tolerance:
                    raise _threshold(failure, tolerance) from failure
        return results
    # `lanes` coroutines take the jobs in order, each the next one when it is free: a Map of
    # 3,000 items with concurrency 40 is 40 coroutines, not 3,000 tasks made (and parked) at once.
    lanes = len(jobs) if concurrency <= 0 else min(concurrency, len(jobs))
    indexes = iter(range(len(jobs)))
    failures = 0

    async def lane() -> None:
        nonlocal failures
        for index in indexes:
            try:
                results[index] = await jobs[index]()
            except StatesError as failure:
                failures += weights[index] if weights is not None else 1
                results[index] = _error_output(failure)
                if failures > tolerance:
                    raise _threshold(failure, tolerance) from failure

    tasks = [asyncio.ensure_future(lane()) for _ in range(lanes)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = task.exception()
            if error is not None:
                raise error
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


def _threshold(failure: StatesError, tolerance: int) -> StatesError:
    if tolerance == 0:
        return failure
    return StatesError(
        EXCEED_TOLERATED_FAILURE_THRESHOLD, "The specified tolerated failure threshold was exceeded"
    )


def _error_output(failure: StatesError) -> Json:
    return {"Error": failure.error, "Cause": failure.cause}


def _error_details(failure: StatesError) -> dict[str, str]:
    return {key: value for key, value in (("error", failure.error), ("cause", failure.cause)) if value is not None}


def _tolerance(total: int, count: int | None, percentage: float | None) -> int:
    tolerated = count or 0
    if percentage:
        tolerated = max(tolerated, math.floor(total * percentage / 100))
    return tolerated


def _whole_number(source: Any, field: str, scope: Scope) -> int | None:
    """A number field or its `...Path` twin; the path must name an integer the literal could be."""
    if not isinstance(source, Path):
        return source  # type: ignore[no-any-return]
    return _from_path(source, field, scope)  # type: ignore[return-value]


def _percentage(source: Any, scope: Scope) -> float | None:
    value = source
    if isinstance(source, Path):
        value = _from_path(source, "ToleratedFailurePercentagePath", scope)
    if value is not None and not rule_for("ToleratedFailurePercentage").admits(value):
        raise StatesError(RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.", in_state=True)
    return value  # type: ignore[no-any-return]


def _from_path(source: Path, field: str, scope: Scope) -> int | float:
    """The value a Map's `...Path` field names, checked by the literal field's rule (path_values).

    Recorded wording for a value of the wrong kind: test_max_concurrency_path,
    test_map_state_tolerated_failure_*_path; out of range, the percentage's recorded sentence
    ("ToleratedFailurePercentage must be between 0 and 100.") with the literal's own bounds."""
    rule = rule_for(field)
    value = _numeric_text(_resolve(source, field, scope), int if rule.integer else float)
    number = as_kind(rule, value)
    if number is None or (rule.integer and isinstance(value, float)):
        kind = "integer" if rule.integer else "float"
        raise StatesError(
            RUNTIME,
            f"The {field} field refers to value \"{_render(value)}\" which is not a valid {kind}: {source}",
            in_state=True,
        )
    literal = field.removesuffix("Path")
    if not rule.admits(number):
        raise StatesError(RUNTIME, f"{literal} must be between {rule.minimum} and {rule.maximum}.", in_state=True)
    return number


def _numeric_text(value: Json, kind: type) -> Json:
    """AWS reads a numeric string such as "1" as the number (recorded:
    test_reference_in_map_state[MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH])."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            return value
    return value


def _resolve(path: Path, field: str, scope: Scope) -> Json:
    try:
        return path.select(scope)
    except PathNotFound:
        raise StatesError(RUNTIME, f"The {field} field does not reference an input value: {path}", in_state=True) from None


def _render(value: Json) -> str:
    return value if isinstance(value, str) else to_json(value)
