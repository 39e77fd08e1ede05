"""Local Lambda handlers of the order saga: the inventory, payment and shipping services.

They stand for the outside world, so they keep that world's state in module-level ledgers that a
test (or a curious user) can read after a run: what is reserved, what was charged, and `CALLS`,
every invocation in order. Each handler is idempotent per order, as saga steps must be: Step
Functions may retry them, and the compensations may run for a step that never took effect.

Card tokens pick the payment outcome, like a payment provider's test cards:
`tok_visa` pays, `tok_chargeDeclined` is declined (not transient: the saga compensates),
`tok_gatewayTimeout` times out on the first attempt only (transient: the Retry absorbs it).
An address in Antarctica (`"country": "AQ"`) cannot be shipped to.
"""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]

CALLS: list[tuple[str, str]] = []  # (function, orderId), in call order
RESERVATIONS: dict[str, list[dict[str, Any]]] = {}  # orderId -> items held
PAYMENTS: dict[str, int] = {}  # orderId -> amount charged, in cents
_attempts: dict[tuple[str, str], int] = {}  # (function, orderId) -> calls so far


class PaymentDeclined(Exception):
    """The card was refused: retrying cannot help, so the saga must compensate."""


class PaymentGatewayTimeout(Exception):
    """The payment provider did not answer in time: worth retrying."""


class ShippingUnavailable(Exception):
    """No carrier serves the address."""


def reset() -> None:
    """Forget every order (tests call this between runs)."""
    CALLS.clear()
    RESERVATIONS.clear()
    PAYMENTS.clear()
    _attempts.clear()


def _called(function: str, order_id: str) -> int:
    """Log the call; returns which attempt this is for the order (1, 2, ...)."""
    CALLS.append((function, order_id))
    key = (function, order_id)
    _attempts[key] = _attempts.get(key, 0) + 1
    return _attempts[key]


def reserve_inventory(event: Event, context: Any) -> Event:
    """Hold the order's items; a second call for the same order holds nothing more."""
    order_id = event["orderId"]
    _called("reserve_inventory", order_id)
    RESERVATIONS.setdefault(order_id, list(event["items"]))
    return {"reservationId": f"res-{order_id}", "items": len(RESERVATIONS[order_id])}


def charge_payment(event: Event, context: Any) -> Event:
    """Charge the card once per order; the card token decides how it goes."""
    order_id, card = event["orderId"], event["card"]
    attempt = _called("charge_payment", order_id)
    if card == "tok_gatewayTimeout" and attempt == 1:
        raise PaymentGatewayTimeout(f"no answer from the gateway for order {order_id}")
    if card == "tok_chargeDeclined":
        raise PaymentDeclined(f"card declined for order {order_id}")
    PAYMENTS.setdefault(order_id, event["amountCents"])
    return {"paymentId": f"pay-{order_id}", "amountCents": PAYMENTS[order_id]}


def ship_order(event: Event, context: Any) -> Event:
    """Book a carrier for the reserved items."""
    order_id = event["orderId"]
    _called("ship_order", order_id)
    if event["address"].get("country") == "AQ":
        raise ShippingUnavailable(f"no carrier delivers to {event['address']['country']}")
    return {"trackingNumber": f"trk-{order_id}"}


def refund_payment(event: Event, context: Any) -> Event:
    """Compensation of charge_payment: refund what was charged, if anything was."""
    order_id = event["orderId"]
    _called("refund_payment", order_id)
    amount = PAYMENTS.pop(order_id, None)
    return {"refunded": amount is not None, "amountCents": amount or 0}


def release_inventory(event: Event, context: Any) -> Event:
    """Compensation of reserve_inventory: put the held items back."""
    order_id = event["orderId"]
    _called("release_inventory", order_id)
    released = RESERVATIONS.pop(order_id, [])
    return {"released": len(released)}
