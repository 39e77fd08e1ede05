"""The one compact JSON encoder: JSON text as AWS writes it in history, outputs and causes.

Compact separators, non-ASCII characters kept as they are. Everything that writes a JSON value as
text (history, outputs, stores, States.JsonToString, child executions' input) uses `to_json`, so
the same value is always the same text. It lives apart from payload.py so that modules below it
(intrinsic functions) can use it too.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def to_json(value: Any) -> str:
    """JSON text as AWS writes it in history and causes: compact, non-ASCII kept."""
    return _ENCODER.encode(value)
