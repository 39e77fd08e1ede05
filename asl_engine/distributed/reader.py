"""ItemReader: a Distributed Map's items read from S3 instead of the state's input.

AWS developer guide, "ItemReader (Map)"
(https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html):
- `arn:aws:states:::s3:listObjectsV2` (Bucket, Prefix): one item per object,
  `{"Etag", "Key", "LastModified" (epoch seconds), "Size", "StorageClass"}`;
- `arn:aws:states:::s3:getObject` (Bucket, Key, VersionId) with `ReaderConfig.InputType`:
  JSON (an array), JSONL (one value a line), CSV (one
  object a row, every value a string, parsed by AWS's rules (csv_text.py); `CSVHeaderLocation`
  FIRST_ROW (a header row of at most 10 KiB) or GIVEN with `CSVHeaders`;
  `CSVDelimiter` COMMA, PIPE, SEMICOLON, SPACE or TAB), MANIFEST (an S3 Inventory manifest.json:
  one item a row of its CSV data files, named by its `fileSchema`);
- `MaxItems`/`MaxItemsPath`: read at most that many (0 = no limit; at most 100,000,000).

PARQUET is refused when the state machine is created: reading it needs a Parquet library
(pyarrow, tens of megabytes) that asl-engine does not depend on. Athena manifests (ManifestType
ATHENA_DATA) and listObjectsV2's `Transformation` are refused the same way, until implemented.

Failures are `States.ItemReaderFailed`; causes recorded from AWS (through LocalStack's snapshot
tests) are used verbatim where known: "Attempting to map over non-iterable node.", "CSV headers
cannot contain duplicates.", "field MaxItems must be positive".
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..errors import ITEM_READER_FAILED, DefinitionError, StatesError
from ..json_read import JsonRejected, parse_json
from . import csv_text
from .store import ObjectEntry, ObjectStore, StoreFailure

Json = Any

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
MAX_ITEMS_LIMIT = 100_000_000
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
INPUT_TYPES = ("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET")
UNSUPPORTED = "UNSUPPORTED_FEATURE"


@dataclass(frozen=True)
class ReaderSpec:
    """The static part of an ItemReader (its Parameters/Arguments are the engine's to evaluate)."""

    resource: str
    input_type: str | None = None
    csv_header_location: str = "FIRST_ROW"
    csv_headers: tuple[str, ...] = ()
    csv_delimiter: str = ","


def reader_spec(item_reader: dict[str, Any], location: str) -> ReaderSpec:
    """The ReaderSpec of a definition's ItemReader, or DefinitionError for what asl-engine cannot
    read (said so, never read as something else). `location` points at the ItemReader field."""
    resource = item_reader.get("Resource")
    config = item_reader.get("ReaderConfig") or {}
    input_type = config.get("InputType")
    if resource not in (GET_OBJECT, LIST_OBJECTS):
        raise DefinitionError(UNSUPPORTED, f"asl-engine reads items only with {GET_OBJECT} and "
                                           f"{LIST_OBJECTS}, not '{resource}'", f"{location}/Resource")
    where = f"{location}/ReaderConfig"
    if input_type == "PARQUET":
        raise DefinitionError(UNSUPPORTED, "asl-engine does not read PARQUET item sources: that needs a Parquet "
                                           "library it does not depend on", f"{where}/InputType")
    for refused, why in (("ManifestType", "Athena manifests"), ("Transformation", "listObjectsV2 transformations")):
        if refused in config and not (refused == "ManifestType" and config[refused] == "S3_INVENTORY"):
            raise DefinitionError(UNSUPPORTED, f"asl-engine does not support the field '{refused}' ({why}) yet",
                                  f"{where}/{refused}")
    if resource == GET_OBJECT and input_type not in INPUT_TYPES:
        raise DefinitionError(UNSUPPORTED, f"an ItemReader with {GET_OBJECT} needs ReaderConfig.InputType, one of "
                                           f"{', '.join(INPUT_TYPES[:-1])}", f"{where}/InputType")
    delimiter = config.get("CSVDelimiter", "COMMA")
    if delimiter not in DELIMITERS:
        raise DefinitionError(UNSUPPORTED, f"CSVDelimiter must be one of {', '.join(DELIMITERS)}",
                              f"{where}/CSVDelimiter")
    return ReaderSpec(
        resource=resource,
        input_type=input_type if resource == GET_OBJECT else None,
        csv_header_location=config.get("CSVHeaderLocation", "FIRST_ROW"),
        csv_headers=tuple(config.get("CSVHeaders") or ()),
        csv_delimiter=DELIMITERS[delimiter],
    )


def failure(cause: str) -> StatesError:
    return StatesError(ITEM_READER_FAILED, cause)


def max_items(value: Json) -> int | None:
    """MaxItems(Path)'s value as a limit (None: every item), or ItemReaderFailed as AWS words it."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise failure(f"The MaxItems field refers to value '{value}' which is not a valid integer")
    if value < 0:
        raise failure("field MaxItems must be positive")
    return int(value) if 0 < value < MAX_ITEMS_LIMIT else None


def read_items(store: ObjectStore, spec: ReaderSpec, parameters: Json, limit: int | None) -> list[Json]:
    """The items an ItemReader yields, at most `limit` of them. Blocks (S3 calls)."""
    if not isinstance(parameters, dict) or not isinstance(parameters.get("Bucket"), str):
        raise failure("The ItemReader's Parameters must name a Bucket")
    bucket = parameters["Bucket"]
    try:
        if spec.resource == LIST_OBJECTS:
            items: Iterable[Json] = map(object_item, store.list(bucket, str(parameters.get("Prefix") or "")))
        else:
            key = parameters.get("Key")
            if not isinstance(key, str):
                raise failure("The ItemReader's Parameters must name a Key")
            items = parse_object(store, spec, store.get(bucket, key, parameters.get("VersionId")))
        return _first(items, limit)
    except StoreFailure as exc:
        raise failure(str(exc)) from None


def object_item(entry: ObjectEntry) -> Json:
    return {"Etag": entry.etag, "Key": entry.key, "LastModified": entry.last_modified,
            "Size": entry.size, "StorageClass": entry.storage_class}


def parse_object(store: ObjectStore, spec: ReaderSpec, body: bytes) -> Iterable[Json]:
    """The items in an object's content, by InputType."""
    text = _text(body)
    if spec.input_type == "JSON":
        return json_items(text)
    if spec.input_type == "JSONL":
        return jsonl_items(text)
    if spec.input_type == "CSV":
        return csv_items(text, spec)
    return manifest_items(store, text)


def json_items(text: str) -> list[Json]:
    value = _json(text)
    if not isinstance(value, list):
        raise failure("Attempting to map over non-iterable node.")
    return value


def jsonl_items(text: str) -> Iterator[Json]:
    for line in text.splitlines():
        if line.strip():
            yield _json(line)


def csv_items(text: str, spec: ReaderSpec) -> Iterator[Json]:
    """One object a record, as AWS parses CSV (csv_text.py); a row short of fields gets empty
    strings, extra fields are dropped."""
    try:
        rows = csv_text.records(text, spec.csv_delimiter)
        if spec.csv_header_location == "GIVEN":
            headers = list(spec.csv_headers)
        else:
            headers = csv_text.header_size_checked(next(rows, []), spec.csv_delimiter)
        if len(set(headers)) < len(headers):
            raise failure("CSV headers cannot contain duplicates.")
        for row in rows:
            yield {header: row[index] if index < len(row) else "" for index, header in enumerate(headers)}
    except csv_text.CsvRejected as refused:
        raise failure(str(refused)) from None


def manifest_items(store: ObjectStore, text: str) -> Iterator[Json]:
    """Rows of an S3 Inventory report: manifest.json names CSV data files (gzip) in its
    destination bucket and their columns (`fileSchema`); each row becomes one item."""
    manifest = _json(text)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise failure("The manifest file is not an S3 Inventory manifest.json")
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise failure(f"S3 Inventory reports in {manifest.get('fileFormat')} format are not supported; use CSV")
    columns = [name.strip() for name in str(manifest.get("fileSchema", "")).split(",")]
    bucket = str(manifest.get("destinationBucket", "")).rsplit(":", 1)[-1]
    for entry in manifest["files"]:
        data = store.get(bucket, str(entry.get("key")))
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        for row in csv.reader(io.StringIO(_text(data))):
            if row:
                yield dict(zip(columns, row))


def _first(items: Iterable[Json], limit: int | None) -> list[Json]:
    if limit is None:
        return list(items)
    taken: list[Json] = []
    for item in items:
        if len(taken) == limit:
            break
        taken.append(item)
    return taken


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise failure("The item source is not UTF-8 text") from None


def _json(text: str) -> Json:
    try:
        return parse_json(text)
    except JsonRejected as exc:
        raise failure(f"The item source is not valid JSON: {exc}") from None
