"""The GAN's joint Viterbi decoder: it picks among the network's own candidates, holds a voice
through small doubts, avoids parallel perfect intervals, and rests with the melody."""

from __future__ import annotations

from itertools import product

import numpy as np

from model.figures import DISSONANT_ABOVE_BASS
from model.gan.decoding import (
    BASS_LEAP_COST,
    CANDIDATES,
    CROSSING_COST,
    DISSONANCE_COST,
    PARALLEL_COST,
    _moves,
    _sonority_scores,
    candidates,
    decode_voices,
)

P = 48


def one_voice_probabilities(steps: int, choices: list[dict[int, float]], voices: int = 3) -> np.ndarray:
    """Probabilities for every voice; voice 0 follows ``choices`` (pitch -> weight per step),
    the other voices sit firmly on pitches 10 and 0."""
    p = np.full((steps, P, voices), 1e-4)
    for t, choice in enumerate(choices):
        for pitch, weight in choice.items():
            p[t, pitch, 0] = weight
    p[:, 10, 1] = 1.0
    p[:, 0, 2] = 1.0
    return p / p.sum(axis=1, keepdims=True)


def melody(steps: int, pitch: int = 40) -> np.ndarray:
    roll = np.zeros((steps, P), dtype=bool)
    roll[:, pitch] = True
    return roll


def pitches(out: np.ndarray, voice: int) -> list[int]:
    return [int(np.argmax(step)) if step.any() else -1 for step in out[:, :, voice]]


def test_a_small_doubt_does_not_become_flicker_but_a_clear_change_does():
    doubt = [{30: 0.55, 32: 0.45} if t % 2 == 0 else {30: 0.45, 32: 0.55} for t in range(8)]
    out = decode_voices(one_voice_probabilities(8, doubt), melody(8))
    assert len(set(pitches(out, 0))) == 1  # argmax per step would alternate 30, 32, 30, ...
    clear = [{30: 0.9, 32: 0.1}] * 4 + [{30: 0.1, 32: 0.9}] * 4
    assert pitches(decode_voices(one_voice_probabilities(8, clear), melody(8)), 0) == [30] * 4 + [32] * 4


def test_only_the_networks_candidates_are_written_and_each_voice_sings_one_pitch():
    rng = np.random.default_rng(0)
    p = rng.random((16, P, 3)) ** 8
    out = decode_voices(p, melody(16))
    assert (out.sum(axis=1) == 1).all()
    top = np.argsort(-p, axis=1)[:, :CANDIDATES, :]
    for t in range(16):
        for v in range(3):
            assert int(np.argmax(out[t, :, v])) in top[t, :, v]


def test_parallel_octaves_with_the_melody_are_avoided_when_the_network_offers_another_pitch():
    tune = np.zeros((2, P), dtype=bool)
    tune[0, 40], tune[1, 42] = True, True  # the melody steps up a tone
    # voice 0 is an octave below (28) and would follow in parallel to 30; 33 is its second choice
    choices = [{28: 1.0}, {30: 0.6, 33: 0.4}]
    out = decode_voices(one_voice_probabilities(2, choices), tune)
    assert pitches(out, 0) == [28, 33]


def test_the_voices_rest_where_the_melody_rests():
    tune = melody(8)
    tune[4:6] = False
    out = decode_voices(one_voice_probabilities(8, [{30: 1.0}] * 8), tune)
    assert not out[4:6].any() and out[:4].any(axis=(1, 2)).all() and out[6:].any(axis=(1, 2)).all()


def test_the_broadcast_transition_table_is_the_cost_of_every_pair_of_sonorities():
    """The vectorised table against the definition, one pair of sonorities at a time."""
    rng = np.random.default_rng(3)
    steps = 6
    tune = np.zeros((steps, P), dtype=bool)
    tune[np.arange(steps), rng.integers(34, 44, steps)] = True
    tune[3] = False  # a rest
    top_melody = np.where(tune.any(axis=1), np.argmax(tune, axis=1), -1)
    sounding = np.repeat(tune.any(axis=1)[:, None], 3, axis=1)
    top, _ = candidates(rng.random((steps, P, 3)) ** 4, sounding)
    moves = _moves(top, top_melody, 1.0, 0.15, PARALLEL_COST, CROSSING_COST, DISSONANCE_COST, BASS_LEAP_COST)
    combos = list(product(range(CANDIDATES), repeat=3))
    assert moves.shape == (steps - 1, len(combos), len(combos))
    for t in range(steps - 1):
        for i, before in enumerate(combos):
            for j, after in enumerate(combos):
                x = [int(top_melody[t])] + [int(top[t, c, v]) for v, c in enumerate(before)]
                y = [int(top_melody[t + 1])] + [int(top[t + 1, c, v]) for v, c in enumerate(after)]
                cost = 0.0
                for v in range(1, 4):
                    cost += x[v] != y[v]
                    if x[v] >= 0 and y[v] >= 0:
                        cost += (BASS_LEAP_COST if v == 3 else 0.15) * max(abs(y[v] - x[v]) - 2, 0)
                prepared = [x[v] >= 0 and abs(y[v] - x[v]) <= 2 for v in range(4)]
                for u in range(3):  # the melody, alto and tenor against the bass
                    if y[u] >= 0 and y[3] >= 0 and (y[u] - y[3]) % 12 in DISSONANT_ABOVE_BASS:
                        cost += DISSONANCE_COST * (not prepared[u] and not prepared[3])
                for u in range(4):
                    for v in range(u + 1, 4):
                        if min(x[u], x[v], y[u], y[v]) < 0:
                            continue
                        same_way = (y[u] - x[u]) * (y[v] - x[v]) > 0
                        if same_way and (x[u] - x[v]) % 12 in (0, 7) and (x[u] - x[v]) % 12 == (y[u] - y[v]) % 12:
                            cost += PARALLEL_COST
                for above, below in zip(y, y[1:], strict=False):
                    if above >= 0 and below >= 0 and below > above:
                        cost += CROSSING_COST
                assert np.isclose(moves[t, i, j], -cost), (t, before, after)


def test_the_random_generator_perturbs_the_path_and_the_same_state_repeats_it():
    rng = np.random.default_rng(0)
    p = rng.random((32, P, 3)) ** 3  # an unsure network
    tune = melody(32)
    plain = decode_voices(p, tune)
    assert (decode_voices(p, tune, rng=np.random.default_rng(5), sampling=0.0) == plain).all()
    first = decode_voices(p, tune, rng=np.random.default_rng(5))
    assert (decode_voices(p, tune, rng=np.random.default_rng(5)) == first).all()
    assert not (decode_voices(p, tune, rng=np.random.default_rng(6)) == first).all()
    assert (first.sum(axis=1) == 1).all()  # still one candidate pitch per voice and step


def test_the_sonority_score_sums_the_harmony_logits_of_each_pitch_class_once():
    """The joint term against its definition: each candidate sonority (melody + three voices) is
    scored by the harmony channel's logits of the pitch classes it sounds, a doubled class once."""
    rng = np.random.default_rng(4)
    steps, low = 4, 34
    tune = np.zeros((steps, P), dtype=bool)
    tune[np.arange(steps), rng.integers(20, 30, steps)] = True
    tune[2] = False  # a rest: the voices rest too
    top_melody = np.where(tune.any(axis=1), np.argmax(tune, axis=1), -1)
    sounding = np.repeat(tune.any(axis=1)[:, None], 3, axis=1)
    top, _ = candidates(rng.random((steps, P, 3)) ** 4, sounding)
    harmony = rng.uniform(0.05, 0.95, (steps, 12))
    scores = _sonority_scores(top, top_melody, harmony, low)
    logit = np.log(harmony / (1 - harmony))
    for t in range(steps):
        for j, combo in enumerate(product(range(CANDIDATES), repeat=3)):
            pitches = [int(top_melody[t])] + [int(top[t, c, v]) for v, c in enumerate(combo)]
            classes = {(p + low) % 12 for p in pitches if p >= 0}
            assert np.isclose(scores[t, j], sum(logit[t, c] for c in classes)), (t, combo)
    assert (scores[2] == 0).all()


def test_the_harmony_term_makes_the_voices_complete_the_chord_the_network_expects():
    """Two equally likely pitches for a voice: the one whose pitch class the harmony channel
    expects (the third of the chord) wins over doubling the melody's class, and with the term
    switched off the tie goes the other way."""
    steps, low = 2, 34
    tune = np.zeros((steps, P), dtype=bool)
    tune[:, 60 - low] = True  # C4 in the melody
    p = np.full((steps, P, 3), 1e-4)
    p[:, 48 - low, 0] = 0.5  # alto: C3 (the melody's class again) ...
    p[:, 52 - low, 0] = 0.5  # ... or E3, equally likely
    p[:, 43 - low, 1] = 1.0  # tenor G2
    p[:, 36 - low, 2] = 1.0  # bass C2
    harmony = np.full((steps, 12), 0.1)
    harmony[:, [0, 4, 7]] = 0.9  # the network expects C major
    for order in ((48, 52), (52, 48)):  # whichever the candidates list first
        p[:, order[0] - low, 0] = 0.5 + 1e-6
        p[:, order[1] - low, 0] = 0.5
        out = decode_voices(p, tune, harmony=harmony, harmony_weight=1.0, low_pitch=low)
        assert pitches(out, 0) == [52 - low] * steps
    p[:, 48 - low, 0] = 0.5 + 1e-6
    p[:, 52 - low, 0] = 0.5
    assert pitches(decode_voices(p, tune, harmony=harmony, harmony_weight=0.0, low_pitch=low), 0) == [48 - low] * steps
