"""The journal under crashes: whatever point a writer dies at, a reader finds a prefix of what was
appended, each record byte for byte, and appending goes on after it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local.persistence.journal import MAGIC, Journal, encode

RECORDS = st.lists(
    st.tuples(
        st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=20)), max_size=4),
        st.binary(max_size=300),
    ),
    min_size=1,
    max_size=25,
)


def _read(path: Path) -> list[tuple[dict, bytes]]:
    journal = Journal.open(path)
    try:
        return [(r.header, r.body) for r in journal.records()]
    finally:
        journal.close()


@settings(max_examples=120, deadline=None)
@given(records=RECORDS, cut=st.floats(min_value=0, max_value=1), garbage=st.binary(max_size=12))
def test_a_journal_cut_anywhere_reads_back_a_whole_prefix(
    tmp_path_factory: pytest.TempPathFactory, records: list[tuple[dict, bytes]], cut: float, garbage: bytes
) -> None:
    """A crash mid-append leaves the file cut at any byte (and possibly a few bytes of junk after)."""
    path = tmp_path_factory.mktemp("journal") / "journal.log"
    journal = Journal.open(path)
    for header, body in records:
        journal.append(header, body)
    journal.close()
    data = path.read_bytes()
    cut_at = len(MAGIC) + int(cut * (len(data) - len(MAGIC)))
    path.write_bytes(data[:cut_at] + garbage)

    survived = _read(path)
    assert survived == records[: len(survived)], "a survivor differs from what was appended"
    whole = [len(MAGIC) + sum(len(encode(h, b)) for h, b in records[:n]) for n in range(len(records) + 1)]
    # (garbage that happens to complete the cut record byte for byte makes that record whole again)
    assert len(survived) >= max(n for n, end in enumerate(whole) if end <= cut_at), "a whole record was lost"

    journal = Journal.open(path)  # the torn tail was cut off: a new record lands right after the prefix
    journal.append({"after": "crash"}, b"x")
    journal.close()
    assert _read(path) == [*survived, ({"after": "crash"}, b"x")]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from local.persistence.journal import Journal

    journal = Journal.open(Path(sys.argv[1]))
    start = sum(1 for _ in journal.records())
    print("ready", flush=True)
    for i in range(start, start + 100000):
        journal.append({"i": i}, bytes([i % 251]) * (i * 7919 % 5000))
    """
)


def test_kill_9_at_random_moments_never_leaves_a_half_record(tmp_path: Path) -> None:
    """A real writer process SIGKILLed at random moments, five times over the same journal."""
    path = tmp_path / "journal.log"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = random.Random(17)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    counts = []
    for _ in range(5):
        writer = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, env=env)
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        records = _read(path)
        counts.append(len(records))
        assert [h["i"] for h, _ in records] == list(range(len(records)))
        assert all(body == bytes([h["i"] % 251]) * (h["i"] * 7919 % 5000) for h, body in records)
    assert counts == sorted(counts) and counts[-1] > counts[0], f"the writer made no progress: {counts}"
