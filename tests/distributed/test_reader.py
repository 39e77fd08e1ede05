"""ItemReader against moto's S3 server: every InputType, listObjectsV2, MaxItems, AWS's errors.

Behaviour from AWS's developer guide, "ItemReader (Map)":
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from asl_engine.distributed.reader import GET_OBJECT, LIST_OBJECTS, max_items, read_items, reader_spec
from asl_engine.distributed.s3 import Boto3Store
from asl_engine.errors import DefinitionError, StatesError


def _read(store: Boto3Store, reader: dict[str, Any], parameters: dict[str, Any], limit: int | None = None) -> Any:
    return read_items(store, reader_spec(reader, "/States/Map/ItemReader"), parameters, limit)


def _get(input_type: str, **config: Any) -> dict[str, Any]:
    return {"Resource": GET_OBJECT, "ReaderConfig": {"InputType": input_type, **config}}


def test_json_array(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="data.json", Body=json.dumps([{"a": 1}, "two", 3]))
    assert _read(store, _get("JSON"), {"Bucket": bucket, "Key": "data.json"}) == [{"a": 1}, "two", 3]


def test_json_that_is_not_an_array_fails_as_on_aws(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="data.json", Body=json.dumps({"a": 1}))
    with pytest.raises(StatesError) as failure:
        _read(store, _get("JSON"), {"Bucket": bucket, "Key": "data.json"})
    assert (failure.value.error, failure.value.cause) == ("States.ItemReaderFailed",
                                                          "Attempting to map over non-iterable node.")


def test_jsonl(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="data.jsonl", Body=b'{"a": 1}\n[2]\n\n"three"\n')
    assert _read(store, _get("JSONL"), {"Bucket": bucket, "Key": "data.jsonl"}) == [{"a": 1}, [2], "three"]


def test_csv_first_row_values_are_strings(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="r.csv", Body=b'id,name,score\n1,"Doe, Jane",9.5\n2,Bob\n')
    items = _read(store, _get("CSV", CSVHeaderLocation="FIRST_ROW"), {"Bucket": bucket, "Key": "r.csv"})
    assert items == [{"id": "1", "name": "Doe, Jane", "score": "9.5"}, {"id": "2", "name": "Bob", "score": ""}]


def test_csv_given_headers_read_the_first_row_as_data(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="r.csv", Body=b"1,a\n2,b\n")
    reader = _get("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["n", "letter"])
    assert _read(store, reader, {"Bucket": bucket, "Key": "r.csv"}) == [{"n": "1", "letter": "a"},
                                                                        {"n": "2", "letter": "b"}]


@pytest.mark.parametrize("name, char", [("COMMA", ","), ("PIPE", "|"), ("SEMICOLON", ";"),
                                        ("SPACE", " "), ("TAB", "\t")])
def test_csv_delimiters(s3: Any, bucket: str, store: Boto3Store, name: str, char: str) -> None:
    s3.put_object(Bucket=bucket, Key="r.csv", Body=f"x{char}y\n1{char}2\n".encode())
    items = _read(store, _get("CSV", CSVDelimiter=name), {"Bucket": bucket, "Key": "r.csv"})
    assert items == [{"x": "1", "y": "2"}]


def test_csv_duplicate_headers_fail(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="r.csv", Body=b"a,a\n1,2\n")
    with pytest.raises(StatesError) as failure:
        _read(store, _get("CSV"), {"Bucket": bucket, "Key": "r.csv"})
    assert failure.value.cause == "CSV headers cannot contain duplicates."


def test_manifest_reads_the_inventory_data_files(s3: Any, bucket: str, store: Boto3Store) -> None:
    """An S3 Inventory report: manifest.json names gzip CSV files in its destination bucket."""
    s3.put_object(Bucket=bucket, Key="inv/data/a.csv.gz",
                  Body=gzip.compress(b'"src","photos/1.jpg","100"\n"src","photos/2.jpg","200"\n'))
    s3.put_object(Bucket=bucket, Key="inv/data/b.csv.gz", Body=gzip.compress(b'"src","photos/3.jpg","300"\n'))
    manifest = {"sourceBucket": "src", "destinationBucket": f"arn:aws:s3:::{bucket}", "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size",
                "files": [{"key": "inv/data/a.csv.gz", "size": 1}, {"key": "inv/data/b.csv.gz", "size": 1}]}
    s3.put_object(Bucket=bucket, Key="inv/manifest.json", Body=json.dumps(manifest))
    items = _read(store, _get("MANIFEST"), {"Bucket": bucket, "Key": "inv/manifest.json"})
    assert [item["Key"] for item in items] == ["photos/1.jpg", "photos/2.jpg", "photos/3.jpg"]
    assert items[0] == {"Bucket": "src", "Key": "photos/1.jpg", "Size": "100"}


def test_list_objects_v2_items_carry_aws_fields(s3: Any, bucket: str, store: Boto3Store) -> None:
    for key in ("in/a.txt", "in/b.txt", "out/c.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"hello")
    items = _read(store, {"Resource": LIST_OBJECTS}, {"Bucket": bucket, "Prefix": "in/"})
    assert [item["Key"] for item in items] == ["in/a.txt", "in/b.txt"]
    first = items[0]
    assert sorted(first) == ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    assert first["Size"] == 5 and first["StorageClass"] == "STANDARD"
    assert isinstance(first["LastModified"], int) and first["Etag"].startswith('"')


def test_max_items_limits_the_items(s3: Any, bucket: str, store: Boto3Store) -> None:
    s3.put_object(Bucket=bucket, Key="r.csv", Body=b"n\n1\n2\n3\n")
    assert _read(store, _get("CSV"), {"Bucket": bucket, "Key": "r.csv"}, max_items(2)) == [{"n": "1"}, {"n": "2"}]


def test_max_items_values() -> None:
    assert max_items(None) is None and max_items(0) is None and max_items("7") == 7
    with pytest.raises(StatesError) as failure:
        max_items(-1)
    assert (failure.value.error, failure.value.cause) == ("States.ItemReaderFailed", "field MaxItems must be positive")


def test_missing_object_fails_with_the_s3_cause(bucket: str, store: Boto3Store) -> None:
    with pytest.raises(StatesError) as failure:
        _read(store, _get("JSON"), {"Bucket": bucket, "Key": "nothing.json"})
    assert failure.value.error == "States.ItemReaderFailed"
    assert failure.value.cause is not None and "(Service: S3, Status Code: 404, Request ID:" in failure.value.cause


@pytest.mark.parametrize("reader, where", [
    (_get("PARQUET"), "/ReaderConfig/InputType"),
    ({"Resource": GET_OBJECT, "ReaderConfig": {"InputType": "MANIFEST", "ManifestType": "ATHENA_DATA"}},
     "/ReaderConfig/ManifestType"),
    ({"Resource": "arn:aws:states:::s3:getObjectAttributes"}, "/Resource"),
    ({"Resource": GET_OBJECT}, "/ReaderConfig/InputType"),
])
def test_what_cannot_be_read_is_refused_at_creation(reader: dict[str, Any], where: str) -> None:
    with pytest.raises(DefinitionError) as refusal:
        reader_spec(reader, "/States/Map/ItemReader")
    assert refusal.value.code == "UNSUPPORTED_FEATURE"
    assert refusal.value.location == "/States/Map/ItemReader" + where


def test_csv_quotes_and_backslashes_as_aws_parses_them(s3: Any, bucket: str, store: Boto3Store) -> None:
    """https://docs.aws.amazon.com/step-functions/latest/dg/example-csv-parse-dist-map.html: quoted
    fields hold delimiters and newlines; "You can preserve double quotes by repeating them" (the
    guide's own row has `{""MyKey"":""MyValue""}` unquoted); backslashes escape a backslash, a
    double quote or the delimiter, and "A backslash followed by any other character is silently
    removed"."""
    body = ('abc,123,"This string contains commas, a double quotation marks (""), and a newline (\n)",'
            '{""MyKey"":""MyValue""},"[1,2,3]"\n'
            'C:\\\\Program Files\\\\MyApp.exe,a\\,b,\\"q\\",\\x,\n')
    s3.put_object(Bucket=bucket, Key="r.csv", Body=body.encode())
    reader = _get("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["A", "B", "C", "D", "E"])
    assert _read(store, reader, {"Bucket": bucket, "Key": "r.csv"}) == [
        {"A": "abc", "B": "123", "C": 'This string contains commas, a double quotation marks ("), and a newline (\n)',
         "D": '{"MyKey":"MyValue"}', "E": "[1,2,3]"},
        {"A": "C:\\Program Files\\MyApp.exe", "B": "a,b", "C": '"q"', "D": "x", "E": ""}]


@pytest.mark.parametrize("body, cause", [
    (b'n,m\n1,"x\n3,4\n', "never closed"),
    (b",".join(b"h%d" % i for i in range(3000)) + b"\n1\n", "10 KiB"),
])
def test_csv_an_open_quote_or_a_long_header_fails(s3: Any, bucket: str, store: Boto3Store, body: bytes,
                                                 cause: str) -> None:
    """A quote never closed would swallow the rest of the file into one field; "CSV headers of up
    to 10 KiB" are read (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html)."""
    s3.put_object(Bucket=bucket, Key="r.csv", Body=body)
    with pytest.raises(StatesError) as failure:
        _read(store, _get("CSV"), {"Bucket": bucket, "Key": "r.csv"})
    assert failure.value.error == "States.ItemReaderFailed" and cause in (failure.value.cause or "")
