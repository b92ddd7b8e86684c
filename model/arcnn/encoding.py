"""The AR-CNN's two views of music, and the one definition of the corruption enhance undoes.

- **Voices** (``harmonize``): four voices (soprano, alto, tenor, bass) as one class per voice per
  step, class 0 = rest and ``1 .. PITCH_COUNT`` = the pitches of the band, on a grid of
  ``VOICE_STRIDE`` data steps (2 steps per beat: eighth notes). Each voice sings one note at a time,
  so a softmax over the classes per voice per step is the exact output space (Coconet's).
- **Track** (``enhance``): one binary ``(steps, PITCH_COUNT)`` roll on the data grid (4 steps per
  beat), all voices merged, as DeepComposer's AR-CNN saw its single track.

Both use the data layer's pitch band (``LOW_PITCH`` .. ``LOW_PITCH + PITCH_COUNT - 1``); a melody
outside it is moved by whole octaves (``octave_shift``) and moved back afterwards.
"""

from __future__ import annotations

import numpy as np

from model.data import LOW_PITCH, PITCH_COUNT, TRANSPOSITIONS
from shared.music.pianoroll import note_runs

VOICES = 4
REST = 0
CLASSES = PITCH_COUNT + 1  # rest + the band
VOICE_STRIDE = 2  # data steps (16ths) per voice step: the voice grid is eighth notes
SOPRANO_CENTRE = 69.0  # mean soprano pitch of the chorales' training split, rounded (A4)


def voice_pitches(roll: np.ndarray, stride: int = VOICE_STRIDE) -> np.ndarray:
    """``(steps // stride, 4)`` MIDI pitches (-1 = rest) from a ``(steps, 128, 4)`` binary roll:
    the highest pitch each voice sounds at the start of each voice step."""
    sampled = np.asarray(roll, dtype=bool)[::stride]
    top = 127 - np.argmax(sampled[:, ::-1, :], axis=1)
    return np.where(sampled.any(axis=1), top, -1).astype(np.int64)


def to_classes(pitches: np.ndarray, shift: int = 0) -> np.ndarray:
    """Pitches (-1 = rest) moved by ``shift`` semitones to classes; a pitch outside the band is an error."""
    moved = np.where(pitches >= 0, pitches + shift - LOW_PITCH + 1, REST)
    if moved.min(initial=0) < 0 or moved.max(initial=0) >= CLASSES:
        raise ValueError("a pitch falls outside the model's band after the shift")
    return moved


def to_pitches(classes: np.ndarray, shift: int = 0) -> np.ndarray:
    """The inverse of ``to_classes``: MIDI pitches with -1 for rests."""
    return np.where(classes > REST, classes + LOW_PITCH - 1 - shift, -1)


def fitting_shifts(lowest: int, highest: int, shifts: tuple[int, ...] = TRANSPOSITIONS) -> list[int]:
    """The transpositions that keep a pitch range inside the band."""
    return [s for s in shifts if lowest + s >= LOW_PITCH and highest + s < LOW_PITCH + PITCH_COUNT]


def octave_shift(pitches: np.ndarray, centre: float) -> int:
    """Whole octaves that bring the sounding pitches' mean nearest ``centre`` while keeping them in
    the band where possible (the key is kept and the shift undoes exactly)."""
    sounding = pitches[pitches >= 0]
    if not len(sounding):
        return 0
    best = 12 * round((centre - float(sounding.mean())) / 12)
    candidates = sorted(range(-48, 49, 12), key=lambda s: abs(s - best))
    for shift in candidates:
        if sounding.min() + shift >= LOW_PITCH and sounding.max() + shift < LOW_PITCH + PITCH_COUNT:
            return shift
    return best


def fold_into_band(pitches: np.ndarray, shift: int) -> np.ndarray:
    """Pitches (-1 = rest) that would leave the band after ``shift`` moved by octaves into it: a
    melody wider than the band keeps its pitch classes."""
    out = pitches.copy()
    sounding = out >= 0
    while (sounding & (out + shift < LOW_PITCH)).any():
        out[sounding & (out + shift < LOW_PITCH)] += 12
    while (sounding & (out + shift >= LOW_PITCH + PITCH_COUNT)).any():
        out[sounding & (out + shift >= LOW_PITCH + PITCH_COUNT)] -= 12
    return out


def merged_track(roll: np.ndarray) -> np.ndarray:
    """``(steps, 128)``: every voice of a ``(steps, 128, voices)`` roll on one track."""
    # numpy's stub types any(axis=...) as scalar-or-array; with an axis of a 3-d array it is an array
    return np.asarray(roll, dtype=bool).any(axis=2)  # type: ignore[return-value]


def band(track: np.ndarray, shift: int = 0) -> np.ndarray:
    """A ``(steps, 128)`` track moved by ``shift`` semitones and cropped to the band."""
    low = LOW_PITCH - shift
    out = np.zeros((track.shape[0], PITCH_COUNT), dtype=bool)
    lo, hi = max(low, 0), min(low + PITCH_COUNT, track.shape[1])
    out[:, lo - low : hi - low] = track[:, lo:hi]
    return out


def corrupt(
    track: np.ndarray, rng: np.random.Generator, removed: float, added: float, max_length: int = 8
) -> np.ndarray:
    """A band track with a share ``removed`` of its notes (runs) deleted and ``added`` x its note
    count of random wrong notes written in (random pitch near the track's range, random onset,
    length 1-``max_length`` steps): what ``enhance`` learns to undo, and what its evaluation feeds it."""
    out = np.array(track, dtype=bool)
    runs = note_runs(out)
    for start, pitch, length in runs:
        if rng.random() < removed:
            out[start : start + length, pitch] = False
    steps, pitches = out.shape
    sounding = np.nonzero(track.any(axis=0))[0]
    low, high = (int(sounding[0]) - 4, int(sounding[-1]) + 4) if len(sounding) else (0, pitches - 1)
    low, high = max(low, 0), min(high, pitches - 1)
    for _ in range(int(round(added * len(runs)))):
        pitch = int(rng.integers(low, high + 1))
        start = int(rng.integers(0, steps))
        length = int(rng.choice([1, 2, 2, 4, 4, max_length]))
        out[start : start + length, pitch] = True
    return out
