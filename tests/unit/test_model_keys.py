"""Key estimation on hand-made melodies whose keys are plain."""

from __future__ import annotations

import numpy as np

from model import keys as K


def melody(*notes: tuple[int, int]) -> np.ndarray:
    """(pitch, length) notes one after another as a (steps, 128) roll."""
    roll = np.zeros((sum(length for _, length in notes), 128), dtype=bool)
    start = 0
    for pitch, length in notes:
        roll[start : start + length, pitch] = True
        start += length
    return roll


def test_key_estimation_finds_the_tonic_and_mode():
    c_major = melody(*[(p, 8 if p in (60, 67) else 4) for p in (60, 64, 67, 65, 62, 60, 67, 59)])
    assert K.estimate_key(K.pitch_class_histogram(c_major)) == (0, "major")
    a_minor = melody(*[(p, 4) for p in (69, 72, 76, 69, 71, 68, 69, 64)])
    assert K.estimate_key(K.pitch_class_histogram(a_minor)) == (9, "minor")
    assert K.estimate_key(np.zeros(12)) is None
    assert K.key_name((6, "minor")) == "f#-minor"


def test_scales_minor_has_the_raised_leading_tone():
    assert K.scale_pitch_classes((0, "major")) == {0, 2, 4, 5, 7, 9, 11}
    assert K.scale_pitch_classes((9, "minor")) == {9, 11, 0, 2, 4, 5, 7, 8}
