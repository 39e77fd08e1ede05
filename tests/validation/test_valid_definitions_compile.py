"""What the validator accepts, the engine must compile: CreateStateMachine runs both.

The corpus is tests/validation/cases; `valid: true` means AWS accepts the
definition (recorded or documented), so refusing it at compile time would be a false rejection.
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.compile import compile_definition
from asl_engine.distributed.reader import UNSUPPORTED
from asl_engine.errors import DefinitionError
from asl_engine.validate import validate_definition

from asl_corpus import definition_text, load_cases

VALID = [case for case in load_cases() if case["valid"]]


def test_the_corpus_is_there() -> None:
    assert len(VALID) > 200


@pytest.mark.parametrize("case", VALID, ids=[case["id"] for case in VALID])
def test_valid_definition_compiles(case: dict[str, Any]) -> None:
    text = definition_text(case)
    if any(d.severity == "ERROR" for d in validate_definition(text, case.get("type", "STANDARD"))):
        pytest.skip("the validator disagrees; tests/validation/test_corpus.py lists why")
    try:
        compile_definition(text)
    except DefinitionError as error:  # only an item source asl-engine refuses on purpose (tests/fidelity)
        assert error.code == UNSUPPORTED and "/ItemReader/" in error.location, error
