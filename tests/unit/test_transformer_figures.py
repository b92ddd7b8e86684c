"""The continuation figures and the baselines, on cases whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.transformer import dataset as DS
from model.transformer import figures as FG
from model.transformer import vocab as V
from model.transformer.baselines import NgramModel

SCALE = [(4 * i, p, 4) for i, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72])]  # C major, quarters


def test_longest_shared_run_finds_a_transposed_copy_and_nothing_more() -> None:
    index = FG.RunIndex([SCALE, [(0, 50, 2), (2, 58, 2)]])
    copy = [(0, 40, 1)] + [(s + 100, p + 7, d) for s, p, d in SCALE[2:7]] + [(200, 30, 4)]
    assert index.longest(copy) == 5  # five notes of the scale, a fifth higher
    assert index.longest(SCALE) == 8
    assert index.longest([(0, 60, 4), (4, 63, 3), (7, 80, 4)]) == 1
    rhythm_changed = [(s, p, 2) for s, p, _ in SCALE]
    assert index.longest(rhythm_changed) == 1  # same pitches, other durations: not a copy


def test_in_key_share_beat_share_and_the_key() -> None:
    assert FG.key_of(SCALE) == (0, "major")
    assert FG.in_key_share(SCALE, (0, "major")) == 1.0
    assert FG.in_key_share([(0, 61, 4), (4, 60, 12)], (0, "major")) == pytest.approx(0.75)
    assert FG.beat_share([(0, 60, 2), (2, 62, 2), (4, 64, 4)], 4) == pytest.approx(2 / 3)
    assert FG.beat_steps_of("6/8") == 6 and FG.beat_steps_of("3/8") == 2 and FG.beat_steps_of("2/2") == 8
    assert math.isnan(FG.in_key_share([], (0, "major")))


def test_js_distance_is_zero_for_the_same_and_one_for_disjoint_histograms() -> None:
    a = FG.duration_histogram(SCALE)
    assert FG.js_distance(a, 3 * a) == pytest.approx(0.0, abs=1e-9)
    assert FG.js_distance(a, FG.duration_histogram([(0, 60, 1)])) == pytest.approx(1.0)
    assert FG.offset_histogram(SCALE, 66)[FG.OFFSET_RANGE - 6] == 1  # C4 is 6 below the centre


def test_the_four_gram_learns_a_repeated_tune_that_the_unigram_cannot() -> None:
    tune = {"id": "t", "meter": "4/4", "notes": [(4 * i, [60, 64, 67, 72][i % 4], 4) for i in range(64)]}
    tunes = DS.tokenize([tune])
    four, one = NgramModel(tunes, 4), NgramModel(tunes, 1)
    held = tunes[0].tokens
    assert four.log_likelihood(held) > one.log_likelihood(held) + len(held)  # > 1 nat per token better
    for model in (four, one):
        p = model.distribution(held[:20])
        assert p.sum() == pytest.approx(1.0) and (p[1:] > 0).all()
    # transposition: the 4-gram has seen the tune a tone higher too
    shifted = V.transpose(held, 2)
    assert NgramModel(tunes, 4).log_likelihood(shifted) > NgramModel(tunes, 4, transpose=False).log_likelihood(shifted)


def test_training_windows_start_with_the_meter_at_a_bar_line_in_range() -> None:
    tune = {"id": "t", "meter": "3/4", "notes": [(4 * i, 60 + i % 12, 4) for i in range(200)]}
    tunes = DS.tokenize([tune])
    rng = np.random.default_rng(0)
    items = DS.windows(tunes, 64, rng)
    assert len(items) == -(-(len(tunes[0].tokens) - 1) // 63)
    for item in items:
        assert item[0] == V.meter_token("3/4") and item[1] == V.BAR and len(item) <= 64
        low, high = V.pitch_bounds(item)
        assert V.LOW_PITCH <= low and high <= V.HIGH_PITCH
    batch = next(DS.batches(items, 2, rng))
    assert batch.shape[0] == 2 and batch.dtype.is_floating_point is False


def test_evaluation_windows_score_every_token_exactly_once() -> None:
    tune = {"id": "t", "meter": "4/4", "notes": [(4 * i, 60 + i % 7, 4) for i in range(150)]}
    tunes = DS.tokenize([tune])
    scored = sum(len(window) - start for window, start in DS.evaluation_windows(tunes, 64))
    assert scored == len(tunes[0].tokens) - 1
