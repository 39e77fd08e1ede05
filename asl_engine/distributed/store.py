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


class MemoryStore:
    """An ObjectStore in memory: S3 for runs with no S3 endpoint that must still export results
    (the conformance corpus replays AWS's recordings without S3)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def get(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        if (bucket, key) not in self.objects:
            raise StoreFailure("The specified key does not exist. (Service: S3, Status Code: 404, Request ID: null)")
        return self.objects[bucket, key]

    def list(self, bucket: str, prefix: str) -> Iterator[ObjectEntry]:
        for (owner, key), body in sorted(self.objects.items()):
            if owner == bucket and key.startswith(prefix):
                yield ObjectEntry(key, f'"{hash(body) & 0xFFFFFFFF:08x}"', 0, len(body), "STANDARD")

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.objects[bucket, key] = body
