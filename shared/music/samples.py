"""Built-in sample melodies: public-domain tunes, as note data, on the DeepComposer keyboard (41-72).

They are what a new user composes with before uploading anything, and what the tests and the
benchmarks use as real input. Each is a (pitch or None for a rest, length in beats) sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shared.contract import BUILTIN_OWNER
from shared.music.score import Note, Score, Track, tempo_us_from_bpm

SAMPLE_OWNER = BUILTIN_OWNER


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    name: str
    tempo_bpm: float
    time_signature: tuple[int, int]
    phrase: tuple[tuple[int | None, float], ...]

    def score(self, ticks_per_beat: int = 480) -> Score:
        notes, beat = [], 0.0
        for pitch, length in self.phrase:
            if pitch is not None:
                notes.append(Note(round(beat * ticks_per_beat), pitch, round(length * ticks_per_beat), 96))
            beat += length
        return Score(
            tracks=[Track(notes=notes, name=self.name)],
            ticks_per_beat=ticks_per_beat,
            tempo_us=tempo_us_from_bpm(self.tempo_bpm),
            time_signature=self.time_signature,
        )


def _q(*pitches: int) -> tuple[tuple[int, float], ...]:
    """Quarter notes, the commonest length, to keep the tunes readable."""
    return tuple((p, 1.0) for p in pitches)


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "sample-twinkle-twinkle",
        "Twinkle, Twinkle, Little Star",
        110,
        (4, 4),
        _q(60, 60, 67, 67, 69, 69)
        + ((67, 2.0),)
        + _q(65, 65, 64, 64, 62, 62)
        + ((60, 2.0),)
        + _q(67, 67, 65, 65, 64, 64)
        + ((62, 2.0),)
        + _q(67, 67, 65, 65, 64, 64)
        + ((62, 2.0),),
    ),
    Sample(
        "sample-ode-to-joy",
        "Ode to Joy (Beethoven)",
        120,
        (4, 4),
        _q(64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64)
        + ((64, 1.5), (62, 0.5), (62, 2.0))
        + _q(64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64)
        + ((62, 1.5), (60, 0.5), (60, 2.0)),
    ),
    Sample(
        "sample-new-world-largo",
        "New World Symphony, Largo theme (Dvorak)",
        60,
        (4, 4),
        ((64, 1.5), (67, 0.5), (67, 2.0), (64, 1.5), (62, 0.5), (60, 2.0))
        + _q(62, 64, 67, 64)
        + ((62, 4.0),)
        + ((64, 1.5), (67, 0.5), (67, 2.0), (64, 1.5), (62, 0.5), (60, 2.0))
        + _q(62, 64, 62, 60)
        + ((60, 4.0),),
    ),
    Sample(
        "sample-deck-the-halls",
        "Deck the Halls",
        120,
        (4, 4),
        (
            ((72, 1.5), (70, 0.5))
            + _q(69, 67, 65, 67, 69, 65)
            + ((67, 0.5), (69, 0.5), (70, 0.5), (67, 0.5), (69, 1.5), (67, 0.5))
            + _q(65, 64)
            + ((65, 2.0),)
        )
        * 2,
    ),
    Sample(
        "sample-we-wish-you",
        "We Wish You a Merry Christmas",
        140,
        (3, 4),
        ((None, 2.0), (62, 1.0), (67, 1.0), (67, 0.5), (69, 0.5), (67, 0.5), (66, 0.5))
        + _q(64, 64, 64)
        + ((69, 1.0), (69, 0.5), (71, 0.5), (69, 0.5), (67, 0.5))
        + _q(66, 62, 62)
        + _q(64, 69, 66)
        + ((67, 3.0),),
    ),
)


@cache
def sample_index() -> dict[str, Sample]:
    return {s.id: s for s in SAMPLES}
