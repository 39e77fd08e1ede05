"""examples/order-saga: a saga whose failed step runs the compensations in reverse.

The pattern is AWS's saga orchestration with Step Functions
(https://docs.aws.amazon.com/prescriptive-guidance/latest/cloud-design-patterns/saga-orchestration.html),
with Retry and Catch as concepts-error-handling describes them
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html) and the
Lambda errors AWS recommends retrying
(https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
The handlers stand for the inventory, payment and shipping services; the test reads their call
log and the execution's history, which is what a user looks at to see what the saga did.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from example_support import assert_valid, load_example, run, states_entered, task_failures

SAGA = load_example("order-saga")
FUNCTIONS = ("reserve_inventory", "charge_payment", "ship_order", "refund_payment", "release_inventory")
CONFIG = SAGA.config(*FUNCTIONS)
handlers: Any = SAGA.handlers


def order(card: str = "tok_visa", country: str = "FR") -> dict[str, Any]:
    return {"orderId": "o-1", "items": [{"sku": "book-42", "quantity": 1}], "amountCents": 4200,
            "card": card, "address": {"street": "1 rue de la Paix", "country": country}}


@pytest.fixture(autouse=True)
def fresh_services() -> None:
    handlers.reset()


def test_definition_is_valid() -> None:
    assert_valid(SAGA.definition)


def test_happy_path_places_the_order() -> None:
    result = run(CONFIG, SAGA.definition, order())
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"orderId": "o-1", "status": "PLACED", "reservationId": "res-o-1",
                             "paymentId": "pay-o-1", "trackingNumber": "trk-o-1"}
    assert states_entered(result) == ["ReserveInventory", "ChargePayment", "ShipOrder", "OrderPlaced"]
    assert [call for call, _ in handlers.CALLS] == ["reserve_inventory", "charge_payment", "ship_order"]
    assert handlers.PAYMENTS == {"o-1": 4200} and "o-1" in handlers.RESERVATIONS


def test_transient_gateway_timeout_is_retried_with_backoff() -> None:
    result = run(CONFIG, SAGA.definition, order(card="tok_gatewayTimeout"))
    assert result.status == "SUCCEEDED", result.cause
    assert [call for call, _ in handlers.CALLS] == ["reserve_inventory", "charge_payment", "charge_payment",
                                                    "ship_order"]
    # One failed attempt, retried after IntervalSeconds (2 s of virtual time), not caught.
    assert task_failures(result) == [(0, "PaymentGatewayTimeout")]
    charges = [e["timestamp"] for e in result.events if e["type"] == "TaskScheduled"
               and '"charge_payment"' in e["taskScheduledEventDetails"]["parameters"]]
    assert charges == [0, 2]
    assert "RefundPayment" not in states_entered(result)


def test_declined_charge_runs_the_compensations_in_reverse() -> None:
    result = run(CONFIG, SAGA.definition, order(card="tok_chargeDeclined"))
    assert (result.status, result.error) == ("FAILED", "PaymentDeclined")
    assert json.loads(result.cause)["errorMessage"] == "card declined for order o-1"
    # Not retried (PaymentDeclined is not transient), caught, then undone last-done-first.
    assert states_entered(result) == ["ReserveInventory", "ChargePayment",
                                      "RefundPayment", "ReleaseInventory", "OrderFailed"]
    assert [call for call, _ in handlers.CALLS] == ["reserve_inventory", "charge_payment", "refund_payment",
                                                    "release_inventory"]
    assert [error for _, error in task_failures(result)] == ["PaymentDeclined"]
    refund = next(e for e in result.events if e["type"] == "TaskStateExited"
                  and e["stateExitedEventDetails"]["name"] == "RefundPayment")
    assert json.loads(refund["stateExitedEventDetails"]["output"])["refund"] == {"refunded": False}
    assert handlers.PAYMENTS == {} and handlers.RESERVATIONS == {}  # nothing left held or charged


def test_failed_shipping_refunds_the_charge_then_releases() -> None:
    result = run(CONFIG, SAGA.definition, order(country="AQ"))
    assert (result.status, result.error) == ("FAILED", "ShippingUnavailable")
    assert [call for call, _ in handlers.CALLS] == ["reserve_inventory", "charge_payment", "ship_order",
                                                    "refund_payment", "release_inventory"]
    assert states_entered(result)[-3:] == ["RefundPayment", "ReleaseInventory", "OrderFailed"]
    assert handlers.PAYMENTS == {} and handlers.RESERVATIONS == {}


def test_mock_config_file_retries_lambda_service_errors() -> None:
    """The same machine under SFN Local's MockConfigFile: no handler runs at all."""
    config = SAGA.config(mocks=True)
    result = run(config, SAGA.definition, order(), test_case="TransientLambdaErrors",
                 state_machine_name="OrderSaga")
    assert result.status == "SUCCEEDED", result.cause
    # IntervalSeconds 1, BackoffRate 2: the retries wait 1 s, then 2 s.
    assert task_failures(result) == [(0, "Lambda.ServiceException"), (1, "Lambda.TooManyRequestsException")]
    assert result.events[-1]["timestamp"] == 3
    assert handlers.CALLS == []


def test_mock_config_file_declined_path() -> None:
    result = run(SAGA.config(mocks=True), SAGA.definition, order(), test_case="ChargeDeclined",
                 state_machine_name="OrderSaga")
    assert (result.status, result.error) == ("FAILED", "PaymentDeclined")
    assert result.cause == "card declined for order o-1"
    assert states_entered(result)[-3:] == ["RefundPayment", "ReleaseInventory", "OrderFailed"]
