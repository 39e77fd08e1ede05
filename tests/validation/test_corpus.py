"""The validator against the labelled conformance corpus.

`recorded` and `documented` labels must be matched exactly. `inferred` labels are our best reading
of AWS; where this validator disagrees on purpose, the case is listed below with the reason, and
the test checks the disagreement still holds so the table cannot go stale.
"""

from __future__ import annotations

import pytest

from asl_engine.validate import validate_definition

from asl_corpus import CORPUS_DIR, definition_text, load_cases

CASES = load_cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"conformance corpus not found at {CORPUS_DIR}")

# case id -> why this validator does not follow the inferred label.
INFERRED_DISAGREEMENTS = {
    "aslv-invalid-math-add": "Argument types of intrinsics are checked when the call runs "
                             "(States.Runtime), not when the definition is validated.",
    "orig-variables-assign-invalid-name": "Documented aslv-valid-assign uses the variable name 'top-level'; "
                                          "a rule rejecting '-' would break that documented case.",
    "orig-variables-assign-name-starts-digit": "No variable-name rule is applied, for the same reason as "
                                               "orig-variables-assign-invalid-name.",
}
MIN_CODE_AGREEMENT = 0.90


def _errors(case):
    diagnostics = validate_definition(definition_text(case), case.get("type", "STANDARD"))
    return [d for d in diagnostics if d.severity == "ERROR"]


def _case_id(case):
    return case["id"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_valid_or_invalid_as_labelled(case):
    errors = _errors(case)
    agrees = (not errors) == case["valid"]
    if case["id"] in INFERRED_DISAGREEMENTS:
        assert case["aws_confidence"] == "inferred", "only inferred labels may be overridden"
        assert not agrees, f"{case['id']} now agrees with its label: remove it from INFERRED_DISAGREEMENTS"
        return
    detail = [(d.code, d.location, d.message) for d in errors[:3]]
    assert agrees, f"expected {'valid' if case['valid'] else 'invalid'}: {case['reason']} got {detail}"


def _first_matches(case, errors):
    """The first ERROR (what CreateStateMachine reports) has the code, under the expected location."""
    first = errors[0]
    location = case.get("location")
    return first.code == case["expected_code"] and (not location or first.location.startswith(location))


def test_first_error_code_and_location_agree():
    scored = [(case, _errors(case)) for case in CASES if not case["valid"] and case.get("expected_code")]
    scored = [(case, errors) for case, errors in scored if errors]
    misses = [f"{case['id']}: got {errors[0].code} at {errors[0].location}, want {case['expected_code']} "
              f"at {case.get('location')}" for case, errors in scored if not _first_matches(case, errors)]
    agreement = 1 - len(misses) / len(scored)
    assert agreement >= MIN_CODE_AGREEMENT, "\n".join(misses)
