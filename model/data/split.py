"""The held-out split: which pieces are never trained on."""

from __future__ import annotations

import hashlib

HELD_OUT_PER_MILLE = 100  # 10 % of the pieces, chosen by a hash of their corpus path


def is_held_out(path: str) -> bool:
    """The split is a pure function of the piece's path, so it never changes between builds."""
    digest = hashlib.sha256(path.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1000 < HELD_OUT_PER_MILLE
