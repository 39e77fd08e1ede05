"""Does an execution match what AWS recorded? The comparison the conformance test needs.

What is compared: status, then output (SUCCEEDED only), error, cause (as JSON when the recording's
cause was JSON text), then the history's event types, in order or, for `events_order: multiset`
(Parallel and Map interleave differently each run), as counts with the same first and last event.

Recorded values may hold placeholders that LocalStack's snapshot tooling wrote in place of values
that change from run to run (see cases/README.md): a placeholder stands for any non-empty text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

ROLE_ARN = "arn:aws:iam::123456789012:role/conformance"

BRACKETED = re.compile(r"<[A-Za-z0-9_.:\-]+>")
WHOLE_VALUE_WILDCARDS = frozenset({"date", "datetime", "timestamp"})
_FINAL_DETAILS = ("executionSucceededEventDetails", "executionFailedEventDetails",
                  "executionTimedOutEventDetails", "executionAbortedEventDetails")


class Matcher:
    """JSON equality in which recorded placeholders match any text."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = frozenset(token for token in tokens if not BRACKETED.fullmatch(token))
        words = [re.escape(token) for token in sorted(self.tokens, key=len, reverse=True)]
        self._placeholder = re.compile("|".join([BRACKETED.pattern, *words]))

    def diff(self, expected: Any, actual: Any, where: str = "$") -> str | None:
        """None when `actual` matches `expected`, else where and how they first differ."""
        if isinstance(expected, str) and self._wildcard(expected):
            return None
        if isinstance(expected, dict) and isinstance(actual, dict):
            if expected.keys() != actual.keys():
                missing, extra = sorted(expected.keys() - actual.keys()), sorted(actual.keys() - expected.keys())
                return f"{where}: keys differ (missing {missing[:3]}, unexpected {extra[:3]})"
            return next(filter(None, (self.diff(expected[k], actual[k], f"{where}.{k}") for k in expected)), None)
        if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
            pairs = enumerate(zip(expected, actual))
            return next(filter(None, (self.diff(e, a, f"{where}[{i}]") for i, (e, a) in pairs)), None)
        if isinstance(expected, str) and isinstance(actual, str):
            if self._text_matches(expected, actual):
                return None
        elif not isinstance(expected, (dict, list)) and _same_scalar(expected, actual):
            return None
        return f"{where}: expected {_brief(expected)}, got {_brief(actual)}"

    def _wildcard(self, text: str) -> bool:
        return text in WHOLE_VALUE_WILDCARDS or text in self.tokens or BRACKETED.fullmatch(text) is not None

    def _text_matches(self, expected: str, actual: str) -> bool:
        """Each placeholder inside `expected` stands for some non-empty text of `actual`."""
        if expected == actual:
            return True
        literals = self._placeholder.split(expected)
        if len(literals) == 1:
            return False
        pattern = ".+?".join(re.escape(literal) for literal in literals)
        return re.fullmatch(pattern, actual, re.S) is not None


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual  # JSON's true is not 1, although Python's True == 1
    return bool(expected == actual)  # 1 and 1.0 are the same JSON number


def _brief(value: Any, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def needs_mocks(case: dict[str, Any]) -> bool:
    """Task states that call AWS services, S3 readers and writers, or a StopExecution call."""
    return bool(case.get("needs_mocks")) or any(tag.startswith("task_") for tag in case.get("features", []))


def compare_events(expected: list[str], actual: list[str], order: str) -> str | None:
    if order == "multiset":
        if expected[:1] != actual[:1] or expected[-1:] != actual[-1:]:
            return f"events: first/last differ ({actual[:1]}..{actual[-1:]})"
        if Counter(expected) != Counter(actual):
            missing, extra = Counter(expected) - Counter(actual), Counter(actual) - Counter(expected)
            return f"events differ: missing {dict(missing)}, unexpected {dict(extra)}"
        return None
    for number, (wanted, got) in enumerate(zip(expected, actual), start=1):
        if wanted != got:
            return f"event #{number}: expected {wanted}, got {got}"
    if len(expected) != len(actual):
        return f"events: expected {len(expected)}, got {len(actual)}"
    return None


def check(case: dict[str, Any], status: str, output: Any, events: list[dict[str, Any]]) -> str | None:
    """None when the execution behaved as recorded, else the first difference.

    `output` is the parsed execution output; error and cause come from the final history event."""
    expected = case["expected"]
    matcher = Matcher((case.get("normalize") or {}).get("tokens", []))
    last = events[-1] if events else {}
    details = next((last[key] for key in _FINAL_DETAILS if key in last), {})
    if status != expected["status"]:
        got = status + (f" ({details['error']}: {_brief(details.get('cause'), 80)})" if details.get("error") else "")
        return f"status {got}, expected {expected['status']}"
    if expected["status"] == "SUCCEEDED":
        found = matcher.diff(expected["output"], output, "output")
        if found:
            return found
    found = matcher.diff(expected.get("error"), details.get("error"), "error")
    if found:
        return found
    expected_cause, cause = expected.get("cause"), details.get("cause")
    if expected.get("cause_is_json") and isinstance(cause, str):
        try:
            expected_cause, cause = json.loads(expected_cause), json.loads(cause)
        except ValueError:
            pass  # not JSON after all: compare the texts
    found = matcher.diff(expected_cause, cause, "cause")
    if found or expected.get("events") is None:
        return found
    return compare_events(expected["events"], [event["type"] for event in events], case.get("events_order", "exact"))
