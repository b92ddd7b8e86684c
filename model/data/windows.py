"""Training windows cut from whole-piece rolls: which (piece, start, transposition) fit the
model's pitch band, and the windows themselves as dense arrays. Shared by every technique that
trains on fixed-length windows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WINDOW_STEPS = 32
HOP_STEPS = 16
LOW_PITCH = 34  # the model's pitch band: 34 (B-flat 1) .. 81 (A5), 48 pitches
PITCH_COUNT = 48
TRANSPOSITIONS = tuple(range(-5, 7))  # every key once, centred on the original


def window_index(
    rolls: Sequence[np.ndarray],
    transpositions: Sequence[int] = TRANSPOSITIONS,
    low: int = LOW_PITCH,
    count: int = PITCH_COUNT,
    steps: int = WINDOW_STEPS,
    hop: int = HOP_STEPS,
) -> np.ndarray:
    """(roll, start step, shift) of every usable window of ``steps`` steps every ``hop`` steps:
    the melody sounds in it and every note fits the pitch band after transposing by ``shift``
    semitones."""
    rows = []
    for r, roll in enumerate(rolls):
        last = max(roll.shape[0] - steps, 0)
        for start in range(0, last + 1, hop):
            window = roll[start : start + steps]
            if window.shape[0] < steps or not window[:, :, 0].any():
                continue
            sounding = np.nonzero(window.any(axis=(0, 2)))[0]
            lowest, highest = int(sounding[0]), int(sounding[-1])
            for shift in transpositions:
                if lowest + shift >= low and highest + shift < low + count:
                    rows.append((r, start, shift))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def piece_windows(roll: np.ndarray) -> int:
    """How many training windows one piece gives: ``window_index``'s rows with its defaults (2-bar
    windows every bar, in every transposition that keeps all voices in the band). The index records
    it per piece, so the API can size a data set and estimate a job's time without the corpus."""
    return len(window_index([roll]))


def gather(
    rolls: Sequence[np.ndarray],
    rows: np.ndarray,
    low: int = LOW_PITCH,
    count: int = PITCH_COUNT,
    steps: int = WINDOW_STEPS,
) -> np.ndarray:
    """The windows as a ``(n, steps, count, 4)`` bool array, transposed and cropped."""
    out = np.empty((len(rows), steps, count, rolls[0].shape[2] if len(rolls) else 0), dtype=bool)
    for i, (r, start, shift) in enumerate(rows):
        out[i] = rolls[r][start : start + steps, low - shift : low - shift + count]
    return out


def melody_profiles(rolls: Sequence[np.ndarray]) -> np.ndarray:
    """(pieces, 12): each piece's melody pitch-class profile (duration-weighted, max = 1), the
    key information the generator is conditioned on."""
    out = np.zeros((len(rolls), 12), dtype=np.float32)
    for i, roll in enumerate(rolls):
        out[i] = normalised_profile(roll[:, :, 0])
    return out


def normalised_profile(melody: np.ndarray) -> np.ndarray:
    histogram = np.bincount(np.arange(melody.shape[1]) % 12, weights=melody.sum(axis=0), minlength=12)
    peak = histogram.max()
    return (histogram / peak if peak > 0 else histogram).astype(np.float32)


def gather_profiles(profiles: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The profile of each window's piece, rotated by the window's transposition."""
    return (
        np.stack([np.roll(profiles[r], shift) for r, _, shift in rows]) if len(rows) else np.zeros((0, 12), np.float32)
    )
