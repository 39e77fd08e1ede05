"""Loading the shared conformance corpus (../shared/conformance/validator/cases)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2].parent / "shared"  # ../shared beside the repository, as in CI
CORPUS_DIR = Path(os.environ.get("ASL_CONFORMANCE_DIR", SHARED / "conformance" / "validator")) / "cases"


def load_cases() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CORPUS_DIR.glob("*.json"))]


def definition_text(case: dict[str, Any]) -> str:
    """Exactly what the corpus runner sends."""
    if "definition_text" in case:
        return case["definition_text"]
    return json.dumps(case["definition"], ensure_ascii=False)
