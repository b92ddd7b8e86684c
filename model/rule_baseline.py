"""The honest rule harmoniser: the baseline every model's figures are shown beside.

A model is only worth its CPU if it beats what a page of textbook rules does. For a soprano and a
key this writes, per beat, a diatonic chord that contains the melody note (I/i, IV/iv, V, ... with
a mild preference for the main functions and a cadence at the end), its root in the bass, and
alto/tenor on chord tones within SATB ranges, chosen by a Viterbi search over all voicings of all
candidate chords so that inner voices move to the nearest chord tone, the bass moves smoothly,
the chord is complete, and no two voices move in parallel 5ths or octaves. It knows no
non-harmonic tones, no inversions and no rhythm but quarter notes: that is what makes it a
baseline.

Example::

    from model import rule_baseline as R
    voices = R.harmonise(soprano_notes, key=(7, "major"))  # {"S": soprano, "A": [...], "T": ..., "B": ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from model.figures import STEPS_PER_BEAT, VOICE_RANGES, Key, Note, voices_from_roll, voices_to_roll

# (root degree in semitones above the tonic, chord shape above its root, cost): the diatonic triads,
# the dominant 7th (5th optional) and, in minor, the harmonic-minor dominant and the natural VII.
MAJOR_CHORDS = ((0, (0, 4, 7), 0.0), (7, (0, 4, 7), 0.0), (5, (0, 4, 7), 0.4), (9, (0, 3, 7), 0.8),
                (2, (0, 3, 7), 0.8), (4, (0, 3, 7), 1.6), (11, (0, 3, 6), 2.0), (7, (0, 4, 7, 10), 0.6))  # fmt: skip
MINOR_CHORDS = ((0, (0, 3, 7), 0.0), (7, (0, 4, 7), 0.0), (5, (0, 3, 7), 0.4), (8, (0, 4, 7), 0.8),
                (3, (0, 4, 7), 1.0), (2, (0, 3, 6), 1.6), (11, (0, 3, 6), 2.0), (10, (0, 4, 7), 1.4),
                (7, (0, 4, 7, 10), 0.6))  # fmt: skip
CHROMATIC_CHORD_COST = 3.0  # a major or minor triad on any root, for a melody note outside the key
PARALLEL_COST = 100.0
REGISTER_COST = 0.05  # per semitone from the middle of a voice's range, so voices do not drift to an edge
CENTRES = {name: (low + high) / 2 for name, (low, high) in VOICE_RANGES.items()}
ROOT_MOTION_COST = np.array([0.5, 0.6, 0.3, 0.7, 0.7, 0.0, 1.5])  # by interval class of the root's move


def _candidates(melody_pc: int, key: Key) -> list[tuple[int, tuple[int, ...], float]]:
    """(root pc, pitch classes, cost) of the chords that may harmonise a melody note."""
    tonic, mode = key
    table = MINOR_CHORDS if mode == "minor" else MAJOR_CHORDS
    chords = [((tonic + d) % 12, tuple((tonic + d + s) % 12 for s in shape), c) for d, shape, c in table]
    fitting = [c for c in chords if melody_pc in c[1]]
    if fitting:
        return fitting
    return [
        ((melody_pc - s) % 12, tuple((melody_pc - s + x) % 12 for x in shape), CHROMATIC_CHORD_COST)
        for shape in ((0, 4, 7), (0, 3, 7))
        for s in shape
    ]


def _voicings(soprano: int, chord: tuple[int, tuple[int, ...], float], key: Key) -> list[tuple[list[int], float]]:
    """Every (S, A, T, B) voicing of a chord under a soprano, root in the bass, with its cost."""
    root, pcs, cost = chord
    leading = (key[0] + 11) % 12
    found = []
    for b in range(VOICE_RANGES["B"][0], VOICE_RANGES["B"][1] + 1):
        if b % 12 != root:
            continue
        for t in range(max(b + 1, VOICE_RANGES["T"][0]), VOICE_RANGES["T"][1] + 1):
            for a in range(max(t + 1, VOICE_RANGES["A"][0], soprano - 12), min(soprano, VOICE_RANGES["A"][1] + 1)):
                if t % 12 not in pcs or a % 12 not in pcs or a - t > 12:
                    continue
                voiced = [soprano % 12, a % 12, t % 12, b % 12]
                missing = set(pcs) - set(voiced) - ({pcs[2]} if len(pcs) == 4 else set())
                if pcs[1] in missing or (len(pcs) == 4 and pcs[3] in missing):
                    continue  # no chord without its 3rd (or a 7th chord without its 7th)
                doubled = max(set(voiced), key=voiced.count)
                extra = (2.0 if pcs[2] in missing else 0.0) + (2.0 if voiced.count(leading) > 1 else 0.0)
                extra += 0.0 if doubled == root or len(set(voiced)) == 4 else 0.6
                extra += REGISTER_COST * sum(abs(p - CENTRES[n]) for p, n in ((a, "A"), (t, "T"), (b, "B")))
                found.append(([soprano, a, t, b], cost + extra))
    return found


def _transition(prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Cost of moving from each previous voicing to each current one: inner-voice distance,
    bass smoothness and a prohibitive cost for parallel 5ths/octaves in any pair."""
    motion = cur[None, :, :] - prev[:, None, :]  # (n_prev, n_cur, 4)
    cost = 0.15 * (np.abs(motion[..., 1]) + np.abs(motion[..., 2]))
    leap = np.abs(motion[..., 3])
    cost += np.where(leap > 7, 1.5, np.where(leap > 2, 0.4, 0.0))
    root_interval = np.minimum(leap % 12, 12 - leap % 12)
    cost += ROOT_MOTION_COST[root_interval]
    for i, j in combinations(range(4), 2):
        before = np.abs(prev[:, None, i] - prev[:, None, j]) % 12
        after = np.abs(cur[None, :, i] - cur[None, :, j]) % 12
        same_way = motion[..., i] * motion[..., j] > 0
        cost += PARALLEL_COST * (same_way & (before == after) & ((after == 0) | (after == 7)))
    result: np.ndarray = cost
    return result


def _sounding(notes: Sequence[Note], step: int) -> int | None:
    return next((p for s, e, p in notes if s <= step < e), None)


def harmonise(soprano: Sequence[Note], key: Key) -> dict[str, list[Note]]:
    """Alto, tenor and bass in quarter notes under a soprano, which is returned unchanged.

    A melody outside the soprano range is voiced as if it were moved by octaves into it (the
    accompaniment stays in SATB ranges); the melody itself is not moved."""
    soprano = [(int(s), int(e), int(p)) for s, e, p in soprano]
    end = max((n[1] for n in soprano), default=0)
    first = min((n[0] for n in soprano), default=0) // STEPS_PER_BEAT * STEPS_PER_BEAT
    beats = list(range(first, end, STEPS_PER_BEAT))
    if not beats:
        return {"S": list(soprano), "A": [], "T": [], "B": []}
    states: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    back: list[np.ndarray] = []
    last_pitch, shift = min(soprano)[2], 0
    for index, beat in enumerate(beats):
        if states:  # the soprano may move within the beat: its last pitch is what leads into this one
            before = _sounding(soprano, beat - 1)
            states[-1][:, 0] = (before if before is not None else last_pitch) + shift
        now = _sounding(soprano, beat)
        last_pitch = now if now is not None else last_pitch
        low, high = VOICE_RANGES["S"]
        shift = 12 * max(0, -(-(low - last_pitch) // 12)) - 12 * max(0, -(-(last_pitch - high) // 12))
        options = []
        for chord in _candidates(last_pitch % 12, key):
            cadence = 2.0 if index == len(beats) - 1 and chord[0] != key[0] else 0.0
            options += [(v, c + cadence) for v, c in _voicings(last_pitch + shift, chord, key)]
        voicing = np.array([v for v, _ in options]).reshape(-1, 4)
        own = np.array([c for _, c in options])
        if not states:
            costs.append(own)
            back.append(np.zeros(len(own), dtype=int))
        else:
            total = costs[-1][:, None] + _transition(states[-1], voicing)
            back.append(np.argmin(total, axis=0))
            costs.append(total[back[-1], np.arange(len(own))] + own)
        states.append(voicing)
    chosen = [int(np.argmin(costs[-1]))]
    for pointer in reversed(back[1:]):
        chosen.append(int(pointer[chosen[-1]]))
    chosen.reverse()
    voices: dict[str, list[Note]] = {"S": list(soprano), "A": [], "T": [], "B": []}
    for beat, voicing, pick in zip(beats, states, chosen, strict=True):
        stop = min(beat + STEPS_PER_BEAT, end) if beat != beats[-1] else end
        for v, name in ((1, "A"), (2, "T"), (3, "B")):
            voices[name].append((beat, stop, int(voicing[pick, v])))
    return voices


def harmonise_roll(melody: np.ndarray, key: Key) -> np.ndarray:
    """The baseline in the data layer's roll form: a melody roll ``(steps, 128)`` in, a binary
    four-voice roll ``(steps, 128, 4)`` out. Track 0 is the melody roll exactly as given; where it
    sounds several pitches at once, the accompaniment is written under the highest."""
    melody = np.asarray(melody) > 0
    soprano = voices_from_roll(np.stack([melody] + [np.zeros_like(melody)] * 3, axis=-1))["S"]
    roll = voices_to_roll(harmonise(soprano, key), steps=melody.shape[0])
    roll[:, :, 0] = melody
    return roll
