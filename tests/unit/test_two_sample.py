"""The classifier two-sample test on real chorales, on tiny budgets: it must call two halves of
real music indistinguishable and must catch obviously different music."""

from __future__ import annotations

import numpy as np
import pytest

from model import two_sample as T


@pytest.fixture(scope="module")
def real():
    from model import data as D

    return D.build(["collection:bach-chorales"], max_pieces=40).rolls


def accompaniment_up_a_tritone(roll: np.ndarray) -> np.ndarray:
    """The melody kept, alto, tenor and bass moved up 6 semitones: every vertical interval wrong."""
    shifted = roll.copy()
    shifted[:, :, 1:] = False
    shifted[:, 6:, 1:] = roll[:, :-6, 1:]
    return shifted


def test_windows_are_bar_aligned_cropped_and_skip_silence():
    roll = np.zeros((80, 128, 4), dtype=bool)
    roll[0:8, 60, 0] = True
    roll[64:70, T.LOW_PITCH, 3] = True
    cut = T.windows(roll)
    assert cut.shape == (1, T.WINDOW_STEPS, T.PITCH_COUNT, T.VOICES)  # 32-63 is silent, 64-79 too short
    assert cut[0, 0:8, 60 - T.LOW_PITCH, 0].all()
    assert T.windows(roll, 60, 12).shape == (1, T.WINDOW_STEPS, 12, T.VOICES)  # another band: C4 up an octave


def test_real_against_real_is_a_coin_toss(real):
    result = T.null_accuracy(real, seed=0, max_epochs=8, patience=2)
    assert abs(result.accuracy - 0.5) < 0.12, result
    assert result.real_windows > 50 and result.generated_windows > 50


def test_a_wrong_accompaniment_is_caught_and_the_answer_is_repeatable(real):
    wrong = [accompaniment_up_a_tritone(roll) for roll in real]
    first = T.two_sample_accuracy(real, wrong, seed=3, max_epochs=8, patience=2)
    assert first.accuracy > 0.8, first
    assert first.real_windows == first.generated_windows
    assert T.two_sample_accuracy(real, wrong, seed=3, max_epochs=8, patience=2) == first


def test_too_few_pieces_for_the_folds_is_refused(real):
    with pytest.raises(ValueError, match="folds"):
        T.two_sample_accuracy(real[:3], real[3:6])
