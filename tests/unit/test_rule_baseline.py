"""The honest rule baseline on real held-out chorale sopranos: plain correct harmony, melody kept."""

from __future__ import annotations

import numpy as np
import pytest

from model import figures as F
from model import rule_baseline as R

HELD_OUT_CHORALES = ("bach/bwv113.8.mxl", "bach/bwv13.6.mxl", "bach/bwv287.mxl")


@pytest.fixture(scope="module")
def chorales():
    from music21 import corpus

    from model import data as D

    assert all(D.is_held_out(path) for path in HELD_OUT_CHORALES)
    return [F.voices_from_score(corpus.parse(path)) for path in HELD_OUT_CHORALES]


def test_the_baseline_keeps_the_soprano_and_writes_plain_chords_without_parallels(chorales):
    pieces = []
    for voices, key in chorales:
        harmonised = R.harmonise(voices["S"], key)
        assert harmonised["S"] == voices["S"]
        assert harmonised["A"] and harmonised["T"] and harmonised["B"]
        pieces.append(F.piece_counts(harmonised, key))
    figures = F.summarise(pieces)["figures"]
    assert figures["par58_note_per100"] < 0.1
    assert figures["chord_beats_pct"] > 90
    assert figures["hollow_beats_pct"] < 3
    assert figures["crossing_pct"] == 0.0
    assert figures["spacing_viol_pct"] == 0.0
    assert figures["out_of_range_pct"] < 1  # the soprano's own notes are the only ones that may stray


def test_each_beat_has_its_melody_note_in_the_chord_and_its_root_in_the_bass(chorales):
    voices, key = chorales[0]
    harmonised = R.harmonise(voices["S"], key)
    pitch, _ = F._grid(harmonised)
    for t in range(0, pitch.shape[1], F.STEPS_PER_BEAT):
        column = [int(p) for p in pitch[:, t] if p >= 0]
        if len(column) < 4:
            continue
        classes = {p % 12 for p in column}
        bass = pitch[3, t] % 12
        # the bass is the root: the chord's shape above the bass is a root-position triad or 7th
        shape = frozenset((pc - bass) % 12 for pc in classes)
        assert shape in {*F.TRIADS, *F.SEVENTHS}, (t, column)


def test_a_melody_outside_the_key_and_above_the_soprano_range_is_still_harmonised():
    melody = [(0, 4, 84), (4, 8, 85), (8, 12, 86), (12, 16, 84)]  # C6 C#6 D6 C6 in C major
    harmonised = R.harmonise(melody, (0, "major"))
    assert harmonised["S"] == melody
    for name in F.ACCOMPANIMENT:
        low, high = F.VOICE_RANGES[name]
        assert [n[:2] for n in harmonised[name]] == [(0, 4), (4, 8), (8, 12), (12, 16)]
        assert all(low <= p <= high for *_, p in harmonised[name])
    figures = F.piece_figures(harmonised, (0, "major"))
    assert figures["chord_beats_pct"] == 100.0


def test_the_roll_form_keeps_the_melody_track_exactly():
    melody = np.zeros((32, 128), dtype=bool)
    for start, stop, pitch in ((0, 8, 67), (8, 12, 69), (12, 16, 71), (16, 24, 72), (24, 32, 71)):
        melody[start:stop, pitch] = True
    melody[16:20, 64] = True  # a second melody pitch under the first: kept too
    roll = R.harmonise_roll(melody, (7, "major"))
    assert roll.shape == (32, 128, 4)
    assert np.array_equal(roll[:, :, 0], melody)
    assert roll[:, :, 1:].any(axis=1).all()  # alto, tenor and bass sound on every step
