"""ItemBatcher: a Distributed Map's items grouped so one child execution processes many.

AWS developer guide, "ItemBatcher (Map)"
(https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html): a child's
input is `{"Items": [...]}`, with `"BatchInput": ...` beside it when the field is set; a batch
holds at most `MaxItemsPerBatch(Path)` items and at most `MaxInputBytesPerBatch(Path)` bytes
(at most 256 KiB, the payload limit, whatever is asked), counting the whole child input.
Items are never reordered or split: a batch is a run of consecutive items.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..errors import RUNTIME, StatesError
from ..json_text import to_json

Json = Any
MAX_BATCH_BYTES = 256 * 1024


def limit(value: Json, field: str) -> int | None:
    """A batch limit read from its field or path: a positive integer, or States.Runtime."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise StatesError(RUNTIME, f"The value of {field} must be a positive integer, not {to_json(value)}",
                          in_state=True)
    return int(value)


def batches(items: Iterable[Json], max_items: int | None, max_bytes: int | None,
            batch_input: Json = None) -> Iterator[Json]:
    """Child inputs for `items`: consecutive runs, each within both limits (None: no limit on
    that measure, within 256 KiB). An item that alone overflows the byte limit is an error."""
    byte_limit = min(max_bytes or MAX_BATCH_BYTES, MAX_BATCH_BYTES)
    head = {"BatchInput": batch_input} if batch_input is not None else {}
    empty = len(_utf8(to_json({**head, "Items": []})))
    batch: list[Json] = []
    size = empty
    for item in items:
        item_size = len(_utf8(to_json(item))) + (1 if batch else 0)  # a comma between items
        if batch and (size + item_size > byte_limit or (max_items is not None and len(batch) == max_items)):
            yield {**head, "Items": batch}
            batch, size = [], empty
            item_size -= 1
        if size + item_size > byte_limit:
            raise StatesError(RUNTIME, f"An item of {item_size} bytes does not fit in a batch of at most "
                                       f"{byte_limit} bytes (MaxInputBytesPerBatch)", in_state=True)
        batch.append(item)
        size += item_size
    if batch:
        yield {**head, "Items": batch}


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
