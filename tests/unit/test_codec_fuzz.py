"""Fuzzing the upload path: any bytes, random or mutated from real files, end in a valid melody or a
typed 4xx error with a message, never another exception (which the API would turn into a 500)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import ComposerError
from shared.music.melody_rules import MAX_BARS, melody_from_midi
from shared.music.midi_codec import write_midi
from shared.music.samples import SAMPLES

SEEDS = [write_midi(s.score()) for s in SAMPLES]


def _upload(data: bytes) -> None:
    try:
        score = melody_from_midi(data)
    except ComposerError as exc:
        assert 400 <= exc.status < 500
        assert exc.message and exc.code
        return
    assert len(score.tracks) == 1 and score.tracks[0].notes
    assert score.bars <= MAX_BARS


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_mutated_real_files_never_escape_as_unhandled_errors(seed, edits, cut):
    data = bytearray(seed)
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _upload(bytes(data))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_with_a_midi_header(tail):
    _upload(b"MThd\x00\x00\x00\x06" + tail)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _upload(data)
