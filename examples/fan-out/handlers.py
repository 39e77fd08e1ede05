"""Local Lambda handlers of the fan-out: one item's work, and the batch summary.

`process_item` stands for a downstream service that is sometimes busy: an item whose index ends
in 3 is refused with `ItemBusy` on its first attempt (transient: the Map's per-item Retry tries
again), and an item with a negative quantity is refused with `InvalidItem` every time (permanent:
the per-item Catch records it). The ledgers below let a test check what the outside world saw:
every call, every success, and how many calls were in flight at once.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

Event = dict[str, Any]

CALLS: Counter[str] = Counter()  # item id -> invocations
SUCCESSES: Counter[str] = Counter()  # item id -> successful invocations
_lock = threading.Lock()
_in_flight = {"now": 0, "peak": 0}


class ItemBusy(Exception):
    """The service could not take the item right now: retrying will work."""


class InvalidItem(Exception):
    """The item can never be processed: retrying would not help."""


def reset() -> None:
    """Forget every call (tests call this between runs)."""
    with _lock:
        CALLS.clear()
        SUCCESSES.clear()
        _in_flight.update(now=0, peak=0)


def peak_concurrency() -> int:
    """The most calls that were ever in flight at once."""
    return _in_flight["peak"]


def process_item(event: Event, context: Any) -> Event:
    """Price one item; Lambda may run many of these at once, hence the lock on the ledgers."""
    item, index = event["item"], event["index"]
    with _lock:
        CALLS[item["id"]] += 1
        first_attempt = CALLS[item["id"]] == 1
        _in_flight["now"] += 1
        _in_flight["peak"] = max(_in_flight["peak"], _in_flight["now"])
    try:
        if item["quantity"] < 0:
            raise InvalidItem(f"{item['id']} has a negative quantity")
        if index % 10 == 3 and first_attempt:
            raise ItemBusy(f"{item['id']}: service busy, try again")
        with _lock:
            SUCCESSES[item["id"]] += 1
        return {"id": item["id"], "status": "PROCESSED", "totalCents": item["quantity"] * item["unitCents"]}
    finally:
        with _lock:
            _in_flight["now"] -= 1


def summarize(event: Event, context: Any) -> Event:
    """Count what the Map returned, in the order it returned it."""
    results = event["results"]
    failed = [result["id"] for result in results if result["status"] != "PROCESSED"]
    return {
        "batchId": event["batchId"],
        "total": len(results),
        "processed": len(results) - len(failed),
        "failed": failed,
        "totalCents": sum(result.get("totalCents", 0) for result in results),
    }
