"""The SQLite store's reads for the web console (asl_engine/api/ui), as a mixin of `SqliteStore`.

Overviews that no AWS action answers in one call: which scopes hold anything, how many
executions of each machine ended how, and the newest executions of a whole scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from . import ExecutionRecord


class ConsoleMixin:
    _read: Callable[[str, Sequence[Any]], Awaitable[list[Any]]]
    flush: Callable[[], Awaitable[None]]
    _execution_columns: str

    async def state_machine_arns_with_data(self) -> list[str]:
        """Every state machine ARN that exists or has recorded executions (deleted machines' too)."""
        rows = await self._read(
            "SELECT arn FROM state_machines UNION SELECT DISTINCT state_machine_arn FROM executions", ()
        )
        return [row[0] for row in rows]

    async def execution_counts(self, state_machine_arns: Sequence[str]) -> dict[str, dict[str, int]]:
        """state machine ARN -> status -> number of its executions."""
        if not state_machine_arns:
            return {}
        marks = ", ".join("?" for _ in state_machine_arns)
        rows = await self._read(
            f"SELECT state_machine_arn, status, COUNT(*) FROM executions "
            f"WHERE state_machine_arn IN ({marks}) GROUP BY state_machine_arn, status",
            tuple(state_machine_arns),
        )
        counts: dict[str, dict[str, int]] = {}
        for arn, status, count in rows:
            counts.setdefault(arn, {})[status] = count
        return counts

    async def recent_executions(self, arn_prefix: str, status: str | None, limit: int) -> list[ExecutionRecord]:
        """The newest executions whose ARN starts with `arn_prefix` (a scope's), optionally of one status."""
        sql = f"SELECT {self._execution_columns} FROM executions WHERE substr(arn, 1, ?) = ?"
        params: list[Any] = [len(arn_prefix), arn_prefix]
        if status:
            sql += " AND status = ?"
            params.append(status)
        rows = await self._read(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [ExecutionRecord(*row) for row in rows]
