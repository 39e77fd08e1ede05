"""examples/fan-out: an inline Map over 300 items with per-item Retry and Catch, then a summary.

The Map state and its MaxConcurrency are AWS's
(https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html); Retry and a
per-item Catch follow concepts-error-handling
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html), so one bad
item is recorded instead of failing the batch. The handler stands for a sometimes-busy service.
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.testing import Environment, Execution
from example_support import assert_valid, load_example, task_failures

FAN_OUT = load_example("fan-out")
service: Any = FAN_OUT.handlers
COUNT = 300
BUSY_AT_FIRST = [f"item-{i:03d}" for i in range(COUNT) if i % 10 == 3]  # busy on their first attempt


def a_batch(poison: tuple[int, ...] = ()) -> dict[str, Any]:
    items = [{"id": f"item-{i:03d}", "quantity": -1 if i in poison else 1 + i % 5, "unitCents": 250}
             for i in range(COUNT)]
    return {"batchId": "b-1", "items": items}


def peak_open_iterations(execution: Execution) -> int:
    """How many Map iterations the history shows running at once."""
    open_now = peak = 0
    for event in execution.events:
        if event["type"] == "MapIterationStarted":
            open_now += 1
            peak = max(peak, open_now)
        elif event["type"] in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
            open_now -= 1
    return peak


@pytest.fixture
def fan_out(asl: Environment) -> Environment:
    """The fan-out deployed, items priced by the example's service (with empty ledgers)."""
    service.reset()
    FAN_OUT.deploy(asl, "FanOut", "process_item", "summarize")
    return asl


def test_definition_is_valid() -> None:
    assert_valid(FAN_OUT)


def test_every_item_is_processed_once_in_input_order(fan_out: Environment) -> None:
    batch = fan_out.start("FanOut", a_batch()).wait()

    assert batch.status == "SUCCEEDED", batch.cause
    results = batch.output["results"]
    assert [r["id"] for r in results] == [f"item-{i:03d}" for i in range(COUNT)]  # input order
    assert all(r["status"] == "PROCESSED" for r in results)
    assert results[7] == {"id": "item-007", "status": "PROCESSED", "totalCents": 3 * 250}
    assert set(service.SUCCESSES.values()) == {1} and len(service.SUCCESSES) == COUNT

    # The busy items were called twice, every other item once; each retry shows in the history.
    assert sorted(i for i, calls in service.CALLS.items() if calls == 2) == BUSY_AT_FIRST
    assert sum(service.CALLS.values()) == COUNT + len(BUSY_AT_FIRST)
    assert [error for _, error in task_failures(batch)] == ["ItemBusy"] * len(BUSY_AT_FIRST)
    assert batch.path.count("ProcessItems/ProcessItem") == COUNT

    assert batch.output["summary"] == {"batchId": "b-1", "total": COUNT, "processed": COUNT, "failed": [],
                                       "totalCents": sum(250 * (1 + i % 5) for i in range(COUNT))}
    assert 1 < peak_open_iterations(batch) <= 10  # MaxConcurrency
    assert service.peak_concurrency() <= 10


def test_a_bad_item_is_caught_and_reported_not_fatal(fan_out: Environment) -> None:
    batch = fan_out.start("FanOut", a_batch(poison=(41, 250))).wait()

    assert batch.status == "SUCCEEDED", batch.cause
    summary = batch.output["summary"]
    assert (summary["processed"], summary["failed"]) == (COUNT - 2, ["item-041", "item-250"])
    assert batch.output["results"][41] == {"id": "item-041", "status": "FAILED", "error": "InvalidItem"}
    # InvalidItem is not in the Retry's ErrorEquals: one call each, straight to the Catch.
    assert service.CALLS["item-041"] == 1 and service.SUCCESSES["item-041"] == 0
    assert batch.path.count("ProcessItems/RecordItemFailure") == 2
