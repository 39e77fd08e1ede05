"""The per-run values of a Distributed Map's ItemReader, ItemBatcher and ResultWriter: their
Parameters/Arguments and their numbers, evaluated against the state's input the way every other
field of the state is (JSONPath templates and paths, or JSONata with `$states`). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.step import Context
from ..model import DataFlow
from . import batcher, reader
from .spec import ItemBatcher, ItemReader, ResultWriter

Json = Any


@dataclass(frozen=True)
class Source:
    """What the fields are evaluated against: the state's input (after InputPath in JSONPath),
    the context object and the variables in scope."""

    value: Json
    context: Json
    variables: dict[str, Json] | None
    flow: DataFlow  # the state's (engine/step.py): JSONPath templates and paths, or JSONata

    def template(self, compiled: Any) -> Json:
        if compiled is None:
            return None
        return self.flow.template(compiled, self.value, Context(self.context, self.variables))

    def number(self, compiled: Any, field: str) -> Json:
        """A number field: a literal, a `...Path` (the value it names) or a JSONata expression."""
        return self.flow.number(compiled, field, self.value, Context(self.context, self.variables))


def reader_parameters(item_reader: ItemReader, source: Source) -> tuple[Json, int | None]:
    """(Parameters/Arguments, item limit) of an ItemReader for this run."""
    return (source.template(item_reader.parameters),
            reader.max_items(source.number(item_reader.max_items, "MaxItems")))


def batch_settings(item_batcher: ItemBatcher, source: Source) -> tuple[int | None, int | None, Json]:
    """(items per batch, bytes per batch, BatchInput) for this run."""
    return (batcher.limit(source.number(item_batcher.max_items, "MaxItemsPerBatch"), "MaxItemsPerBatch"),
            batcher.limit(source.number(item_batcher.max_bytes, "MaxInputBytesPerBatch"), "MaxInputBytesPerBatch"),
            source.template(item_batcher.batch_input))


def writer_parameters(result_writer: ResultWriter, source: Source) -> Json:
    return source.template(result_writer.parameters)
