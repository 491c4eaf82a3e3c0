"""Turn the time values sources write (ISO-8601, epoch seconds, bare ``HH:MM``) into datetimes.

Bare clock times (``"12:32"``, as in exports that drop the date) are placed on one nominal day,
1970-01-01, and roll over to the next day when the clock goes back by more than
:data:`ROLLOVER_GAP` (``23:58`` then ``00:03``). Only differences between times are meaningful
then, and the conversation's metadata says so (``time_has_date = False``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

#: A bare clock time, ``H:MM`` or ``HH:MM:SS``.
CLOCK = re.compile(r"^\s*(?P<h>\d{1,2})[:hH](?P<m>\d{2})(?::(?P<s>\d{2}))?\s*$")
#: The day bare clock times are placed on.
NOMINAL_DAY = date(1970, 1, 1)
#: A clock that goes back by more than this is read as having passed midnight.
ROLLOVER_GAP = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class ParsedTime:
    """One parsed value: a datetime, or a clock time still to be placed on a day."""

    value: datetime | None
    clock: time | None = None
    resolution: str = "second"


def parse_time(value: Any) -> ParsedTime:
    """Parse one source value; raise ValueError with the reason when it is not a time.

    Accepts None / "" (untimed), datetimes and pandas Timestamps, epoch seconds (int or float),
    ISO-8601 strings (with ``Z`` or an offset, or naive) and bare ``HH:MM[:SS]`` clock times.
    Any other value, a non-finite number (``NaN``, ``Infinity``) or an epoch outside the years
    1-9999 raises ValueError: never another exception, whatever the input.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ParsedTime(None)
    if hasattr(value, "to_pydatetime") and not isinstance(value, str):
        value = value.to_pydatetime()  # pandas Timestamp (NaT stays NaT)
    if isinstance(value, datetime):
        if value != value:  # pandas NaT
            return ParsedTime(None)
        return ParsedTime(value)
    if isinstance(value, bool):
        raise ValueError("is a boolean")
    if isinstance(value, int | float):
        return ParsedTime(_from_epoch(value))
    if not isinstance(value, str):
        raise ValueError(f"is a {type(value).__name__}")
    match = CLOCK.match(value)
    if match:
        hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError("is not a valid clock time")
        resolution = "second" if match["s"] else "minute"
        return ParsedTime(None, time(hour, minute, second), resolution)
    text = value.strip()
    try:
        return ParsedTime(datetime.fromisoformat(text))
    except ValueError:
        pass
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return ParsedTime(_from_epoch(float(text)))
    raise ValueError("is not an ISO-8601 date-time, epoch seconds or HH:MM time")


def _from_epoch(seconds: float) -> datetime:
    """Epoch seconds as a UTC datetime; ValueError for NaN, infinities and years out of range."""
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError(f"is not a finite number ({seconds})")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(
            "is epoch seconds outside the years 1-9999 (a time in milliseconds or "
            "microseconds must be divided first)"
        ) from None


def place_clock_times(parsed: list[ParsedTime]) -> list[datetime | None]:
    """Place a conversation's times on a timeline, rolling bare clock times over at midnight."""
    placed: list[datetime | None] = []
    day = NOMINAL_DAY
    previous: datetime | None = None
    for item in parsed:
        if item.clock is None:
            placed.append(item.value)
            continue
        current = datetime.combine(day, item.clock)
        if previous is not None and previous - current > ROLLOVER_GAP:
            day += timedelta(days=1)
            current = datetime.combine(day, item.clock)
        placed.append(current)
        previous = current
    return placed


def coarsest_resolution(parsed: list[ParsedTime]) -> str | None:
    """``"minute"`` if any clock time lacks seconds, ``"second"`` otherwise; None if untimed."""
    kinds = {p.resolution for p in parsed if p.value is not None or p.clock is not None}
    if not kinds:
        return None
    return "minute" if "minute" in kinds else "second"
