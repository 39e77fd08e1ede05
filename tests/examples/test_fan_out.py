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

from asl_engine.testing import ExecutionResult
from example_support import assert_valid, load_example, run, states_entered, task_failures

FAN_OUT = load_example("fan-out")
CONFIG = FAN_OUT.config("process_item", "summarize")
handlers: Any = FAN_OUT.handlers
COUNT = 300
FLAKY = [f"item-{i:03d}" for i in range(COUNT) if i % 10 == 3]  # busy on their first attempt


def batch(poison: tuple[int, ...] = ()) -> dict[str, Any]:
    items = [{"id": f"item-{i:03d}", "quantity": -1 if i in poison else 1 + i % 5, "unitCents": 250}
             for i in range(COUNT)]
    return {"batchId": "b-1", "items": items}


def peak_open_iterations(result: ExecutionResult) -> int:
    """How many Map iterations the history shows running at once."""
    open_now = peak = 0
    for event in result.events:
        if event["type"] == "MapIterationStarted":
            open_now += 1
            peak = max(peak, open_now)
        elif event["type"] in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
            open_now -= 1
    return peak


@pytest.fixture(autouse=True)
def fresh_service() -> None:
    handlers.reset()


def test_definition_is_valid() -> None:
    assert_valid(FAN_OUT.definition)


def test_every_item_processed_once_in_input_order() -> None:
    result = run(CONFIG, FAN_OUT.definition, batch())
    assert result.status == "SUCCEEDED", result.cause

    results = result.output["results"]
    assert [r["id"] for r in results] == [f"item-{i:03d}" for i in range(COUNT)]  # input order
    assert all(r["status"] == "PROCESSED" for r in results)
    assert results[7] == {"id": "item-007", "status": "PROCESSED", "totalCents": 3 * 250}
    assert set(handlers.SUCCESSES.values()) == {1} and len(handlers.SUCCESSES) == COUNT

    # The flaky items were called twice, every other item once; each retry shows in the history.
    assert sorted(i for i, calls in handlers.CALLS.items() if calls == 2) == FLAKY
    assert sum(handlers.CALLS.values()) == COUNT + len(FLAKY)
    assert [error for _, error in task_failures(result)] == ["ItemBusy"] * len(FLAKY)

    assert result.output["summary"] == {"batchId": "b-1", "total": COUNT, "processed": COUNT, "failed": [],
                                        "totalCents": sum(250 * (1 + i % 5) for i in range(COUNT))}
    assert 1 < peak_open_iterations(result) <= 10  # MaxConcurrency
    assert handlers.peak_concurrency() <= 10


def test_a_bad_item_is_caught_and_reported_not_fatal() -> None:
    result = run(CONFIG, FAN_OUT.definition, batch(poison=(41, 250)))
    assert result.status == "SUCCEEDED", result.cause
    summary = result.output["summary"]
    assert (summary["processed"], summary["failed"]) == (COUNT - 2, ["item-041", "item-250"])
    assert result.output["results"][41] == {"id": "item-041", "status": "FAILED", "error": "InvalidItem"}
    # InvalidItem is not in the Retry's ErrorEquals: one call each, straight to the Catch.
    assert handlers.CALLS["item-041"] == 1 and handlers.SUCCESSES["item-041"] == 0
    assert states_entered(result).count("RecordItemFailure") == 2
