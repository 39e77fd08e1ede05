"""ItemBatcher: child inputs `{"BatchInput"?, "Items": [...]}` within both limits.

AWS developer guide, "ItemBatcher (Map)":
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
"""

from __future__ import annotations

import json

import pytest

from asl_engine.distributed.batcher import MAX_BATCH_BYTES, batches, limit
from asl_engine.errors import StatesError


def test_items_per_batch() -> None:
    assert list(batches([1, 2, 3, 4, 5], 2, None)) == [{"Items": [1, 2]}, {"Items": [3, 4]}, {"Items": [5]}]


def test_batch_input_rides_with_every_batch() -> None:
    assert list(batches(["a", "b"], 1, None, {"job": 7})) == [
        {"BatchInput": {"job": 7}, "Items": ["a"]}, {"BatchInput": {"job": 7}, "Items": ["b"]}]


def test_bytes_per_batch_count_the_whole_child_input() -> None:
    items = ["x" * 10] * 10  # 12 bytes each in JSON, 13 with the comma
    out = list(batches(items, None, 50))
    assert all(len(json.dumps(batch, separators=(",", ":"))) <= 50 for batch in out)
    assert [len(batch["Items"]) for batch in out] == [3, 3, 3, 1]  # {"Items":[]} is 12 bytes


def test_both_limits_apply_and_order_is_kept() -> None:
    out = list(batches(list(range(100)), 7, 40))
    assert [item for batch in out for item in batch["Items"]] == list(range(100))
    assert all(len(batch["Items"]) <= 7 for batch in out)


def test_no_limit_means_the_payload_limit() -> None:
    out = list(batches(["y" * 1000] * 600, None, None))
    assert len(out) == 3 and all(len(json.dumps(batch)) <= MAX_BATCH_BYTES for batch in out)


def test_an_item_larger_than_a_batch_fails() -> None:
    with pytest.raises(StatesError) as failure:
        list(batches(["z" * 100], None, 50))
    assert failure.value.error == "States.Runtime"


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_limits_are_positive_integers(value: object) -> None:
    with pytest.raises(StatesError):
        limit(value, "MaxItemsPerBatch")
    assert limit(3, "MaxItemsPerBatch") == 3 and limit(None, "MaxItemsPerBatch") is None
