"""The SQLite store's Map Runs, as a mixin of `SqliteStore` (kept apart for size).

A map run is saved through the write queue without waiting, as history events are: the runner
reports it from synchronous code. Reads flush the queue first, so they see every save before them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from . import MapRunRecord

_COLUMNS = (
    "arn, execution_arn, state_machine_arn, status, start_date, stop_date, max_concurrency, "
    "tolerated_failure_percentage, tolerated_failure_count, item_counts, redrive_count"
)


class MapRunsMixin:
    _enqueue: Callable[[list[tuple[str, Sequence[Any], bool]], str | None, int], None]
    _write: Callable[[list[tuple[str, Sequence[Any], bool]]], Awaitable[None]]
    _read: Callable[[str, Sequence[Any]], Awaitable[list[Any]]]
    flush: Callable[[], Awaitable[None]]

    def save_map_run(self, record: MapRunRecord, items: str | None = None) -> None:
        row = (
            record.arn, record.execution_arn, record.state_machine_arn, record.status, record.start_date,
            record.stop_date, record.max_concurrency, record.tolerated_failure_percentage,
            record.tolerated_failure_count, json.dumps(record.item_counts, separators=(",", ":")),
            record.redrive_count, items,
        )
        sql = (  # the items are the first start's: never updated
            f"INSERT INTO map_runs ({_COLUMNS}, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (arn) DO UPDATE SET status = excluded.status, stop_date = excluded.stop_date, "
            "item_counts = excluded.item_counts"
        )
        self._enqueue([(sql, row, False)], record.execution_arn, len(items or ""))  # items weigh on the backlog

    async def update_map_run(self, arn: str, max_concurrency: int | None,
                             tolerated_failure_percentage: float | None,
                             tolerated_failure_count: int | None) -> None:
        sql = (
            "UPDATE map_runs SET max_concurrency = COALESCE(?, max_concurrency), "
            "tolerated_failure_percentage = COALESCE(?, tolerated_failure_percentage), "
            "tolerated_failure_count = COALESCE(?, tolerated_failure_count) WHERE arn = ?"
        )
        await self._write([(sql, (max_concurrency, tolerated_failure_percentage, tolerated_failure_count, arn),
                            False)])

    async def get_map_run(self, arn: str) -> MapRunRecord | None:
        await self.flush()
        rows = await self._read(f"SELECT {_COLUMNS} FROM map_runs WHERE arn = ?", (arn,))
        return _map_run(rows[0]) if rows else None

    async def map_run_items(self, arn: str) -> str | None:
        await self.flush()
        rows = await self._read("SELECT items FROM map_runs WHERE arn = ?", (arn,))
        return rows[0][0] if rows else None

    async def list_map_runs(self, execution_arn: str, before: int | None, limit: int
                            ) -> tuple[list[MapRunRecord], int | None]:
        await self.flush()
        rows = await self._read(
            f"SELECT rowid, {_COLUMNS} FROM map_runs WHERE execution_arn = ? AND rowid < ? "
            "ORDER BY rowid DESC LIMIT ?",
            (execution_arn, before if before is not None else 2**62, limit + 1),
        )
        page = rows[:limit]
        cursor = page[-1][0] if len(rows) > limit else None
        return [_map_run(row[1:]) for row in page], cursor


def _map_run(row: Sequence[Any]) -> MapRunRecord:
    (arn, execution_arn, machine_arn, status, start_date, stop_date, max_concurrency, percentage,
     count, item_counts, redrive_count) = row
    return MapRunRecord(arn, execution_arn, machine_arn, status, start_date, stop_date, int(max_concurrency),
                        float(percentage), int(count), json.loads(item_counts), int(redrive_count))
