"""Where the tests find their recorded corpora: copies kept inside the repository.

The execution cases (recorded against AWS) and the validator cases are vendored under
tests/conformance/cases and tests/validation/cases, with their origin and licences beside them,
so a clone passes its tests with nothing next to it. `tests/conformance/refresh_cases.py`
updates the copies from ../shared, where new recordings arrive. Every test that reads a corpus
goes through this module; a missing corpus is an error, never a silent skip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
EXECUTION_CASES = TESTS / "conformance" / "cases"
VALIDATOR_CASES = TESTS / "validation" / "cases"


def case_files(folder: Path, pattern: str = "*.json") -> list[Path]:
    """The case files of a vendored corpus, sorted; raises when the folder holds none."""
    files = sorted(folder.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no {pattern} cases in {folder}: run tests/conformance/refresh_cases.py")
    return files


def execution_cases() -> list[dict[str, Any]]:
    """Every AWS-recorded execution case (format: tests/conformance/cases/README.md)."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in case_files(EXECUTION_CASES)]


def validator_cases() -> list[dict[str, Any]]:
    """Every labelled definition of the validator corpus (format: tests/validation/cases/README.md)."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in case_files(VALIDATOR_CASES)]
