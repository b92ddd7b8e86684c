"""Each metric on hand-made piano rolls whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import metrics as M

C_MAJOR = (0, "major")


def roll_of(steps: int, *notes: tuple[int, int, int, int], tracks: int = 1) -> np.ndarray:
    """notes are (track, start step, pitch, length)."""
    roll = np.zeros((steps, 128, tracks), dtype=bool)
    for track, start, pitch, length in notes:
        roll[start : start + length, pitch, track] = True
    return roll


def test_empty_bar_rate_counts_empty_bars_not_full_ones():
    # 4 bars of 16 steps; notes only in bars 0 and 2 -> half the bars are empty
    roll = roll_of(64, (0, 0, 60, 4), (0, 33, 62, 2))[:, :, 0]
    assert M.empty_bar_rate(roll) == 0.5
    assert M.empty_bar_rate(np.zeros((64, 128), bool)) == 1.0


def test_pitch_classes_per_bar_averages_over_non_empty_bars_and_folds_octaves():
    # bar 0: C4, C5, E4 -> {C, E} = 2; bar 1 empty (skipped); bar 2: D, F, A -> 3
    roll = roll_of(48, (0, 0, 60, 2), (0, 2, 72, 2), (0, 4, 64, 2), (0, 32, 62, 2), (0, 34, 65, 2), (0, 36, 69, 2))
    assert M.pitch_classes_per_bar(roll[:, :, 0]) == 2.5
    assert math.isnan(M.pitch_classes_per_bar(np.zeros((16, 128), bool)))


def test_polyphony_is_the_share_of_sounding_steps_with_two_or_more_pitches():
    # steps 0-3: one note; steps 4-5: two notes; 6-7 silent -> 2 of 6 sounding steps
    roll = roll_of(8, (0, 0, 60, 6), (0, 4, 64, 2))
    assert M.polyphony_rate(roll[:, :, 0]) == pytest.approx(2 / 6)


def test_in_key_ratio_counts_notes_not_steps():
    # C major: C (8 steps), D, F# (out), G -> 3 of 4 notes, whatever their lengths
    roll = roll_of(16, (0, 0, 60, 8), (0, 8, 62, 1), (0, 9, 66, 6), (0, 15, 67, 1))
    assert M.in_key_ratio(roll[:, :, 0], C_MAJOR) == 0.75
    # A minor includes the raised leading tone G#, not F#
    roll = roll_of(4, (0, 0, 68, 1), (0, 1, 66, 1), (0, 2, 69, 1))
    assert M.in_key_ratio(roll[:, :, 0], (9, "minor")) == pytest.approx(2 / 3)


def test_random_rolls_are_not_in_key_by_construction():
    """The notebook's C-major rate gave ~7/12 for any roll; ours follows the key of the melody."""
    rng = np.random.default_rng(0)
    roll = np.zeros((64, 128), bool)
    for step in range(0, 64, 2):
        roll[step, rng.integers(48, 84)] = True
    assert 0.45 < M.in_key_ratio(roll, C_MAJOR) < 0.75
    c_scale = roll_of(32, *[(0, i * 4, p, 4) for i, p in enumerate((60, 62, 64, 65, 67, 69, 71, 72))])
    assert M.in_key_ratio(c_scale[:, :, 0], C_MAJOR) == 1.0


def test_qualified_notes_are_those_of_three_steps_or_more():
    roll = roll_of(16, (0, 0, 60, 3), (0, 3, 62, 2), (0, 5, 64, 1), (0, 6, 65, 8))
    assert M.qualified_note_rate(roll[:, :, 0]) == 0.5


def test_note_runs_split_at_silences_and_keep_pitches_apart():
    roll = roll_of(10, (0, 0, 60, 3), (0, 5, 60, 2), (0, 1, 50, 9))[:, :, 0]
    assert sorted(M.note_runs(roll)) == [(0, 60, 3), (1, 50, 9), (5, 60, 2)]


def test_key_estimation_finds_the_tonic_and_mode():
    c_major = roll_of(
        32, *[(0, i * 4, p, 4 if p not in (60, 67) else 8) for i, p in enumerate((60, 64, 67, 65, 62, 60, 67, 59))]
    )
    assert M.estimate_key(M.pitch_class_histogram(c_major[:, :, 0])) == (0, "major")
    a_minor = roll_of(32, *[(0, i * 4, p, 4) for i, p in enumerate((69, 72, 76, 69, 71, 68, 69, 64))])
    assert M.estimate_key(M.pitch_class_histogram(a_minor[:, :, 0])) == (9, "minor")
    assert M.estimate_key(np.zeros(12)) is None
    assert M.key_name((6, "minor")) == "f#-minor"


def test_tonal_distance_is_zero_for_the_same_chroma_and_grows_with_dissonance():
    melody = roll_of(16, (0, 0, 60, 16))[:, :, 0]
    octave = roll_of(16, (0, 0, 48, 16))[:, :, 0]
    fifth = roll_of(16, (0, 0, 55, 16))[:, :, 0]
    tritone = roll_of(16, (0, 0, 54, 16))[:, :, 0]
    assert M.tonal_distance(melody, octave) == pytest.approx(0.0)
    assert 0 < M.tonal_distance(melody, fifth) < M.tonal_distance(melody, tritone)
    # C vs F#: each centroid has norm sqrt(1 + 1 + 0.25) = 1.5; the fifths circle and the major
    # third circle put them opposite, the minor third circle at the same point -> distance 2*sqrt(2)
    assert M.tonal_distance(melody, tritone) == pytest.approx(2 * math.sqrt(2))
    assert math.isnan(M.tonal_distance(melody, np.zeros((16, 128), bool)))


def test_track_metrics_take_the_key_from_the_melody():
    # melody in F# major (F# G# A# B C# D# F); accompaniment plays C (out of F# major, in C major)
    melody_pitches = (66, 68, 70, 71, 73, 75, 77, 78)
    roll = roll_of(32, *[(0, i * 4, p, 4) for i, p in enumerate(melody_pitches)], (1, 0, 48, 32), tracks=2)
    result = M.track_metrics(roll)
    assert result["inKey"] == [1.0, 0.0]
    assert math.isnan(result["tonalDistance"][0]) and result["tonalDistance"][1] > 0


def test_similarity_is_one_for_identical_metrics_and_drops_by_the_documented_distance():
    real = {name: [0.5, 0.5, 0.5, 0.5] for name in M.METRICS}
    real["pitchClasses"] = [3.0, 3.0, 3.0, 3.0]
    assert M.similarity(real, real) == 1.0
    worse = {k: list(v) for k, v in real.items()}
    worse["inKey"] = [0.5, 0.3, 0.3, 0.3]  # rate: distance 0.2 on 3 tracks
    worse["pitchClasses"] = [3.0, 4.5, 4.5, 4.5]  # relative: 1.5 / 3 = 0.5 on 3 tracks
    expected = 1 - (3 * 0.2 + 3 * 0.5) / 18  # 6 metrics x 3 accompaniment tracks
    assert M.similarity(worse, real) == pytest.approx(expected)
    missing = {k: list(v) for k, v in real.items()}
    missing["qualifiedNotes"] = [0.5, math.nan, math.nan, math.nan]  # undefined model value = distance 1
    assert M.similarity(missing, real) == pytest.approx(1 - 3 / 18)


def test_aggregate_skips_undefined_values():
    a = {name: [1.0, math.nan] for name in M.METRICS}
    b = {name: [0.0, 2.0] for name in M.METRICS}
    result = M.aggregate([a, b])
    assert result["inKey"] == [0.5, 2.0]
    assert M.finite({"x": math.nan, "y": 0.123456}) == {"y": 0.1235}
