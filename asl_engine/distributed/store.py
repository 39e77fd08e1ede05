"""The three S3 calls a Distributed Map makes (getObject, listObjectsV2, putObject), behind a
protocol so the readers and the writer can be tested without a network and run against any
S3-speaking endpoint (moto, LocalStack, MinIO, AWS) through boto3.

Calls block: the runtime runs them off the event loop (tasks.aws.call_blocking).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Protocol

from ..tasks.aws import error_parts


@dataclass(frozen=True)
class ObjectEntry:
    """One object of a listing, with the fields AWS passes to a child (ItemReader, listObjectsV2)."""

    key: str
    etag: str
    last_modified: int  # seconds since the epoch, as AWS writes it in the item
    size: int
    storage_class: str


class StoreFailure(Exception):
    """An S3 call failed; str() is the cause as the Java SDK v2 words it:
    "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: ...)"."""


class ObjectStore(Protocol):
    def get(self, bucket: str, key: str, version_id: str | None = None) -> bytes: ...

    def list(self, bucket: str, prefix: str) -> Iterator[ObjectEntry]: ...

    def put(self, bucket: str, key: str, body: bytes) -> None: ...


class Boto3Store:
    """An ObjectStore over a boto3 S3 client (tasks.aws.Clients makes it at the S3 endpoint)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        extra = {"VersionId": version_id} if version_id else {}
        with _failures():
            body: bytes = self.client.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        return body

    def list(self, bucket: str, prefix: str) -> Iterator[ObjectEntry]:
        with _failures():
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for entry in page.get("Contents", ()):
                    yield ObjectEntry(
                        key=entry["Key"], etag=entry.get("ETag", ""),
                        last_modified=int(entry["LastModified"].timestamp()),
                        size=int(entry.get("Size", 0)), storage_class=entry.get("StorageClass", "STANDARD"),
                    )

    def put(self, bucket: str, key: str, body: bytes) -> None:
        with _failures():
            self.client.put_object(Bucket=bucket, Key=key, Body=body)


@contextmanager
def _failures() -> Iterator[None]:
    """Turns botocore's errors into StoreFailure with the SDK v2 wording AWS's causes use."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code, message, status, request_id = error_parts(exc)
        raise StoreFailure(f"{message or code} (Service: S3, Status Code: {status}, "
                           f"Request ID: {request_id})") from None
    except BotoCoreError as exc:
        raise StoreFailure(f"Unable to execute HTTP request: {exc}") from None
