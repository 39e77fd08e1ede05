"""The validator corpus (vendored in tests/validation/cases, see tests/corpora.py) as the tests use it."""

from __future__ import annotations

import json
from typing import Any

from corpora import VALIDATOR_CASES as CORPUS_DIR, validator_cases

__all__ = ["CORPUS_DIR", "definition_text", "load_cases"]


def load_cases() -> list[dict[str, Any]]:
    return validator_cases()


def definition_text(case: dict[str, Any]) -> str:
    """Exactly what the corpus runner sends."""
    if "definition_text" in case:
        return case["definition_text"]
    return json.dumps(case["definition"], ensure_ascii=False)
