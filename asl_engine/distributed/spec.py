"""A Distributed Map's ItemReader, ItemBatcher and ResultWriter as compile.py leaves them on
`MapState`: the static settings checked, the dynamic parts (Parameters/Arguments, the numbers
that may be paths or JSONata) compiled for the engine to evaluate per run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .reader import ReaderSpec
from .writer import WriterSpec


@dataclass(frozen=True, slots=True)
class ItemReader:
    spec: ReaderSpec
    parameters: Any  # Parameters (JSONPath template) or Arguments (JSONata), compiled
    max_items: Any  # a number, a Path (MaxItemsPath) or a JSONata expression; None: every item


@dataclass(frozen=True, slots=True)
class ItemBatcher:
    max_items: Any  # MaxItemsPerBatch(Path): number, Path or JSONata; None: no count limit
    max_bytes: Any  # MaxInputBytesPerBatch(Path), likewise
    batch_input: Any  # BatchInput: JSONPath template or JSONata value; None: absent


@dataclass(frozen=True, slots=True)
class ResultWriter:
    spec: WriterSpec
    parameters: Any  # Parameters/Arguments (Bucket, Prefix) compiled; None: nothing exported
