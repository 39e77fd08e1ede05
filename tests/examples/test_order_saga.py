"""examples/order-saga: a saga whose failed step runs the compensations in reverse.

The pattern is AWS's saga orchestration with Step Functions
(https://docs.aws.amazon.com/prescriptive-guidance/latest/cloud-design-patterns/saga-orchestration.html),
with Retry and Catch as concepts-error-handling describes them
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html) and the
Lambda errors AWS recommends retrying
(https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
The handlers stand for the inventory, payment and shipping services; each test reads their call
log and the execution's path and history, which is what a user looks at to see what the saga did.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_engine.testing import Environment
from example_support import assert_valid, load_example, payload_of, seconds_in, task_failures

SAGA = load_example("order-saga")
services: Any = SAGA.handlers
FUNCTIONS = ("reserve_inventory", "charge_payment", "ship_order", "refund_payment", "release_inventory")


def an_order(card: str = "tok_visa", country: str = "FR") -> dict[str, Any]:
    return {"orderId": "o-1", "items": [{"sku": "book-42", "quantity": 1}], "amountCents": 4200,
            "card": card, "address": {"street": "1 rue de la Paix", "country": country}}


@pytest.fixture
def saga(asl: Environment) -> Environment:
    """The saga deployed, its steps run by the example's services (with empty ledgers)."""
    services.reset()
    SAGA.deploy(asl, "OrderSaga", *FUNCTIONS)
    return asl


def test_definition_is_valid() -> None:
    assert_valid(SAGA)


def test_happy_path_places_the_order(saga: Environment) -> None:
    order = saga.start("OrderSaga", an_order()).wait()

    assert order.status == "SUCCEEDED", order.cause
    assert order.output == {"orderId": "o-1", "status": "PLACED", "reservationId": "res-o-1",
                            "paymentId": "pay-o-1", "trackingNumber": "trk-o-1"}
    assert order.path == ["ReserveInventory", "ChargePayment", "ShipOrder", "OrderPlaced"]
    assert [call for call, _ in services.CALLS] == ["reserve_inventory", "charge_payment", "ship_order"]
    assert services.PAYMENTS == {"o-1": 4200} and "o-1" in services.RESERVATIONS


def test_a_gateway_timeout_is_retried_after_two_seconds(saga: Environment) -> None:
    order = saga.start("OrderSaga", an_order(card="tok_gatewayTimeout")).wait()

    assert order.status == "SUCCEEDED", order.cause
    assert [call for call, _ in services.CALLS] == ["reserve_inventory", "charge_payment", "charge_payment",
                                                    "ship_order"]
    # One failed attempt, retried after the second retrier's IntervalSeconds (2 s), not caught.
    assert task_failures(order) == [(0, "PaymentGatewayTimeout")]
    charges = [seconds_in(order, e) for e in order.events if e["type"] == "TaskScheduled"
               and "card" in payload_of(e)]
    assert charges == [0, 2]
    assert "RefundPayment" not in order.path


def test_a_declined_card_is_compensated_in_reverse(saga: Environment) -> None:
    order = saga.start("OrderSaga", an_order(card="tok_chargeDeclined")).wait()

    assert (order.status, order.error) == ("FAILED", "PaymentDeclined")
    assert json.loads(order.cause)["errorMessage"] == "card declined for order o-1"
    # Not retried (PaymentDeclined is not transient), caught, then undone last-done-first.
    assert order.path == ["ReserveInventory", "ChargePayment", "RefundPayment", "ReleaseInventory", "OrderFailed"]
    assert [call for call, _ in services.CALLS] == ["reserve_inventory", "charge_payment", "refund_payment",
                                                    "release_inventory"]
    assert [error for _, error in task_failures(order)] == ["PaymentDeclined"]
    assert order.state_output("RefundPayment")["refund"] == {"refunded": False}
    assert services.PAYMENTS == {} and services.RESERVATIONS == {}  # nothing left held or charged


def test_an_address_nobody_ships_to_refunds_then_releases(saga: Environment) -> None:
    order = saga.start("OrderSaga", an_order(country="AQ")).wait()

    assert (order.status, order.error) == ("FAILED", "ShippingUnavailable")
    assert [call for call, _ in services.CALLS] == ["reserve_inventory", "charge_payment", "ship_order",
                                                    "refund_payment", "release_inventory"]
    assert order.path[-3:] == ["RefundPayment", "ReleaseInventory", "OrderFailed"]
    assert services.PAYMENTS == {} and services.RESERVATIONS == {}


def test_lambda_service_errors_are_retried_with_backoff(saga: Environment) -> None:
    """Mocked in code, as an SFN Local mock response would: Lambda itself fails twice."""
    saga.mock("OrderSaga", "ChargePayment", raises=[
        ("Lambda.ServiceException", "An error occurred (ServiceException) when calling the Invoke operation."),
        ("Lambda.TooManyRequestsException", "Rate exceeded")])
    saga.mock("OrderSaga", "ChargePayment", returns={"StatusCode": 200,
                                                     "Payload": {"paymentId": "pay-o-1", "amountCents": 4200}})
    order = saga.start("OrderSaga", an_order()).wait()

    assert order.status == "SUCCEEDED", order.cause
    # IntervalSeconds 1, BackoffRate 2: the retries wait 1 s, then 2 s.
    assert task_failures(order) == [(0, "Lambda.ServiceException"), (1, "Lambda.TooManyRequestsException")]
    assert seconds_in(order, order.events[-1]) == 3
    assert "charge_payment" not in [call for call, _ in services.CALLS]  # the mock answered instead


@pytest.mark.parametrize(("case", "status", "error"), [("HappyPath", "SUCCEEDED", None),
                                                       ("TransientLambdaErrors", "SUCCEEDED", None),
                                                       ("ChargeDeclined", "FAILED", "PaymentDeclined")])
def test_the_mock_config_file_runs_without_any_service(saga: Environment, case: str, status: str,
                                                       error: str | None) -> None:
    """The same machine under SFN Local's MockConfigFile: no handler runs at all."""
    saga.mock_config(SAGA.mock_config)
    order = saga.start("OrderSaga", an_order(), test_case=case).wait()

    assert (order.status, order.error) == (status, error)
    assert services.CALLS == []
