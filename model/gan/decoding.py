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

Every cost depends on one voice or on one pair of voices, so it is computed on that voice's (or
pair's) few candidates and then broadcast into the table of joint transitions: the work is a
handful of array sums over ``(steps, k**voices, k**voices)`` instead of comparisons on it.

Seeds: with ``sampling`` above 0, each candidate's log-probability gets ``sampling`` times a
Gumbel draw from the request's random generator before the path is chosen (perturb-and-MAP). At
``sampling = 1`` and no costs this would draw every voice's pitch from the network's top-k
distribution; smaller values keep the path near the best one and still let two seeds differ
where the network is unsure. The same generator state gives the same path.

A voice sounds wherever the melody sounds and rests where it rests (a chorale's accompaniment is
homophonic). The costs choose among the network's own
candidates only: a pitch the network does not rank among its top few is never written.
"""

from __future__ import annotations

import numpy as np

from model.figures import DISSONANT_ABOVE_BASS

CANDIDATES = 3
CHANGE_COST = 1.0
LEAP_COST = 0.15
PARALLEL_COST = 4.0
CROSSING_COST = 2.0
HARMONY_WEIGHT = 4.0
DISSONANCE_COST = 2.0
BASS_LEAP_COST = 0.6
SAMPLING = 0.2
SILENT = -1
_EPS = 1e-6


def candidates(probabilities: np.ndarray, sounding: np.ndarray, k: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
    """(steps, pitches, voices) probabilities -> each voice's ``k`` best pitch indexes per step
    ``(steps, k, voices)`` (``SILENT`` where the voice rests) and their log scores."""
    p = np.clip(probabilities.astype(np.float64), _EPS, 1.0)
    logq = np.log(p / p.sum(axis=1, keepdims=True))  # (steps, pitches, voices)
    top = np.argsort(-logq, axis=1, kind="stable")[:, :k, :]
    scores = np.take_along_axis(logq, top, axis=1)
    return np.where(sounding[:, None, :], top, SILENT), scores


def _sonority_scores(top: np.ndarray, melody: np.ndarray, harmony: np.ndarray, low_pitch: int) -> np.ndarray:
    """(steps, J): for each joint candidate, the sum of the harmony channel's logits over the pitch
    classes it sounds with the melody, each class once. Up to a constant per step this is the
    log-likelihood of that pitch-class set under the network's harmony guess (independent
    Bernoulli per class): a set that leaves out a class the network is sure of, or doubles a
    class instead of adding the one it expects, scores lower."""
    steps, k, voices = top.shape
    p = np.clip(harmony, _EPS, 1 - _EPS)
    logit = np.log(p) - np.log1p(-p)  # (steps, 12)
    present = np.zeros((steps,) + (k,) * voices + (12,), dtype=bool)
    sounding = melody >= 0
    present[sounding, ..., (melody[sounding] + low_pitch) % 12] = True
    for v in range(voices):
        pitch = top[:, :, v]  # (steps, k)
        classes = np.where(pitch >= 0, (pitch + low_pitch) % 12, -1)
        shape = [steps] + [1] * voices
        shape[1 + v] = k
        onehot = (classes[:, :, None] == np.arange(12)).reshape(*shape, 12)
        present |= onehot
    scores: np.ndarray = (present * logit.reshape((steps,) + (1,) * voices + (12,))).sum(axis=-1)
    return scores.reshape(steps, -1)


def _parallel(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Where two sounding voices move the same way from a perfect 5th or octave into the same one."""
    sounding = (x0 >= 0) & (x1 >= 0) & (y0 >= 0) & (y1 >= 0)
    before, after = (x0 - y0) % 12, (x1 - y1) % 12
    found: np.ndarray = sounding & ((x1 - x0) * (y1 - y0) > 0) & ((before == 0) | (before == 7)) & (before == after)
    return found


def _unprepared(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Where an upper voice (x) arrives at a dissonance above the bass (y) with neither of the two
    held, repeated or approached by step (the music figure's "unprepared dissonance")."""
    sounding = (x1 >= 0) & (y1 >= 0)
    clash = np.isin((x1 - y1) % 12, sorted(DISSONANT_ABOVE_BASS))
    prepared_x = (x0 >= 0) & (np.abs(x1 - x0) <= 2)
    prepared_y = (y0 >= 0) & (np.abs(y1 - y0) <= 2)
    found: np.ndarray = sounding & clash & ~prepared_x & ~prepared_y
    return found


def _place(table: np.ndarray, axes: tuple[int, ...], dims: int) -> np.ndarray:
    """A ``(steps, k, ...)`` table over the joint axes ``axes`` (increasing), reshaped to broadcast
    over all ``dims`` joint axes (``voices`` of the step before, then ``voices`` of the step after)
    with the steps last: the innermost loop of every sum then runs over the steps, not over ``k``."""
    shape = [1] * dims + [table.shape[0]]
    for i, axis in enumerate(axes):
        shape[axis] = table.shape[1 + i]
    return np.moveaxis(table, 0, -1).reshape(shape)


def _moves(
    top: np.ndarray,
    melody: np.ndarray,
    change_cost: float,
    leap_cost: float,
    parallel_cost: float,
    crossing_cost: float,
    dissonance_cost: float = DISSONANCE_COST,
    bass_leap_cost: float = BASS_LEAP_COST,
) -> np.ndarray:
    """(steps - 1, J, J) transition scores between the joint candidates of consecutive steps
    (``top`` is ``(steps, k, voices)``, ``melody`` the top melody pitch per step; joint candidate
    ``j`` is voice 0's ``j // k**(voices-1)``-th pitch, and so on, as ``itertools.product``)."""
    top, melody = top.astype(np.int16), melody.astype(np.int16)
    steps, k, voices = top.shape[0] - 1, top.shape[1], top.shape[2]
    a, b = top[:-1], top[1:]  # (T-1, k, V)
    m0, m1 = melody[:-1, None, None], melody[1:, None, None]
    total = np.zeros((k,) * (2 * voices) + (steps,))
    for v in range(voices):
        x0, x1 = a[:, :, None, v], b[:, None, :, v]  # (T-1, k, 1), (T-1, 1, k)
        leap = np.where((x0 >= 0) & (x1 >= 0), np.abs(x1 - x0), 0)
        per_semitone = bass_leap_cost if v == voices - 1 else leap_cost
        own = -change_cost * (x0 != x1) - per_semitone * np.maximum(leap - 2, 0)
        own = own - parallel_cost * _parallel(m0, m1, x0, x1)
        if v == voices - 1 and dissonance_cost:
            own = own - dissonance_cost * _unprepared(m0, m1, x0, x1)
        total += _place(own, (v, voices + v), 2 * voices)
        for w in range(v + 1, voices):
            # the pair's candidates before and after, broadcast over (step, v before, w before, v after, w after)
            pair = (
                a[:, :, None, None, None, v],
                b[:, None, None, :, None, v],
                a[:, None, :, None, None, w],
                b[:, None, None, None, :, w],
            )
            axes = (v, w, voices + v, voices + w)
            total -= parallel_cost * _place(_parallel(*pair), axes, 2 * voices)
            if w == voices - 1 and dissonance_cost:
                total -= dissonance_cost * _place(_unprepared(*pair), axes, 2 * voices)
    crossed = (b[:, :, 0] >= 0) & (m1[:, :, 0] >= 0) & (b[:, :, 0] > m1[:, :, 0])
    total -= crossing_cost * _place(crossed, (voices,), 2 * voices)
    for v in range(voices - 1):
        above, below = b[:, :, None, v], b[:, None, :, v + 1]
        crossed = (above >= 0) & (below >= 0) & (below > above)
        total -= crossing_cost * _place(crossed, (voices + v, voices + v + 1), 2 * voices)
    return np.moveaxis(total.reshape(k**voices, k**voices, steps), -1, 0)


def decode_voices(
    probabilities: np.ndarray,
    melody: np.ndarray,
    change_cost: float = CHANGE_COST,
    leap_cost: float = LEAP_COST,
    parallel_cost: float = PARALLEL_COST,
    crossing_cost: float = CROSSING_COST,
    rng: np.random.Generator | None = None,
    sampling: float = SAMPLING,
    k: int = CANDIDATES,
    harmony: np.ndarray | None = None,
    harmony_weight: float = HARMONY_WEIGHT,
    low_pitch: int = 0,
    dissonance_cost: float = DISSONANCE_COST,
    bass_leap_cost: float = BASS_LEAP_COST,
) -> np.ndarray:
    """(steps, pitches, voices) probabilities and the (steps, pitches) binary melody on the same
    band -> the binary (steps, pitches, voices) accompaniment of the best joint path (perturbed by
    ``sampling`` x Gumbel noise from ``rng`` when one is given)."""
    steps, pitches, voices = probabilities.shape
    top_melody = np.where(melody.any(axis=1), pitches - 1 - np.argmax(melody[:, ::-1], axis=1), SILENT)
    sounding = np.repeat((top_melody >= 0)[:, None], voices, axis=1)
    top, own = candidates(probabilities, sounding, k)
    if rng is not None and sampling > 0:
        own = own + sampling * rng.gumbel(size=own.shape)
    joint = np.zeros_like(_place(own[:, :, 0], (0,), voices))
    for v in range(voices):
        joint = joint + _place(own[:, :, v], (v,), voices)
    scores = joint.reshape(-1, steps).T  # (steps, J)
    if harmony is not None and harmony_weight:
        scores = scores + harmony_weight * _sonority_scores(top, top_melody, harmony, low_pitch)
    moves = _moves(
        top,
        top_melody,
        change_cost,
        leap_cost,
        parallel_cost,
        crossing_cost,
        dissonance_cost,
        bass_leap_cost,
    )
    best = scores[0].copy()
    back = np.zeros(scores.shape, dtype=np.int64)
    columns = np.arange(scores.shape[1])
    for t in range(1, steps):
        total = best[:, None] + moves[t - 1]
        back[t] = total.argmax(axis=0)
        best = total[back[t], columns] + scores[t]
    path = np.empty(steps, dtype=np.int64)
    path[-1] = int(best.argmax())
    for t in range(steps - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    choice = np.stack([(path // k ** (voices - 1 - v)) % k for v in range(voices)], axis=1)  # (steps, V)
    chosen = np.take_along_axis(top, choice[:, None, :], axis=1)[:, 0, :]  # (steps, V) pitch or SILENT
    out = np.zeros((steps, pitches, voices), dtype=bool)
    at_step, voice = np.nonzero(chosen >= 0)
    out[at_step, chosen[at_step, voice], voice] = True
    return out
