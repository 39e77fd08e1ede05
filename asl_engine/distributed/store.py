"""The three S3 calls a Distributed Map makes (getObject, listObjectsV2, putObject), behind a
protocol so the readers and the writer stay pure and can be tested without a network; `s3.py`
backs it with boto3 at any S3-speaking endpoint (moto, LocalStack, MinIO, AWS).

Calls block: the runtime runs them off the event loop (tasks.aws.call_blocking).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol


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
