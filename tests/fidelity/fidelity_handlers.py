"""Local Lambda handlers for the fidelity tests (mapped by TaskConfig.lambda_handlers)."""

from __future__ import annotations

from typing import Any


def double(event: Any, context: Any) -> Any:
    return {"doubled": event["n"] * 2}
