"""Map Runs: the resource behind a Distributed Map state (DescribeMapRun, ListMapRuns, UpdateMapRun).

The runner reports each map run to `MapRuns` (the `MapRunObserver` of asl_engine/runtime/ports.py):
its start, each item's progress, its end. A map run's row is saved when it starts and when it
ends (queued, never awaited: the runner does not wait); while it runs, its item counts live in
memory here, and DescribeMapRun shows them. Each item is one child execution, unless an
ItemBatcher groups them: then `itemCounts` counts items and `executionCounts` the children (kept
in the same counts under `executions.<count>`, so the stored row needs no column of its own;
api/actions/map_runs.py splits them). UpdateMapRun stores the new settings and DescribeMapRun
returns them; a map still running takes them at once (its runner watches them, `map_run_watch`):
the concurrency of the children still to start and the tolerated failures, as AWS's UpdateMapRun
does (https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateMapRun.html).

A redriven Map Run (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html)
counts the items of the children it is to redrive as `pendingRedrive` until they run again (by the
status they had ended with, so that a Map Run ending before they ran, which "resets" the count
to 0, gives them back to it), and those of the children it cannot redrive as
`failuresNotRedrivable` (API_MapRunItemCounts, API_MapRunExecutionCounts); both are 0 otherwise,
as AWS returns them. The items its ItemReader read are kept with its row (`map_run_items`): a
redriven Map Run "uses the same input provided in the original execution attempt".
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from .. import arns
from ..arns import AccountRegion
from ..clock import Clock
from ..aws_errors import InvalidArn, ResourceNotFound, ValidationException
from ..runtime.ports import NOT_REDRIVABLE, RERUN, EndedChild
from ..store import MapRunRecord, MapRunStore

log = logging.getLogger("asl_engine.map_runs")
T = TypeVar("T")
COUNTS = ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total", "resultsWritten")
EXECUTIONS = "executions."  # the prefix of executionCounts when they differ from itemCounts
REDRIVEN = ("failed", "timedOut", "aborted")  # how the children a Map Run redrives had ended
PENDING_REDRIVE = "pendingRedrive."  # + one of REDRIVEN: the items pending redrive that had ended so
NOT_REDRIVABLE_COUNT = "failuresNotRedrivable"
_STATUS_KEYS = {"FAILED": "failed", "TIMED_OUT": "timedOut", "ABORTED": "aborted"}
_MOVES = {"running": "pending", "succeeded": "running", "failed": "running", "timedOut": "running",
          "aborted": "running", "pending": "running"}  # pending: a child cancelled before it started


class MapRuns:
    def __init__(self, store: MapRunStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.closing = False  # server shutdown: running maps stay RUNNING, to resume on restart
        self._live: dict[str, MapRunRecord] = {}
        self._watchers: dict[str, Callable[[int, float, int], None]] = {}
        # Several servers on one PostgreSQL database (service/cluster.py): UpdateMapRun of a map
        # running on another server is passed on to it.
        self.remote_update: Callable[[str], Awaitable[None]] | None = None

    # -- MapRunObserver: called by the runner, synchronously --------------------------------------

    def map_run_started(self, execution_arn: str, map_run_arn: str, total: int, max_concurrency: int,
                        tolerated_failure_percentage: float, tolerated_failure_count: int,
                        children: int | None = None, items: list[Any] | None = None,
                        ended: Sequence[tuple[EndedChild, int]] = ()) -> None:
        keys = (*COUNTS, *(PENDING_REDRIVE + key for key in REDRIVEN), NOT_REDRIVABLE_COUNT)
        counts = {key: 0 for key in keys}
        counts.update(pending=total, total=total)
        prefixes: tuple[str, ...] = ("",)
        if children is not None:
            prefixes = ("", EXECUTIONS)
            counts.update({f"{EXECUTIONS}{key}": 0 for key in keys})
            counts.update({f"{EXECUTIONS}pending": children, f"{EXECUTIONS}total": children})
        for child, weight in ended:  # a resumed Map Run: those it redrives wait for it, not for their start
            key = (PENDING_REDRIVE + _STATUS_KEYS[child.status] if child.disposition == RERUN
                   else NOT_REDRIVABLE_COUNT if child.disposition == NOT_REDRIVABLE else None)
            for prefix, amount in zip(prefixes, (weight, 1)):
                if key is not None:
                    counts[prefix + key] += amount
                if child.disposition == RERUN:
                    counts[prefix + "pending"] -= amount
        record = MapRunRecord(
            arn=map_run_arn, execution_arn=execution_arn, state_machine_arn=_map_run_machine(map_run_arn),
            status="RUNNING", start_date=self.clock.time(), stop_date=None, max_concurrency=max_concurrency,
            tolerated_failure_percentage=tolerated_failure_percentage,
            tolerated_failure_count=tolerated_failure_count, item_counts=counts,
        )
        self._live[map_run_arn] = record
        # On a resumed map, the row keeps its start, settings and items.
        self.store.save_map_run(record, None if items is None else json.dumps(items, separators=(",", ":")))

    async def map_run_items(self, map_run_arn: str) -> list[Any] | None:
        text = await self.store.map_run_items(map_run_arn)
        return None if text is None else list(json.loads(text))

    def save_running(self) -> None:
        """Queue the live counts of the map runs running here (several servers: another server's
        DescribeMapRun reads them from the store; service/cluster.py calls this periodically)."""
        if not self.closing:
            for record in self._live.values():
                self.store.save_map_run(record)

    def map_run_watch(self, map_run_arn: str, changed: Callable[[int, float, int], None]) -> None:
        self._watchers[map_run_arn] = changed

    def map_run_item(self, map_run_arn: str, outcome: str, items: int = 1, redriven: str | None = None) -> None:
        record = self._live.get(map_run_arn)
        if record is None or self.closing:
            return
        counts = record.item_counts
        source = _MOVES[outcome]
        if redriven is not None:  # a child pending redrive: it leaves (or returns to) that count
            source = PENDING_REDRIVE + redriven if source == "pending" else source
            outcome = PENDING_REDRIVE + redriven if outcome == "pending" else outcome
        counts[source] = max(counts[source] - items, 0)
        counts[outcome] += items
        if f"{EXECUTIONS}total" in counts:
            counts[f"{EXECUTIONS}{source}"] = max(counts[f"{EXECUTIONS}{source}"] - 1, 0)
            counts[f"{EXECUTIONS}{outcome}"] += 1

    def map_run_written(self, map_run_arn: str, items: int, children: int) -> None:
        record = self._live.get(map_run_arn)
        if record is None or self.closing:
            return
        counts = record.item_counts
        counts["resultsWritten"] += items
        if f"{EXECUTIONS}total" in counts:
            counts[f"{EXECUTIONS}resultsWritten"] += children

    def map_run_ended(self, map_run_arn: str, status: str) -> None:
        if self.closing:
            return
        record = self._live.pop(map_run_arn, None)
        self._watchers.pop(map_run_arn, None)
        if record is None:
            return
        counts = record.item_counts
        for prefix in ("", EXECUTIONS) if f"{EXECUTIONS}total" in counts else ("",):
            # "When a Map Run has completed its execution or is aborted, the count of child
            # workflow executions in the Pending redrive state is reset to 0" (redrive-map-run.html):
            # those it did not redrive keep how they had ended.
            for key in REDRIVEN:
                counts[prefix + key] += counts[prefix + PENDING_REDRIVE + key]
                counts[prefix + PENDING_REDRIVE + key] = 0
        if status != "SUCCEEDED":
            # Each child stopped with its Map Run reported how it ended (aborted, or what it ended
            # with first); one still counted running is aborted. Items whose child never started
            # stay pending: `aborted` counts children "started by a Map Run and were running"
            # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunExecutionCounts.html).
            for prefix in ("", EXECUTIONS) if f"{EXECUTIONS}total" in counts else ("",):
                counts[f"{prefix}aborted"] += counts[f"{prefix}running"]
                counts[f"{prefix}running"] = 0
        self.store.save_map_run(replace(record, status=status, stop_date=self.clock.time()))
        log.info("map run %s %s", status, map_run_arn)

    # -- the API -------------------------------------------------------------------------------

    async def describe(self, scope: AccountRegion, arn: str) -> MapRunRecord:
        """DescribeMapRun: the stored row, with the live item counts while it runs."""
        record = await self._find(scope, arn)
        live = self._live.get(arn)
        if live is not None:
            record = replace(record, item_counts=dict(live.item_counts))
        return record

    async def batched(self, scope: AccountRegion, arn: str) -> bool:
        """Does an ItemBatcher group the Map Run's items (each child's input is a batch)?"""
        return f"{EXECUTIONS}total" in (await self._find(scope, arn)).item_counts

    async def list(self, execution_arn: str, before: int | None, limit: int
                   ) -> tuple[list[MapRunRecord], int | None]:
        """ListMapRuns of an execution the caller has checked (ExecutionDoesNotExist), newest
        first, with the cursor of the next page."""
        return await self.store.list_map_runs(execution_arn, before, limit)

    async def update(self, scope: AccountRegion, arn: str, max_concurrency: int | None,
                     tolerated_failure_percentage: float | None, tolerated_failure_count: int | None) -> None:
        """UpdateMapRun: store the settings given (see the module docstring for running maps).
        Their bounds are the model's (asl_engine/api/model_check.py). Only a Map Run in progress takes them:
        "Updates an in-progress Map Run's configuration" (API_UpdateMapRun), and the model's
        ValidationException reason CANNOT_UPDATE_COMPLETED_MAP_RUN says what a completed one is."""
        record = await self._find(scope, arn)
        if record.status != "RUNNING":
            error = ValidationException(f"Map Run {arn} is {record.status} and cannot be updated: only a Map Run "
                                        "in progress can")
            error.fields["reason"] = "CANNOT_UPDATE_COMPLETED_MAP_RUN"
            raise error
        percentage = None if tolerated_failure_percentage is None else float(tolerated_failure_percentage)
        await self.store.update_map_run(arn, max_concurrency, percentage, tolerated_failure_count)
        if arn not in self._live and self.remote_update is not None:
            await self.remote_update(arn)
        self.take_settings(arn, max_concurrency, percentage, tolerated_failure_count)

    def take_settings(self, arn: str, max_concurrency: int | None, percentage: float | None,
                      tolerated_failure_count: int | None) -> None:
        """The settings UpdateMapRun stored (None keeps one), for a map running here."""
        live = self._live.get(arn)
        if live is not None:  # running: its end saves this record, and its runner takes the settings now
            live = replace(live, max_concurrency=_given(max_concurrency, live.max_concurrency),
                           tolerated_failure_percentage=_given(percentage, live.tolerated_failure_percentage),
                           tolerated_failure_count=_given(tolerated_failure_count, live.tolerated_failure_count))
            self._live[arn] = live
            watcher = self._watchers.get(arn)
            if watcher is not None:
                watcher(live.max_concurrency, live.tolerated_failure_percentage, live.tolerated_failure_count)

    async def _find(self, scope: AccountRegion, arn: str) -> MapRunRecord:
        parsed = arns.parse_arn(arn)
        if parsed.resource_type != "mapRun":
            raise InvalidArn.for_arn(arn)
        record = await self.store.get_map_run(arn) if parsed.scope == scope else None
        if record is None:
            raise ResourceNotFound.for_arn(arn)
        return record


def shown_counts(record: MapRunRecord, prefix: str = "") -> dict[str, int]:
    """DescribeMapRun's itemCounts, or (prefix EXECUTIONS) executionCounts: the items' when each
    item is a child. `failuresNotRedrivable` and `pendingRedrive` are always there, 0 unless a
    redrive made them otherwise, as AWS returns them (API_MapRunItemCounts; a row saved before
    they were counted has none of them)."""
    counts = record.item_counts

    def count(key: str) -> int:
        return counts.get(prefix + key, counts.get(key, 0))

    shown = {key: count(key) for key in COUNTS}
    shown[NOT_REDRIVABLE_COUNT] = count(NOT_REDRIVABLE_COUNT)
    shown["pendingRedrive"] = sum(count(PENDING_REDRIVE + key) for key in REDRIVEN)
    return shown


def _given(value: T | None, kept: T) -> T:
    return kept if value is None else value


def _map_run_machine(map_run_arn: str) -> str:
    """`...:mapRun:<machine>/<label>:<uuid>` -> `...:stateMachine:<machine>/<label>` (AWS's
    ListMapRuns names the map run's own state machine so)."""
    return map_run_arn.rsplit(":", 1)[0].replace(":mapRun:", ":stateMachine:", 1)
