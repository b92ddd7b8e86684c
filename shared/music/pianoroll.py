"""Score <-> piano roll: the one codec between notes and the arrays the model sees.

A roll is a ``uint8`` array of shape ``(steps, 128, tracks)`` at ``STEPS_PER_BEAT`` steps per beat.
Each cell is ``SILENT``, ``ONSET`` (a note starts on this step) or ``HOLD`` (a note sounds on from an
earlier step). Keeping onsets apart from holds is what makes the codec an exact inverse: two
repeated quarter notes and one half note are different rolls, so ``roll_to_score(score_to_roll(s))``
gives back every note of a quantised score (start, pitch, duration; velocity is not in a roll).

The model itself works on binarised rolls (``roll > 0``); a binary roll is decoded by treating every
run of sounding steps as one note, which is how a generated roll becomes MIDI.

The model crops the 128 pitches to a narrow band (``crop``/``uncrop``); uncropping pads with
silence, so a crop of a roll whose notes lie inside the band maps back exactly.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from shared.music.score import DEFAULT_TEMPO_US, Note, Score, Track

STEPS_PER_BEAT = 4
PITCHES = 128
SILENT, ONSET, HOLD = 0, 1, 2
DEFAULT_VELOCITY = 90
Steps = TypeVar("Steps", int, np.ndarray)  # one step, or an array of them


def ticks_to_step(ticks: int, ticks_per_beat: int) -> int:
    """The nearest step; halves round up so that a note never moves earlier than a later one."""
    return (2 * ticks * STEPS_PER_BEAT + ticks_per_beat) // (2 * ticks_per_beat)


def step_to_ticks(step: Steps, ticks_per_beat: int) -> Steps:
    """A step (or an array of steps) to ticks."""
    ticks: Steps = step * ticks_per_beat // STEPS_PER_BEAT
    return ticks


def is_quantised(note: Note, ticks_per_beat: int) -> bool:
    """Whether a note starts and ends exactly on steps, i.e. survives a round trip unchanged."""
    unit = ticks_per_beat / STEPS_PER_BEAT
    return float(note.start / unit).is_integer() and float(note.end / unit).is_integer()


def notes_to_roll(notes: list[Note], ticks_per_beat: int, steps: int | None = None) -> np.ndarray:
    """One track's notes as a ``(steps, 128)`` roll; notes are snapped to the nearest step and last
    at least one step. Where notes of one pitch overlap after snapping, the later onset wins."""
    spans = []
    for note in notes:
        start = ticks_to_step(note.start, ticks_per_beat)
        end = max(start + 1, ticks_to_step(note.end, ticks_per_beat))
        spans.append((start, end, note.pitch))
    length = max((end for _, end, _ in spans), default=0) if steps is None else steps
    roll = np.zeros((length, PITCHES), dtype=np.uint8)
    for start, end, pitch in sorted(spans):
        if start >= length:
            continue
        roll[start : min(end, length), pitch] = HOLD
        roll[start, pitch] = ONSET
    return roll


def score_to_roll(score: Score, steps: int | None = None) -> np.ndarray:
    """The whole score as a ``(steps, 128, tracks)`` roll; ``steps`` defaults to the last note's end."""
    if steps is None:
        steps = max(1, ticks_to_step(score.end_tick, score.ticks_per_beat)) if score.end_tick else 0
    tracks = [notes_to_roll(t.notes, score.ticks_per_beat, steps) for t in score.tracks]
    if not tracks:
        return np.zeros((steps, PITCHES, 0), dtype=np.uint8)
    return np.stack(tracks, axis=-1)


def roll_to_notes(roll: np.ndarray, ticks_per_beat: int, velocity: int = DEFAULT_VELOCITY) -> list[Note]:
    """Decode one track's ``(steps, pitches)`` roll, notes in order. Works for coded rolls (onsets
    split repeated notes) and for binary rolls (each run of sounding steps is one note)."""
    coded = np.asarray(roll)
    if coded.dtype == bool:  # a binary roll carries no onsets: every cell is just "sounding"
        coded = coded.astype(np.uint8) * HOLD
    used = np.flatnonzero(coded.any(axis=0))
    coded = coded[:, used].T  # (pitches that sound, steps): the work is on the few rows with notes
    sounding = coded > 0
    previous = np.zeros_like(sounding)
    previous[:, 1:] = sounding[:, :-1]
    starts = sounding & (~previous | (coded == ONSET))
    # a note ends at the first later step that is silent or starts a new note of its pitch
    stops = np.ones_like(sounding)
    stops[:, :-1] = ~sounding[:, 1:] | starts[:, 1:]
    start_row, start_step = np.nonzero(starts)
    stop_row, stop_step = np.nonzero(stops)
    span = coded.shape[1] + 1  # cells numbered row by row: an onset's end is the first stop at or after it
    ends = stop_step[np.searchsorted(stop_row * span + stop_step, start_row * span + start_step)] + 1
    first = step_to_ticks(start_step, ticks_per_beat)
    length = step_to_ticks(ends, ticks_per_beat) - first
    pitch = used[start_row]
    order = np.lexsort((length, pitch, first))  # the order of the notes themselves
    return [
        Note(begin, note_pitch, duration, velocity)
        for begin, note_pitch, duration in zip(
            first[order].tolist(), pitch[order].tolist(), length[order].tolist(), strict=True
        )
    ]


def roll_to_score(
    roll: np.ndarray,
    ticks_per_beat: int = 480,
    tempo_us: int = DEFAULT_TEMPO_US,
    time_signature: tuple[int, int] = (4, 4),
    names: list[str] | None = None,
    programs: list[int] | None = None,
    velocity: int = DEFAULT_VELOCITY,
) -> Score:
    """A ``(steps, 128, tracks)`` roll back to a score (the inverse of ``score_to_roll``)."""
    tracks = []
    for index in range(roll.shape[-1]):
        tracks.append(
            Track(
                notes=roll_to_notes(roll[:, :, index], ticks_per_beat, velocity),
                name=names[index] if names else "",
                program=programs[index] if programs else 0,
            )
        )
    return Score(tracks=tracks, ticks_per_beat=ticks_per_beat, tempo_us=tempo_us, time_signature=time_signature)


def binarise(roll: np.ndarray) -> np.ndarray:
    return np.asarray(roll) > 0


def crop(roll: np.ndarray, low: int, count: int) -> np.ndarray:
    """Keep pitches ``low .. low+count-1`` (axis 1). Notes outside the band are dropped."""
    return roll[:, low : low + count]


def uncrop(roll: np.ndarray, low: int) -> np.ndarray:
    """Put a cropped roll back on the 128-pitch axis, silence elsewhere (exact inverse of ``crop``
    for rolls whose notes lie inside the band)."""
    shape = list(roll.shape)
    shape[1] = PITCHES
    full = np.zeros(shape, dtype=roll.dtype)
    full[:, low : low + roll.shape[1]] = roll
    return full


def pitch_span(roll: np.ndarray) -> tuple[int, int] | None:
    """Lowest and highest sounding pitch of a roll (any tracks), or None if it is silent."""
    pitches = np.nonzero(np.asarray(roll).reshape(roll.shape[0], roll.shape[1], -1).any(axis=(0, 2)))[0]
    if len(pitches) == 0:
        return None
    return int(pitches[0]), int(pitches[-1])


def note_runs(track_roll: np.ndarray) -> list[tuple[int, int, int]]:
    """The notes of a binary ``(steps, pitches)`` roll as ``(start, pitch, length)`` runs: a note is a
    run of one pitch, so two repeated notes that touch read as one (a binary roll cannot tell them apart)."""
    sounding = np.asarray(track_roll, dtype=bool)
    padded = np.vstack([np.zeros((1, sounding.shape[1]), bool), sounding, np.zeros((1, sounding.shape[1]), bool)])
    change = np.diff(padded.astype(np.int8), axis=0)
    starts = np.argwhere(change == 1)
    ends = np.argwhere(change == -1)
    # argwhere orders by (step, pitch); sort both by (pitch, step) so starts and ends pair up.
    starts = starts[np.lexsort((starts[:, 0], starts[:, 1]))]
    ends = ends[np.lexsort((ends[:, 0], ends[:, 1]))]
    return [(int(s[0]), int(s[1]), int(e[0] - s[0])) for s, e in zip(starts, ends, strict=True)]
