"""The SQLite store's versions and aliases, as a mixin of `SqliteStore` (kept apart for size).

A deleted version keeps its row, marked deleted, so that its number is never published again
(AWS: "Version numbers aren't reused for a given state machine").
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..json_text import to_json
from . import AliasRecord, VersionRecord

_VERSION_COLUMNS = (
    "state_machine_arn, version, revision_id, description, creation_date, "
    "logging_configuration, tracing_configuration"
)
_ALIAS_COLUMNS = (
    "arn, state_machine_arn, name, description, routing_configuration, creation_date, update_date"
)


class VersionsMixin:
    _write: Callable[[list[tuple[str, Sequence[Any], bool]]], Awaitable[None]]
    _read: Callable[[str, Sequence[Any]], Awaitable[list[Any]]]

    @staticmethod
    def _delete_versions_and_aliases(arn: str) -> list[tuple[str, Sequence[Any], bool]]:
        """The statements that go with deleting a state machine."""
        return [
            ("DELETE FROM state_machine_versions WHERE state_machine_arn = ?", (arn,), False),
            ("DELETE FROM state_machine_aliases WHERE state_machine_arn = ?", (arn,), False),
        ]

    async def put_version(self, record: VersionRecord) -> None:
        row = (
            record.state_machine_arn, record.version, record.revision_id or "", record.description,
            record.creation_date, to_json(record.logging_configuration),
            to_json(record.tracing_configuration),
        )
        await self._write([
            (f"INSERT INTO state_machine_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
             row, False)
        ])

    async def last_version_number(self, state_machine_arn: str) -> int:
        rows = await self._read(
            "SELECT MAX(version) FROM state_machine_versions WHERE state_machine_arn = ?",
            (state_machine_arn,),
        )
        return int(rows[0][0] or 0) if rows else 0

    async def get_version(self, state_machine_arn: str, version: int) -> VersionRecord | None:
        rows = await self._read(
            f"SELECT {_VERSION_COLUMNS} FROM state_machine_versions "
            "WHERE state_machine_arn = ? AND version = ? AND deleted = 0",
            (state_machine_arn, version),
        )
        return _version(rows[0]) if rows else None

    async def list_versions(
        self, state_machine_arn: str, before: int | None, limit: int
    ) -> list[VersionRecord]:
        rows = await self._read(
            f"SELECT {_VERSION_COLUMNS} FROM state_machine_versions "
            "WHERE state_machine_arn = ? AND deleted = 0 AND version < ? ORDER BY version DESC LIMIT ?",
            (state_machine_arn, before if before is not None else 2**62, limit),
        )
        return [_version(row) for row in rows]

    async def delete_version(self, state_machine_arn: str, version: int) -> None:
        await self._write([(
            "UPDATE state_machine_versions SET deleted = 1 WHERE state_machine_arn = ? AND version = ?",
            (state_machine_arn, version), False,
        )])

    async def put_alias(self, record: AliasRecord) -> None:
        row = (
            record.arn, record.state_machine_arn, record.name, record.description,
            to_json(record.routing_configuration), record.creation_date, record.update_date,
        )
        await self._write([
            (f"INSERT OR REPLACE INTO state_machine_aliases ({_ALIAS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
             row, False)
        ])

    async def get_alias(self, arn: str) -> AliasRecord | None:
        rows = await self._read(f"SELECT {_ALIAS_COLUMNS} FROM state_machine_aliases WHERE arn = ?", (arn,))
        return _alias(rows[0]) if rows else None

    async def delete_alias(self, arn: str) -> None:
        await self._write([("DELETE FROM state_machine_aliases WHERE arn = ?", (arn,), False)])

    async def list_aliases(self, state_machine_arn: str) -> list[AliasRecord]:
        rows = await self._read(
            f"SELECT {_ALIAS_COLUMNS} FROM state_machine_aliases WHERE state_machine_arn = ? "
            "ORDER BY creation_date DESC, rowid DESC",
            (state_machine_arn,),
        )
        return [_alias(row) for row in rows]


def _version(row: Sequence[Any]) -> VersionRecord:
    machine, version, revision_id, description, creation_date, logging, tracing = row
    return VersionRecord(machine, int(version), revision_id or None, description, creation_date,
                         json.loads(logging), json.loads(tracing))


def _alias(row: Sequence[Any]) -> AliasRecord:
    arn, machine, name, description, routing, creation_date, update_date = row
    return AliasRecord(arn, machine, name, description, json.loads(routing), creation_date, update_date)
