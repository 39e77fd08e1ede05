"""One timestamp grammar for Wait, Choice and the validator (asl_engine/timestamps.py).

AWS states one profile for every use: "Timestamps must conform to the RFC3339 profile of ISO 8601,
with the further restrictions that an uppercase T must separate the date and time portions, and an
uppercase Z must denote that a numeric time zone offset is not present"
(https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html, and the Choice rules'
Timestamp operators in https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
The rejected rows marked "recorded" are the inputs of the recorded AWS Wait cases
(tests/conformance/cases/*wait_timestamp_path_* and *wait_timestamp_jsonata_*): AWS fails each.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asl_engine.choice import _TYPE_TESTS
from asl_engine.engine.decisions import iso_time
from asl_engine.timestamps import epoch_seconds, parse_nanos
from asl_engine.validation.expressions import is_rfc3339

ACCEPTED = [
    ("2016-03-14T01:59:00Z", 1457920740 * 10**9),
    ("2016-03-05T21:29:29.243167252Z", 1457213369_243167252),  # recorded: nanoseconds kept
    ("2016-03-05T21:29:29.5Z", 1457213369_500000000),
    ("2012-10-09T20:00:55+01:00", 1349809255 * 10**9),  # an offset: the same instant as ...19:00:55Z
    ("2012-10-09T19:00:55Z", 1349809255 * 10**9),
    ("2012-10-09T17:30:55-01:30", 1349809255 * 10**9),
    ("2016-02-29T00:00:00Z", 1456704000 * 10**9),  # a leap day exists
]

REJECTED = [
    ("2016-12-05 21:29:29Z", "recorded NO_T: a space instead of T"),
    ("2016-12-05T21:29:29", "recorded NO_Z: no Z and no offset"),
    ("2016-13-05T21:29:29Z", "recorded INVALID_DATE: month 13"),
    ("2016-12-05T25:29:29Z", "recorded INVALID_TIME: hour 25"),
    ("05-12-2016T21:29:29Z", "recorded INVALID_ISO: day first"),
    ("2016-12-05t21:29:29Z", "the docs: an uppercase T"),
    ("2016-12-05T21:29:29z", "the docs: an uppercase Z"),
    ("2016-12-05T21:29Z", "RFC 3339 date-time: seconds are required"),
    ("2016-12-05T21:29:29+24:00", "RFC 3339 time-numoffset: hours 00-23"),
    ("2016-12-05T21:29:29+01:60", "RFC 3339 time-numoffset: minutes 00-59"),
    ("2015-02-29T00:00:00Z", "no leap day in 2015"),
    ("2016-12-05T21:29:29.Z", "a fraction needs a digit"),
    (" 2016-12-05T21:29:29Z", "nothing around the timestamp"),
    ("", "empty"),
]


@pytest.mark.parametrize(("text", "nanos"), ACCEPTED)
def test_accepted_by_every_use(text: str, nanos: int) -> None:
    assert parse_nanos(text) == nanos
    assert epoch_seconds(text) == nanos / 10**9  # Wait deadlines
    assert _TYPE_TESTS["IsTimestamp"](text)  # Choice
    assert is_rfc3339(text)  # the validator


@pytest.mark.parametrize(("text", "why"), REJECTED)
def test_rejected_by_every_use(text: str, why: str) -> None:
    assert parse_nanos(text) is None, why
    assert epoch_seconds(text) is None, why
    assert not _TYPE_TESTS["IsTimestamp"](text), why
    assert not is_rfc3339(text), why


@pytest.mark.parametrize("value", [None, 1457920740, 1.5, True, ["2016-03-14T01:59:00Z"], {}])
def test_not_a_string_is_not_a_timestamp(value: Any) -> None:
    assert parse_nanos(value) is None


@given(st.integers(min_value=-10**12, max_value=10**13), st.floats(min_value=0, max_value=0.999999))
@settings(max_examples=300, deadline=None)
def test_the_context_objects_times_are_utc_to_the_millisecond_truncated(millis: int, rest: float) -> None:
    """$$.Execution.StartTime and $$.State.EnteredTime read 2024-02-07T13:49:36.123Z: UTC, an
    uppercase T and Z, milliseconds truncated (the context object,
    https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html)."""
    epoch = (millis + rest) / 1000
    whole = int(epoch * 1000)  # what the engine keeps: the millisecond the float falls in
    expected = datetime.fromtimestamp(whole // 1000, tz=timezone.utc).isoformat(timespec="seconds")
    assert iso_time(epoch) == f"{expected.removesuffix('+00:00')}.{whole % 1000:03d}Z"
