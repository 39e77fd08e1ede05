"""A Distributed Map's ItemReader, ItemBatcher and ResultWriter as the runtime (runtime/branches.py) uses
them: the S3 calls run off the event loop while the clock counts the run as busy, the child
outcomes are logged for ResultWriter, and the state's result is what AWS returns.

The S3 client comes from the execution's task handler (`object_store()`, tasks.dispatcher), so
it reaches the endpoint S3_ENDPOINT or AWS_ENDPOINT_URL names, and with none set the state fails
with the cause every unconfigured service gives (tasks.aws).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from ..clock import Clock
from ..engine.decisions import iso_time
from ..tasks.aws import call_blocking
from . import batcher, names, reader, writer
from .evaluate import Source, batch_settings, reader_parameters, writer_parameters
from .spec import ItemBatcher, ItemReader, ResultWriter
from .store import ObjectStore

Json = Any
StoreFactory = Callable[[], ObjectStore]


def store_factory(tasks: Any) -> StoreFactory:
    """The object store of the execution's task handler (wrappers pass it on), or one that fails
    as an unconfigured S3 endpoint does when there is no handler at all."""
    factory = getattr(tasks, "object_store", None)
    if factory is None:
        from ..errors import RUNTIME, StatesError

        def unavailable() -> ObjectStore:
            raise StatesError(RUNTIME, "No task handler is configured: S3 cannot be reached", in_state=True)
        return unavailable
    return factory  # type: ignore[no-any-return]


async def read_items(item_reader: ItemReader, source: Source, store: StoreFactory, clock: Clock) -> list[Json]:
    parameters, limit = reader_parameters(item_reader, source)
    items: list[Json] = await call_blocking(
        clock, lambda: reader.read_items(store(), item_reader.spec, parameters, limit))
    return items


def batch(item_batcher: ItemBatcher, source: Source, inputs: list[Json]) -> list[Json]:
    """The child inputs: the items' inputs (after ItemSelector) in batches."""
    max_items, max_bytes, batch_input = batch_settings(item_batcher, source)
    return list(batcher.batches(inputs, max_items, max_bytes, batch_input))


@dataclass
class ChildLog:
    """What ResultWriter reports about each child: filled in as children start and end."""

    map_run_arn: str
    express: bool
    started: dict[int, tuple[Json, float]] = field(default_factory=dict)
    ended: dict[int, writer.ChildResult] = field(default_factory=dict)

    def start(self, index: int, child_input: Json, now: float) -> None:
        self.started[index] = (child_input, now)

    def end(self, index: int, now: float, output: Json = None, error: str | None = None,
            cause: str | None = None, status: str = writer.SUCCEEDED, execution_arn: str | None = None) -> None:
        """`execution_arn`: the child execution's (None: its items ran inline, an ARN is made up)."""
        child_input, start = self.started[index]
        if execution_arn is None:
            execution_arn = names.child_execution_arn(self.map_run_arn, str(uuid.uuid4()), self.express)
        name = execution_arn.split(":")[7]
        self.ended[index] = writer.ChildResult(
            execution_arn=execution_arn, name=name,
            state_machine_arn=names.child_machine_arn(self.map_run_arn), status=status, input=child_input,
            output=output, error=error, cause=cause, start_date=iso_time(start), stop_date=iso_time(now))

    def children(self, count: int) -> list[writer.ChildResult]:
        return [self.ended[index] for index in range(count) if index in self.ended]

    def unfinished(self, inputs: list[Json], now: float) -> list[writer.ChildResult]:
        """Every child of a Map Run that failed or was aborted: those that ended as they ended,
        those still running ABORTED (the Map Run stops them), those never started PENDING."""
        machine = names.child_machine_arn(self.map_run_arn)
        children = []
        for index, child_input in enumerate(inputs):
            if index in self.ended:
                children.append(self.ended[index])
            elif index in self.started:
                self.end(index, now, status="ABORTED")
                children.append(self.ended[index])
            else:
                children.append(writer.ChildResult(execution_arn="", name="", state_machine_arn=machine,
                                                   status=writer.PENDING, input=child_input))
        return children


async def result(result_writer: ResultWriter, source: Source, store: StoreFactory, clock: Clock,
                 log: ChildLog, count: int) -> Json:
    """The state's result: the export's manifest location, or the children as WriterConfig shapes them."""
    children = log.children(count)
    if not result_writer.spec.exports:
        return writer.transform(children, result_writer.spec.transformation)
    parameters = writer_parameters(result_writer, source)
    return await call_blocking(clock, lambda: writer.write(store(), parameters, log.map_run_arn, children,
                                                           result_writer.spec))


async def export_unfinished(result_writer: ResultWriter, source: Source, store: StoreFactory, clock: Clock,
                            log: ChildLog, inputs: list[Json]) -> None:
    """A Map Run that failed or was aborted still exports what its children did: FAILED_0.json
    and PENDING_0.json beside SUCCEEDED_0.json, and the manifest (AWS: input-output-resultwriter.html)."""
    if not result_writer.spec.exports:
        return
    children = log.unfinished(inputs, clock.time())
    parameters = writer_parameters(result_writer, source)
    await call_blocking(clock, lambda: writer.write(store(), parameters, log.map_run_arn, children,
                                                    result_writer.spec))
