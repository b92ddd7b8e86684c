"""Key estimation (Krumhansl-Kessler profiles), the one definition the data tags, the music
figures' pitch-class histogram and the baselines use.

A key is ``(tonic pitch class, "major" | "minor")``; a major key's scale is its 7 degrees, a
minor key's is the natural minor plus the raised leading tone (harmonic minor's), 8 classes.
"""

from __future__ import annotations

import numpy as np

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)
PITCH_CLASS_NAMES = ("c", "c#", "d", "eb", "e", "f", "f#", "g", "ab", "a", "bb", "b")

# Krumhansl-Kessler key profiles, index 0 = tonic.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_PROFILES = np.stack([np.roll(profile, tonic) for profile in (_MAJOR_PROFILE, _MINOR_PROFILE) for tonic in range(12)])
_PROFILES_CENTRED = _PROFILES - _PROFILES.mean(axis=1, keepdims=True)
_PROFILES_CENTRED /= np.linalg.norm(_PROFILES_CENTRED, axis=1, keepdims=True)
_KEYS = [(tonic, mode) for mode in ("major", "minor") for tonic in range(12)]
_FOLD = (np.arange(128)[:, None] % 12 == np.arange(12)[None, :]).astype(np.float64)  # pitch -> pitch class


def pitch_class_histogram(track_roll: np.ndarray) -> np.ndarray:
    """Sounding steps per pitch class of a ``(steps, pitches)`` roll (duration-weighted)."""
    roll = np.asarray(track_roll, dtype=bool)
    result: np.ndarray = roll.sum(axis=0) @ _FOLD[: roll.shape[1]]
    return result


def estimate_key(histogram: np.ndarray) -> tuple[int, str] | None:
    """(tonic pitch class, "major" | "minor") best correlated with the histogram, None if silent.
    Ties go to the first of C..B major, then C..B minor."""
    histogram = np.asarray(histogram, dtype=float)
    if histogram.sum() <= 0 or np.ptp(histogram) == 0:
        return None
    centred = histogram - histogram.mean()
    scores = _PROFILES_CENTRED @ (centred / np.linalg.norm(centred))  # Pearson correlation with each key
    return _KEYS[int(np.argmax(scores))]


def key_name(key: tuple[int, str]) -> str:
    return f"{PITCH_CLASS_NAMES[key[0]]}-{key[1]}"


def scale_pitch_classes(key: tuple[int, str]) -> frozenset[int]:
    tonic, mode = key
    return frozenset((tonic + d) % 12 for d in (MAJOR_SCALE if mode == "major" else MINOR_SCALE))
