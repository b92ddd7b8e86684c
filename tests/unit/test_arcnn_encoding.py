"""The AR-CNN's views of music, its corruption and its masks."""

from __future__ import annotations

import numpy as np
import pytest
from model.metrics import note_runs

from model.arcnn.encoding import (
    CLASSES,
    REST,
    band,
    corrupt,
    fitting_shifts,
    fold_into_band,
    octave_shift,
    to_classes,
    to_pitches,
    voice_pitches,
)
from model.arcnn.masks import mask_probability, training_masks
from model.data import LOW_PITCH, PITCH_COUNT


def test_classes_round_trip_and_refuse_pitches_outside_the_band():
    pitches = np.array([[60, 55, 48, 40], [-1, 57, 50, 36]])
    for shift in (-2, 0, 3):
        classes = to_classes(pitches, shift)
        assert classes[1, 0] == REST and classes.max() < CLASSES
        assert (to_pitches(classes, shift) == pitches).all()
    with pytest.raises(ValueError):
        to_classes(np.array([LOW_PITCH + PITCH_COUNT]))


def test_voice_pitches_takes_each_voices_top_note_on_the_eighth_grid():
    roll = np.zeros((4, 128, 4), dtype=bool)
    roll[0, 60, 0] = roll[0, 64, 0] = True  # a two-note chord in the soprano: its top note counts
    roll[1, 62, 0] = True  # a 16th off the eighth grid (step 1): not seen
    roll[2:4, 50, 3] = True
    assert voice_pitches(roll).tolist() == [[64, -1, -1, -1], [-1, -1, -1, 50]]


def test_octave_moves_keep_pitch_classes_and_land_in_the_band():
    melody = np.array([36, 40, 43, -1, 48])
    shift = octave_shift(melody, 69.0)
    assert shift % 12 == 0 and shift > 0
    wide = np.array([20, 60, 110, -1])
    folded = fold_into_band(wide, 0)
    assert (folded[wide >= 0] % 12 == wide[wide >= 0] % 12).all()
    assert folded[wide >= 0].min() >= LOW_PITCH and folded.max() < LOW_PITCH + PITCH_COUNT
    assert folded[3] == -1
    assert fitting_shifts(LOW_PITCH + 2, LOW_PITCH + PITCH_COUNT - 2) == [-2, -1, 0, 1]


def test_band_moves_and_crops_a_track():
    track = np.zeros((3, 128), dtype=bool)
    track[0, 60] = track[1, LOW_PITCH] = True
    moved = band(track, 2)
    assert moved.shape == (3, PITCH_COUNT)
    assert moved[0, 60 + 2 - LOW_PITCH] and moved[1, 2] and moved.sum() == 2


def _track(rng: np.random.Generator) -> np.ndarray:
    track = np.zeros((256, PITCH_COUNT), dtype=bool)
    for start in range(0, 256, 4):
        for pitch in rng.choice(np.arange(10, 30), size=3, replace=False):
            track[start : start + 4, pitch] = True
    return track


def test_corrupt_removes_and_adds_the_asked_shares():
    rng = np.random.default_rng(0)
    track = _track(rng)
    notes = len(note_runs(track))
    assert (corrupt(track, rng, removed=0.0, added=0.0) == track).all()
    only_removed = corrupt(track, rng, removed=0.3, added=0.0)
    assert not (only_removed & ~track).any()
    kept = len(note_runs(only_removed))
    assert 0.6 * notes < kept < 0.8 * notes
    only_added = corrupt(track, rng, removed=0.0, added=0.1)
    assert (only_added | ~track).all() and (only_added & ~track).any()
    assert corrupt(track, rng, removed=1.0, added=0.0).sum() == 0


def test_training_masks_always_ask_something_and_half_of_them_give_the_soprano():
    rng = np.random.default_rng(1)
    masks = training_masks(rng, 400, 32)
    assert masks.any(axis=(1, 2)).all()
    soprano_given = ~masks[:, :, 0].any(axis=1)
    assert 0.4 < soprano_given.mean() < 0.7
    sizes = masks.reshape(400, -1).mean(axis=1)
    assert sizes.min() < 0.1 and sizes.max() > 0.9  # orderless: every subset size occurs


def test_mask_probability_anneals_from_nearly_all_to_five_percent():
    values = [mask_probability(n, 100) for n in range(100)]
    assert values[0] == pytest.approx(0.999)
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))
    assert values[80] == values[-1] == pytest.approx(0.05)
