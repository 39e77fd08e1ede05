"""The one reader of ASL timestamps: Wait Timestamp/TimestampPath, Choice Timestamp rules, the validator.

AWS states one profile for every use (state-wait.html, state-choice.html): "Timestamps must conform
to the RFC3339 profile of ISO 8601, with the further restrictions that an uppercase T must separate
the date and time portions, and an uppercase Z must denote that a numeric time zone offset is not
present, for example, 2024-08-18T17:33:00Z". So there is one grammar here, not one per caller:
seconds are required, a fraction may have any number of digits, the date and time must exist
(no month 13, no hour 25) and the offset must be a real one (below 24:00).

The value is integer nanoseconds since the epoch: datetime would truncate past microseconds, and
integers make `2012-10-09T20:00:55+01:00` equal `2012-10-09T19:00:55Z` exactly.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)
_NANOS = 1_000_000_000


def parse_nanos(value: Any) -> int | None:
    """Nanoseconds since the epoch for an ASL timestamp, or None for anything else (any type)."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) if sign else timedelta(0)
        zone = timezone(-offset if sign == "-" else offset)  # ValueError from 24:00 on
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except ValueError:
        return None
    if sign and int(off_m) >= 60:
        return None
    nanos = int((fraction or "").ljust(9, "0")[:9])
    return (moment - _EPOCH) // _SECOND * _NANOS + nanos


def epoch_seconds(value: Any) -> float | None:
    """An ASL timestamp as epoch seconds (what the clock and Wait deadlines count in), or None."""
    nanos = parse_nanos(value)
    return None if nanos is None else nanos / _NANOS
