"""Now, and how far ahead of it an event may be: one rule for ingest checks and for default dates.

Timestamps are naive UTC. A source's clock or time zone may be off by hours, so events up to
``FUTURE_TOLERANCE`` ahead of now are accepted; anything later (a 2999 typo, a wrong epoch unit)
is a bad row at ingest, and rows like it already in a database are ignored when a command picks a
default date (so "the day after the last event" is never in the future because of them).
"""

from __future__ import annotations

import datetime as dt

FUTURE_TOLERANCE = dt.timedelta(days=1)
# How long after the day after the last event a lifetime-value fit's --as-of may be: a fit as of a
# later date than the data is legitimate (the weeks since count as weeks without purchases), a date
# years or centuries past the data (2062 for 2026, 2999) is a typo.
AS_OF_GRACE = dt.timedelta(days=365)


def utc_now() -> dt.datetime:
    """Now as naive UTC, like ``events.ts``."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def future_limit() -> dt.datetime:
    """The latest acceptable event time: now (UTC) plus the tolerance."""
    return utc_now() + FUTURE_TOLERANCE


def describe_tolerance() -> str:
    """``"1 day"``, ``"6 hours"``: the tolerance as the messages give it."""
    hours = FUTURE_TOLERANCE.total_seconds() / 3600
    days = int(hours // 24)
    if hours % 24 == 0:
        return f"{days} day" + ("" if days == 1 else "s")
    return f"{int(hours)} hour" + ("" if int(hours) == 1 else "s")
