"""Local Lambda handlers for the order saga (ASL_LAMBDA_HANDLERS=name=saga_handlers:function)."""

from __future__ import annotations

from typing import Any

CALLS: list[str] = []  # what ran, in order: the tests assert the saga's path on it
_flaky_failures = {"left": 0}


class PaymentDeclined(Exception):
    pass


class InventoryBusy(Exception):
    pass


def reset(flaky_failures: int = 0) -> None:
    CALLS.clear()
    _flaky_failures["left"] = flaky_failures


def reserve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails with InventoryBusy as many times as configured, then reserves."""
    CALLS.append("reserve")
    assert context.get_remaining_time_in_millis() > 0
    if _flaky_failures["left"] > 0:
        _flaky_failures["left"] -= 1
        raise InventoryBusy("try again")
    return {"reservation": f"r-{event['order']}"}


def charge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append("charge")
    if event["amount"] > 100:
        raise PaymentDeclined(f"card declined for {event['amount']}")
    return {"charged": event["amount"]}


def release(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append("release")
    return {"released": event["reservation"]}
