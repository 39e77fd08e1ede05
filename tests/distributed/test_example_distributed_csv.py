"""examples/distributed-csv: 1,000 orders in a CSV file in S3, priced 100 rows per child by a Lambda
function, results exported to S3, one bad batch tolerated (ToleratedFailurePercentage 10).

Behaviour from AWS's developer guide: "ItemReader (Map)", "ItemBatcher (Map)", "ResultWriter
(Map)" (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html and
siblings), and ToleratedFailurePercentage on "Distributed Map state" (state-map-distributed.html).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from asl_engine.testing import Environment
from asl_engine.validate import validate_definition

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "distributed-csv"
_spec = importlib.util.spec_from_file_location("example_distributed_csv_handlers", FOLDER / "handlers.py")
assert _spec is not None and _spec.loader is not None
handlers: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(handlers)
ORDERS = 1000


def orders_csv(bad: int | None = None) -> bytes:
    rows = ["order_id,quantity,unit_cents"]
    rows += [f"o-{i:04d},{'-1' if i == bad else 1 + i % 3},{100 + i % 7}" for i in range(ORDERS)]
    return ("\n".join(rows) + "\n").encode()


def price(engine: Environment, s3: Any, bucket: str, body: bytes) -> Any:
    s3.put_object(Bucket=bucket, Key="in/orders.csv", Body=body)
    engine.lambda_handler("price_batch", handlers.price_batch)
    engine.create("PriceOrders", FOLDER / "definition.asl.json")
    return engine.start("PriceOrders", {"bucket": bucket, "key": "in/orders.csv", "currency": "EUR"}).wait()


def exported(s3: Any, details: dict[str, str]) -> dict[str, list[Any]]:
    manifest = json.loads(s3.get_object(Bucket=details["Bucket"], Key=details["Key"])["Body"].read())
    return {status: [record for entry in files
                     for record in json.loads(s3.get_object(Bucket=details["Bucket"], Key=entry["Key"])["Body"].read())]
            for status, files in manifest["ResultFiles"].items()}


def test_definition_is_valid() -> None:
    assert [d for d in validate_definition((FOLDER / "definition.asl.json").read_text()) if d.severity == "ERROR"] == []


def test_every_order_is_priced_in_batches_of_100(engine: Environment, s3: Any, bucket: str) -> None:
    execution = price(engine, s3, bucket, orders_csv())
    assert execution.status == "SUCCEEDED", execution.cause
    details = execution.output["ResultWriterDetails"]
    assert details["Key"].startswith("priced/") and details["Key"].endswith("/manifest.json")
    results = exported(s3, details)
    outputs = [json.loads(record["Output"]) for record in results["SUCCEEDED"]]
    assert [(o["first"], o["last"], o["orders"]) for o in outputs] == [
        (f"o-{i:04d}", f"o-{i + 99:04d}", 100) for i in range(0, ORDERS, 100)]
    assert sum(o["totalCents"] for o in outputs) == sum((1 + i % 3) * (100 + i % 7) for i in range(ORDERS))
    assert {o["currency"] for o in outputs} == {"EUR"}  # BatchInput
    assert results["FAILED"] == []


def test_one_bad_batch_is_tolerated_and_exported_as_failed(engine: Environment, s3: Any, bucket: str) -> None:
    execution = price(engine, s3, bucket, orders_csv(bad=342))
    assert execution.status == "SUCCEEDED", execution.cause
    results = exported(s3, execution.output["ResultWriterDetails"])
    assert len(results["SUCCEEDED"]) == 9
    [failed] = results["FAILED"]
    assert failed["Status"] == "FAILED" and failed["Error"] == "InvalidOrder"
    assert json.loads(failed["Input"])["Items"][0]["order_id"] == "o-0300"
