"""The in-memory score: what a MIDI file means to us, in ticks so that round trips are exact.

A melody is a score with one track; a composition is a score with four (track 0 = the melody).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DEFAULT_TICKS_PER_BEAT = 480
DEFAULT_TEMPO_US = 500_000  # 120 bpm, the MIDI default when a file sets no tempo


@dataclass(frozen=True, slots=True, order=True)
class Note:
    """One note; ``start`` and ``duration`` are in ticks of the score's ``ticks_per_beat``."""

    start: int
    pitch: int
    duration: int
    velocity: int

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(slots=True)
class Track:
    notes: list[Note] = field(default_factory=list)
    name: str = ""
    program: int = 0
    channel: int = 0


@dataclass(slots=True)
class Score:
    tracks: list[Track]
    ticks_per_beat: int = DEFAULT_TICKS_PER_BEAT
    tempo_us: int = DEFAULT_TEMPO_US
    time_signature: tuple[int, int] = (4, 4)

    @property
    def tempo_bpm(self) -> float:
        return 60_000_000 / self.tempo_us

    @property
    def ticks_per_bar(self) -> int:
        """Bars are counted from the time signature: numerator beats of 1/denominator notes."""
        numerator, denominator = self.time_signature
        return self.ticks_per_beat * 4 * numerator // denominator

    @property
    def end_tick(self) -> int:
        return max((n.end for t in self.tracks for n in t.notes), default=0)

    @property
    def bars(self) -> int:
        return math.ceil(self.end_tick / self.ticks_per_bar) if self.end_tick else 0

    @property
    def melody(self) -> Track:
        return self.tracks[0]

    def beats_to_ticks(self, beats: float) -> int:
        return round(beats * self.ticks_per_beat)

    def ticks_to_beats(self, ticks: int) -> float:
        return ticks / self.ticks_per_beat


def tempo_us_from_bpm(bpm: float) -> int:
    return round(60_000_000 / bpm)
