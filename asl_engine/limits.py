"""The Step Functions quotas asl-engine enforces, each defined once.

https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: "Maximum input or output
size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string" (which also
bounds what one Assign sets, https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html),
and 25,000 events in an execution's history.
"""

from __future__ import annotations

MAX_PAYLOAD_BYTES = 256 * 1024
"""A state's or task's output, an execution's input: UTF-8 bytes."""
MAX_ASSIGN_BYTES = 256 * 1024
"""A variable, and all that one Assign sets together: UTF-8 bytes."""
MAX_HISTORY_EVENTS = 25_000


def exceeds(text: str, limit: int = MAX_PAYLOAD_BYTES) -> bool:
    """Whether `text` takes more than `limit` bytes as UTF-8; short texts are never encoded
    (a character takes at most 4 bytes)."""
    return len(text) > limit // 4 and len(text.encode("utf-8")) > limit
