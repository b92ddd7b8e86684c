"""How a continuation is judged against the real one: key, register, rhythm, meter, copying.

Notes are ``(start, pitch, duration)`` in 16th steps from a bar line. Every figure is computed the
same way for the model's continuations, the baselines' and the real ones, so they stand side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from model.keys import estimate_key, scale_pitch_classes

Notes = Sequence[Sequence[int]]
OFFSET_RANGE = 24  # pitch offsets from the prompt's median pitch, clipped to +-24 semitones
DURATION_BINS = (1, 2, 3, 4, 6, 8, 12, 16)  # 16ths; longer ones share the last bin


def key_of(notes: Notes) -> tuple[int, str] | None:
    """The key of a melody from its duration-weighted pitch-class histogram."""
    histogram = np.zeros(12)
    for _, pitch, duration in notes:
        histogram[pitch % 12] += duration
    result: tuple[int, str] | None = estimate_key(histogram)
    return result


def in_key_share(notes: Notes, key: tuple[int, str] | None) -> float:
    """Share of the notes (duration-weighted) whose pitch class is in the key's scale."""
    if key is None or not notes:
        return float("nan")
    scale = scale_pitch_classes(key)
    total = sum(d for _, _, d in notes)
    return sum(d for _, p, d in notes if p % 12 in scale) / total


def beat_share(notes: Notes, beat_steps: int) -> float:
    """Share of onsets that fall on a beat (``beat_steps`` 16ths after a bar line)."""
    if not notes:
        return float("nan")
    return float(np.mean([start % beat_steps == 0 for start, _, _ in notes]))


def beat_steps_of(meter: str) -> int:
    """The beat in 16ths: a dotted quarter in compound meters (6/8, 9/8, 12/8), else the denominator's note."""
    numerator, denominator = (int(x) for x in meter.split("/"))
    beat = 16 // denominator
    return 3 * beat if denominator == 8 and numerator % 3 == 0 and numerator > 3 else beat


def offset_histogram(notes: Notes, centre: float) -> np.ndarray:
    """Note counts by pitch offset from ``centre`` (the prompt's median pitch): register and range."""
    counts = np.zeros(2 * OFFSET_RANGE + 1)
    for _, pitch, _ in notes:
        counts[int(np.clip(round(pitch - centre), -OFFSET_RANGE, OFFSET_RANGE)) + OFFSET_RANGE] += 1
    return counts


def duration_histogram(notes: Notes) -> np.ndarray:
    counts = np.zeros(len(DURATION_BINS))
    for _, _, duration in notes:
        counts[min(int(np.searchsorted(DURATION_BINS, duration)), len(DURATION_BINS) - 1)] += 1
    return counts


def js_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, 0 = same distribution, 1 = disjoint)."""
    if a.sum() == 0 or b.sum() == 0:
        return float("nan")
    p, q = a / a.sum(), b / b.sum()
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        nz = x > 0
        return float((x[nz] * np.log2(x[nz] / m[nz])).sum())

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def median_pitch(notes: Notes) -> float:
    return float(np.median([p for _, p, _ in notes])) if notes else 60.0


class RunIndex:
    """Every stretch of consecutive notes of a corpus, to find the longest one a melody shares.

    Notes are compared by interval and duration (the last note's duration is not compared: a
    continuation's last note is cut at the bar line), so a copy in another key still counts. The
    windows of each length are kept as sorted 64-bit rolling hashes; ``longest`` binary-searches
    the length.
    """

    _BASE = np.uint64(1_000_003)

    def __init__(self, melodies: Iterable[Notes]) -> None:
        codes = [self._code(m) for m in melodies]
        self.sequence = np.concatenate([np.append(c, -1) for c in codes]) if codes else np.zeros(0, np.int64)
        self._hashes: dict[int, np.ndarray] = {}
        self._corpus_prefix: np.ndarray | None = None

    @staticmethod
    def _code(notes: Notes) -> np.ndarray:
        """One value per note but the last: the interval to the next note and the note's duration."""
        notes = list(notes)
        return np.array([(b[1] - a[1] + 128) * 256 + min(a[2], 255) for a, b in pairwise(notes)], dtype=np.int64)

    @classmethod
    def _prefix(cls, sequence: np.ndarray) -> np.ndarray:
        prefix = np.zeros(len(sequence) + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for i, value in enumerate(sequence.astype(np.uint64)):  # once per corpus
                prefix[i + 1] = prefix[i] * cls._BASE + value
        return prefix

    @classmethod
    def _window_hashes(cls, sequence: np.ndarray, width: int, prefix: np.ndarray | None = None) -> np.ndarray:
        """Hashes of every window of ``width`` values without a separator, from prefix hashes
        (``h[i, w] = prefix[i + w] - prefix[i] * BASE**w``, mod 2**64): linear in the corpus."""
        if len(sequence) < width:
            return np.zeros(0, np.uint64)
        prefix = cls._prefix(sequence) if prefix is None else prefix
        with np.errstate(over="ignore"):
            hashes = prefix[width:] - prefix[:-width] * (cls._BASE ** np.uint64(width))
        separators = np.concatenate([[0], np.cumsum(sequence < 0)])
        result: np.ndarray = hashes[(separators[width:] - separators[:-width]) == 0]
        return result

    def shares(self, notes: Notes, length: int) -> bool:
        """Whether some corpus melody has these ``length`` consecutive notes somewhere in ``notes``."""
        width = length - 1
        if width not in self._hashes:
            if self._corpus_prefix is None:
                self._corpus_prefix = self._prefix(self.sequence)
            self._hashes[width] = np.unique(self._window_hashes(self.sequence, width, self._corpus_prefix))
        mine = self._window_hashes(self._code(notes), width)
        known = self._hashes[width]
        if not len(mine) or not len(known):
            return False
        found = np.searchsorted(known, mine)
        return bool((known[np.minimum(found, len(known) - 1)] == mine).any())

    def longest(self, notes: Notes, most: int = 64) -> int:
        """The longest run of consecutive notes of ``notes`` that some corpus melody also has."""
        if len(notes) < 2:
            return len(notes)
        low, high = 1, min(len(notes), most)
        while low < high:
            middle = (low + high + 1) // 2
            if self.shares(notes, middle):
                low = middle
            else:
                high = middle - 1
        return low
