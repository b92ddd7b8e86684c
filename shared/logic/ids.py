"""Resource ids: a kind prefix (readable in logs) plus a time-ordered random part, so an owner's
items list oldest first and an id never collides across owners.
"""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """E.g. ``mel-0193f0c2a1b4-3f9c1e7a2b`` (hex milliseconds since the epoch, then 40 random bits)."""
    return f"{prefix}-{int(time.time() * 1000):012x}-{secrets.token_hex(5)}"
