"""Atomic file writes that are safe when several processes write the same file.

Two training jobs (or two test workers) may build the same cached data set at the same moment; a fixed
temporary name lets one writer rename the other's file away mid-write. Each write here goes to its own
temporary name in the target's folder and is then renamed over the target, so readers see either the
old file or a whole new one, and concurrent writers of identical content cannot break each other.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` with a private temporary path beside ``path`` (same suffix), then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, value: object) -> None:
    """``value`` as JSON at ``path``, atomically."""
    write_atomically(path, lambda tmp: tmp.write_text(json.dumps(value)))
