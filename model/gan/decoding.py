"""From the generator's per-step pitch probabilities to notes: one Viterbi path for the three voices.

The generator writes, for each accompaniment voice and step, a distribution over the pitches.
Taking the most likely pitch of every voice on every step independently (the first model's
decoder) turns the network's uncertainty between two pitches into flicker, and lets two voices
that each chose well move in parallel octaves. The voices are decoded together as a sequence of
sonorities instead:

- candidates: on each step, each voice's ``CANDIDATES`` most likely pitches (by the network);
- score of a path: the sum over steps and voices of ``log(p_pitch / sum p)`` (the network's
  choice), minus ``change_cost`` for every new note, ``leap_cost`` per semitone of a leap beyond a
  whole tone, ``parallel_cost`` for two voices (the given melody included) moving in the same
  direction into a perfect 5th or octave they already formed, and ``crossing_cost`` for a voice
  above the one over it;
- the best path is found exactly by the Viterbi algorithm over the joint candidates.

A voice sounds wherever the melody sounds and rests where it rests (a chorale's accompaniment is
homophonic). The costs choose among the network's own
candidates only: a pitch the network does not rank among its top few is never written.
"""

from __future__ import annotations

from itertools import product

import numpy as np

CANDIDATES = 4
CHANGE_COST = 1.0
LEAP_COST = 0.15
PARALLEL_COST = 4.0
CROSSING_COST = 2.0
SILENT = -1
_EPS = 1e-6


def candidates(probabilities: np.ndarray, sounding: np.ndarray, k: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
    """(steps, pitches, voices) probabilities -> per step the joint candidates ``(steps, k**voices,
    voices)`` pitch indexes (``SILENT`` where a voice rests) and their summed log scores."""
    steps, pitches, voices = probabilities.shape
    p = np.clip(probabilities.astype(np.float64), _EPS, 1.0)
    logq = np.log(p / p.sum(axis=1, keepdims=True))  # (steps, pitches, voices)
    top = np.argsort(-logq, axis=1)[:, :k, :]  # (steps, k, voices)
    top_scores = np.take_along_axis(logq, top, axis=1)
    combos = np.array(list(product(range(k), repeat=voices)))  # (k**voices, voices)
    chosen = np.stack([top[:, combos[:, v], v] for v in range(voices)], axis=2)  # (steps, J, voices)
    scores = np.stack([top_scores[:, combos[:, v], v] for v in range(voices)]).sum(axis=0)  # (steps, J)
    chosen = np.where(sounding[:, None, :], chosen, SILENT)
    return chosen, scores


def _moves(
    chosen: np.ndarray,
    melody: np.ndarray,
    change_cost: float,
    leap_cost: float,
    parallel_cost: float,
    crossing_cost: float,
) -> np.ndarray:
    """(steps - 1, J, J) transition scores between the joint candidates of consecutive steps, for
    all steps at once (``chosen`` is ``(steps, J, voices)``, ``melody`` the top melody pitch per step)."""
    chosen, melody = chosen.astype(np.int16), melody.astype(np.int16)  # small ints: 3x faster here
    a, b = chosen[:-1, :, None, :], chosen[1:, None, :, :]  # (T-1, J, 1, V), (T-1, 1, J, V)
    both = (a >= 0) & (b >= 0)
    leap = np.where(both, np.abs(b - a), 0)
    score: np.ndarray = -((a != b).sum(axis=3) * change_cost) - leap_cost * np.maximum(leap - 2, 0).sum(
        axis=3, dtype=np.float64
    )
    steps, joint = chosen.shape[0] - 1, chosen.shape[1]
    shape = (steps, joint, joint)
    m0 = np.broadcast_to(melody[:-1, None, None], shape)
    m1 = np.broadcast_to(melody[1:, None, None], shape)
    voices = [(m0, m1)] + [
        (np.broadcast_to(a[..., v], shape), np.broadcast_to(b[..., v], shape)) for v in range(chosen.shape[2])
    ]
    for i in range(len(voices)):
        for j in range(i + 1, len(voices)):
            (x0, x1), (y0, y1) = voices[i], voices[j]
            sounding = (x0 >= 0) & (x1 >= 0) & (y0 >= 0) & (y1 >= 0)
            same_way = (x1 - x0) * (y1 - y0) > 0
            before, after = (x0 - y0) % 12, (x1 - y1) % 12
            perfect = ((before == 0) | (before == 7)) & (before == after)
            score -= parallel_cost * (sounding & same_way & perfect)
    upper = [np.broadcast_to(melody[1:, None, None], shape)] + [
        np.broadcast_to(b[..., v], shape) for v in range(chosen.shape[2])
    ]
    for above, below in zip(upper, upper[1:], strict=False):
        score -= crossing_cost * ((above >= 0) & (below >= 0) & (below > above))
    return score


def decode_voices(
    probabilities: np.ndarray,
    melody: np.ndarray,
    change_cost: float = CHANGE_COST,
    leap_cost: float = LEAP_COST,
    parallel_cost: float = PARALLEL_COST,
    crossing_cost: float = CROSSING_COST,
) -> np.ndarray:
    """(steps, pitches, voices) probabilities and the (steps, pitches) binary melody on the same
    band -> the binary (steps, pitches, voices) accompaniment of the best joint path."""
    steps, pitches, voices = probabilities.shape
    top_melody = np.where(melody.any(axis=1), pitches - 1 - np.argmax(melody[:, ::-1], axis=1), SILENT)
    sounding = np.repeat((top_melody >= 0)[:, None], voices, axis=1)
    chosen, scores = candidates(probabilities, sounding)
    moves = _moves(chosen, top_melody, change_cost, leap_cost, parallel_cost, crossing_cost)
    best = scores[0].copy()
    back = np.zeros(scores.shape, dtype=np.int64)
    for t in range(1, steps):
        total = best[:, None] + moves[t - 1]
        back[t] = total.argmax(axis=0)
        best = total[back[t], np.arange(total.shape[1])] + scores[t]
    path = np.empty(steps, dtype=np.int64)
    path[-1] = int(best.argmax())
    for t in range(steps - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    out = np.zeros((steps, pitches, voices), dtype=bool)
    for t in range(steps):
        for v in range(voices):
            pitch = chosen[t, path[t], v]
            if pitch >= 0:
                out[t, pitch, v] = True
    return out
