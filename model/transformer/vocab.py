"""The note-event vocabulary: a melody as tokens and back, on a 16th-note grid.

A tune is ``METER`` then, bar by bar, ``BAR`` followed by two tokens per event: its onset position
in the bar (``POS``) and its ``PITCH`` or ``REST``. An event lasts until the next onset, so a melody
needs no duration tokens (two tokens a note instead of three: a third fewer decoding steps); a gap
is a ``REST`` event, which makes the code exact for monophonic melodies on the grid. The end of a
tune is a final ``REST``. Because every event says where in the bar it starts, the meter is explicit
at every step and the decoder can be kept to it (see :class:`Grammar`).

Example: 3/4, a quarter C5 on the downbeat, an 8th D5 on beat 3, then the tune ends::

    METER_3/4 BAR POS_0 PITCH_72 POS_8 PITCH_74 POS_10 REST
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

STEPS_PER_QUARTER = 4
METERS = ("2/4", "3/4", "4/4", "5/4", "6/4", "2/2", "3/2", "4/2", "3/8", "6/8", "9/8", "12/8", "other")
MAX_BAR_STEPS = 48  # 12/4: the longest bar we can place notes in
LOW_PITCH, HIGH_PITCH = 36, 99  # C2 .. D#7

PAD = 0
BAR = 1
REST = 2
METER_BASE = 3
POS_BASE = METER_BASE + len(METERS)
PITCH_BASE = POS_BASE + MAX_BAR_STEPS
VOCAB_SIZE = PITCH_BASE + (HIGH_PITCH - LOW_PITCH + 1)

KIND_PAD, KIND_BAR, KIND_METER, KIND_POS, KIND_PITCH, KIND_REST = range(6)


class VocabularyError(ValueError):
    """A melody that this vocabulary cannot express; the message says what to change."""


def bar_steps(meter: str) -> int:
    """16th steps in one bar of ``n/d``; raises for a bar we cannot place notes in."""
    numerator, denominator = (int(x) for x in meter.split("/"))
    steps = Fraction(16 * numerator, denominator)
    if steps.denominator != 1 or not 1 <= steps <= MAX_BAR_STEPS:
        raise VocabularyError(
            f"Time signature {meter} has a bar of {float(steps)} 16ths; the transformer needs a whole number "
            f"from 1 to {MAX_BAR_STEPS}."
        )
    return int(steps)


def meter_token(meter: str) -> int:
    return METER_BASE + METERS.index(meter if meter in METERS else "other")


def pos_token(position: int) -> int:
    return POS_BASE + position


def pitch_token(pitch: int) -> int:
    return PITCH_BASE + pitch - LOW_PITCH


def _kinds() -> np.ndarray:
    out = np.empty(VOCAB_SIZE, dtype=np.int64)
    out[PAD], out[BAR], out[REST] = KIND_PAD, KIND_BAR, KIND_REST
    out[METER_BASE:POS_BASE] = KIND_METER
    out[POS_BASE:PITCH_BASE] = KIND_POS
    out[PITCH_BASE:] = KIND_PITCH
    return out


TOKEN_KINDS = _kinds()  # the kind of every token id, for masks and for counting notes


def events(notes: Sequence[Sequence[int]], end: int | None = None) -> list[tuple[int, int | None]]:
    """Monophonic notes as ``(onset, pitch or None for a rest)`` events, with a rest in every gap
    and, when ``end`` is given, a final rest where the last note ends."""
    out: list[tuple[int, int | None]] = []
    for i, (start, pitch, duration) in enumerate(notes):
        out.append((start, pitch))
        following = notes[i + 1][0] if i + 1 < len(notes) else None
        if following is not None and start + duration < following:
            out.append((start + duration, None))
    if end is not None and notes:
        out.append((max(end, notes[-1][0] + 1), None))
    return out


def encode(notes: Sequence[Sequence[int]], meter: str, first_bar: int = 0, end: bool = True) -> list[int]:
    """Tokens of monophonic ``(start, pitch, duration)`` notes in 16th steps (bar 0 starts at step
    0), from bar ``first_bar`` on; ``end`` closes the tune with a final rest. Pitches must lie in
    the vocabulary's range."""
    steps = bar_steps(meter)
    tokens = [meter_token(meter)]
    bar = first_bar - 1
    last = notes[-1] if notes else None
    for onset, pitch in events(notes, last[0] + last[2] if end and last else None):
        if pitch is not None and not LOW_PITCH <= pitch <= HIGH_PITCH:
            raise VocabularyError(f"Pitch {pitch} is outside {LOW_PITCH}..{HIGH_PITCH}.")
        while bar < onset // steps:
            tokens.append(BAR)
            bar += 1
        tokens += [pos_token(onset % steps), REST if pitch is None else pitch_token(pitch)]
    if bar < first_bar:
        tokens.append(BAR)
    return tokens


def decode(tokens: Sequence[int], meter: str, first_bar: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """Notes ``(start, pitch, duration)`` of a token sequence that starts at bar ``first_bar``.
    Each note lasts until the next onset; the last one until ``end`` (default: the end of its bar)."""
    steps = bar_steps(meter)
    onsets: list[tuple[int, int | None]] = []
    bar = first_bar - 1
    position = None
    for token in tokens:
        kind = TOKEN_KINDS[token]
        if kind == KIND_BAR:
            bar += 1
            position = None
        elif kind == KIND_POS:
            position = token - POS_BASE
        elif kind in (KIND_PITCH, KIND_REST) and position is not None:
            pitch = token - PITCH_BASE + LOW_PITCH if kind == KIND_PITCH else None
            onsets.append((bar * steps + position, pitch))
            position = None
    notes = []
    for i, (onset, pitch) in enumerate(onsets):
        if pitch is None:
            continue
        following = (
            onsets[i + 1][0] if i + 1 < len(onsets) else (end if end is not None else (onset // steps + 1) * steps)
        )
        if following > onset:
            notes.append((onset, pitch, following - onset))
    return notes


def transpose(tokens: np.ndarray, shift: int) -> np.ndarray:
    """The same tokens ``shift`` semitones away (the caller checks the range)."""
    out = tokens.copy()
    out[TOKEN_KINDS[tokens] == KIND_PITCH] += shift
    return out


def pitch_bounds(tokens: np.ndarray) -> tuple[int, int]:
    pitches = tokens[TOKEN_KINDS[tokens] == KIND_PITCH] - PITCH_BASE + LOW_PITCH
    return (int(pitches.min()), int(pitches.max())) if len(pitches) else (LOW_PITCH, LOW_PITCH)


@dataclass
class Grammar:
    """Which tokens may come next, so that decoded tokens are always a melody in the meter.

    Tracks the bar and the last onset; ``allowed()`` is a boolean mask over the vocabulary. Between
    events ``BAR`` is always allowed and ``POS`` only after the last onset (and at or after
    ``earliest``, where a continuation may begin); after a ``POS`` a pitch, or a rest unless the
    previous event was one. While ``exact`` is set, the next event must start exactly there: the
    bar lines up to it, then its position (an event lasts until the next onset, so a later first
    onset would tell the decoder that the prompt's last note is still sounding when it is not).
    """

    steps: int
    bar: int = -1  # the bar the next BAR token opens is ``bar + 1``
    last_onset: int = -1
    earliest: int = 0
    state: int = KIND_METER
    after_rest: bool = False
    exact: int | None = None
    _mask: np.ndarray = field(default_factory=lambda: np.zeros(VOCAB_SIZE, dtype=bool), repr=False)

    def feed(self, token: int) -> None:
        kind = TOKEN_KINDS[token]
        if kind == KIND_BAR:
            self.bar += 1
        elif kind == KIND_POS:
            self.last_onset = self.bar * self.steps + token - POS_BASE
            if self.exact is not None and self.last_onset >= self.exact:
                self.exact = None
        elif kind in (KIND_PITCH, KIND_REST):
            self.after_rest = kind == KIND_REST
        if kind != KIND_METER:
            self.state = kind

    def position(self) -> int:
        """The absolute step of the bar the decoder is in."""
        return self.bar * self.steps

    def allowed(self) -> np.ndarray:
        mask = self._mask
        mask[:] = False
        if self.state == KIND_POS:
            mask[PITCH_BASE:] = True
            mask[REST] = not self.after_rest
        else:
            bar_start = self.bar * self.steps
            if self.exact is not None and self.bar >= 0 and bar_start <= self.exact < bar_start + self.steps:
                mask[POS_BASE + self.exact - bar_start] = True
                return mask
            first = max(0, self.last_onset + 1 - bar_start, self.earliest - bar_start)
            if self.bar >= 0 and first < self.steps and self.exact is None:
                mask[POS_BASE + first : POS_BASE + self.steps] = True
            mask[BAR] = True
        return mask
