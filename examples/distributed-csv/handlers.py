"""The outside world of examples/distributed-csv: a Lambda function that prices one batch.

Its event is the child input ItemBatcher makes, `{"BatchInput": {"currency": ...}, "Items": [...]}`,
each item a CSV row with every value a string (ItemReader, CSV); an order with a quantity that is
not a positive whole number fails the batch with `InvalidOrder`."""

from __future__ import annotations

from typing import Any


class InvalidOrder(Exception):
    pass


def price_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    total = 0
    for row in event["Items"]:
        if not row["quantity"].isdigit() or int(row["quantity"]) == 0:
            raise InvalidOrder(f"order {row['order_id']} has quantity {row['quantity']!r}")
        total += int(row["quantity"]) * int(row["unit_cents"])
    first, last = event["Items"][0]["order_id"], event["Items"][-1]["order_id"]
    return {"orders": len(event["Items"]), "first": first, "last": last, "totalCents": total,
            "currency": event["BatchInput"]["currency"]}
