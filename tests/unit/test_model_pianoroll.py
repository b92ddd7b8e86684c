"""The piano-roll codec: an exact inverse for quantised notes, and a faithful decoder of binary rolls."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.music.pianoroll import (
    HOLD,
    ONSET,
    PITCHES,
    crop,
    is_quantised,
    notes_to_roll,
    pitch_span,
    roll_to_notes,
    roll_to_score,
    score_to_roll,
    uncrop,
)
from shared.music.score import Note, Score, Track

TPB = 480
STEP = TPB // 4


@st.composite
def quantised_tracks(draw):
    """Tracks of step-aligned notes with no same-pitch overlap (what a roll can hold)."""
    tracks = []
    for _ in range(draw(st.integers(1, 4))):
        raw = draw(
            st.lists(
                st.tuples(st.integers(0, 127), st.integers(0, 63), st.integers(1, 16), st.integers(1, 127)), max_size=30
            )
        )
        notes, busy = [], {}
        for pitch, start, length, _velocity in sorted(raw, key=lambda n: n[1]):
            if start >= busy.get(pitch, -1):
                notes.append(Note(start * STEP, pitch, length * STEP, 90))
                busy[pitch] = start + length
        tracks.append(Track(notes=sorted(notes)))
    return tracks


@settings(max_examples=60, deadline=None)
@given(quantised_tracks())
def test_round_trip_is_exact_for_quantised_notes(tracks):
    score = Score(tracks=tracks, ticks_per_beat=TPB)
    back = roll_to_score(score_to_roll(score), ticks_per_beat=TPB)
    assert [t.notes for t in back.tracks] == [t.notes for t in tracks]


def test_repeated_notes_stay_apart_from_one_long_note():
    repeated = [Note(0, 60, 4 * STEP, 90), Note(4 * STEP, 60, 4 * STEP, 90)]
    held = [Note(0, 60, 8 * STEP, 90)]
    a, b = notes_to_roll(repeated, TPB), notes_to_roll(held, TPB)
    assert a[:, 60].tolist() == [ONSET, HOLD, HOLD, HOLD, ONSET, HOLD, HOLD, HOLD]
    assert b[:, 60].tolist() == [ONSET] + [HOLD] * 7
    assert roll_to_notes(a, TPB) == repeated
    assert roll_to_notes(b, TPB) == held


def test_binary_roll_decodes_each_run_as_one_note():
    roll = np.zeros((8, PITCHES), dtype=bool)
    roll[0:3, 64] = True
    roll[5:8, 64] = True
    roll[2:4, 40] = True
    assert roll_to_notes(roll, TPB, velocity=70) == [
        Note(0, 64, 3 * STEP, 70),
        Note(2 * STEP, 40, 2 * STEP, 70),
        Note(5 * STEP, 64, 3 * STEP, 70),
    ]


def test_off_grid_notes_snap_to_the_nearest_step_and_last_at_least_one():
    roll = notes_to_roll([Note(130, 60, 10, 90), Note(170, 62, 250, 90)], TPB)
    # 130 ticks ~ step 1.08 -> 1, lasting 10 ticks -> at least one step; 170 -> step 1.42 -> 1 .. 420 -> 3.5 -> 4
    assert roll[:, 60].tolist() == [0, ONSET, 0, 0]
    assert roll[:, 62].tolist() == [0, ONSET, HOLD, HOLD]
    assert not is_quantised(Note(130, 60, 10, 90), TPB) and is_quantised(Note(120, 60, 360, 90), TPB)


def test_crop_and_uncrop_map_back_exactly_inside_the_band():
    roll = np.zeros((4, PITCHES, 2), dtype=np.uint8)
    roll[0, 40, 0] = ONSET
    roll[1, 80, 1] = HOLD
    cropped = crop(roll, 34, 48)
    assert cropped.shape == (4, 48, 2)
    assert np.array_equal(uncrop(cropped, 34), roll)
    assert pitch_span(roll) == (40, 80)
    assert pitch_span(np.zeros((4, PITCHES, 1))) is None
