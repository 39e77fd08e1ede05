"""`ObjectStore` over a boto3 S3 client, at the S3 endpoint the task configuration names
(S3_ENDPOINT or AWS_ENDPOINT_URL: tasks.aws.Clients)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from ..tasks.aws import error_parts
from .store import ObjectEntry, StoreFailure


class Boto3Store:
    """An ObjectStore over a boto3 S3 client."""

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
