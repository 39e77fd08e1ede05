"""The Step Functions quotas asl-engine enforces, each defined once.

https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: "Maximum input or output
size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string" (which also
bounds what one Assign sets, https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html),
and 25,000 events in an execution's history.
"""

from __future__ import annotations

from typing import Any

MAX_PAYLOAD_BYTES = 256 * 1024
"""A state's or task's output, an execution's input: UTF-8 bytes."""
MAX_ASSIGN_BYTES = 256 * 1024
"""A variable, and all that one Assign sets together: UTF-8 bytes."""
MAX_HISTORY_EVENTS = 25_000


def exceeds(text: str, limit: int = MAX_PAYLOAD_BYTES) -> bool:
    """Whether `text` takes more than `limit` bytes as UTF-8; short texts are never encoded
    (a character takes at most 4 bytes)."""
    return len(text) > limit // 4 and len(text.encode("utf-8")) > limit


def surely_exceeds(value: Any, limit: int = MAX_PAYLOAD_BYTES) -> bool:
    """Whether `value` written as JSON would surely take more than `limit` bytes, told without
    writing it: its strings' lengths (and two quotes each, a byte for each other value) summed
    until they pass `limit`. What the text would add (escapes, separators) is left out, so a
    value this passes still needs its text checked; what it catches is a value that shares one
    large part many times (a Parameters that names the same 200 KB input field six thousand times,
    States.Array of it), which was written out in full, gigabytes, before being refused."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2
            for key, part in item.items():
                total += len(key) + 3
                stack.append(part)
        elif isinstance(item, list):
            total += 2
            stack.extend(item)
        else:
            total += 1
        if total > limit:
            return True
    return False
