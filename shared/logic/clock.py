"""The one clock the logic reads, so that leases and timestamps agree (and tests can move time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z``, millisecond precision: sortable and what the wire schema parses."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
