"""The two sampling procedures: what each knob does, with networks whose wishes are known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.arcnn.encoding import CLASSES, REST
from model.arcnn.network import EnhanceNet, InfillNet
from model.arcnn.sampling import TrackNote, enhance, harmonize, parallel_classes

STEPS = 64


def _net(kind: type, bias: float | None = None, seed: int = 0):
    torch.manual_seed(seed)
    net = kind(16, (1, 2)) if kind is InfillNet else kind(16, (1, 2))
    if bias is not None:  # a network that believes every cell belongs (+) or none does (-)
        with torch.no_grad():
            net.out.weight.zero_()
            net.out.bias.fill_(bias)
    return net.eval()


def _notes(count: int = 20) -> list[TrackNote]:
    rng = np.random.default_rng(0)
    return [
        TrackNote(int(s), int(p), 2, i)
        for i, (s, p) in enumerate(zip(rng.integers(0, STEPS - 2, count), rng.integers(10, 30, count), strict=True))
    ]


def test_harmonize_keeps_the_soprano_and_fills_every_other_voice():
    soprano = np.array([30, 30, 32, REST] * 8)
    out = harmonize(_net(InfillNet), soprano, seed=3, iterations=12, temperature=1.0, final_temperature=0.5)
    assert out.shape == (32, 4)
    assert (out[:, 0] == soprano).all()
    assert out.min() >= 0 and out.max() < CLASSES
    again = harmonize(_net(InfillNet), soprano, seed=3, iterations=12, temperature=1.0, final_temperature=0.5)
    other = harmonize(_net(InfillNet), soprano, seed=4, iterations=12, temperature=1.0, final_temperature=0.5)
    assert (again == out).all() and (other != out).any()


def test_zero_iterations_return_the_input_unchanged():
    notes = _notes()
    result = enhance(
        _net(EnhanceNet), notes, STEPS, seed=0, iterations=0, temperature=1.0, max_removed=20, max_added=500
    )
    assert result.notes == notes and result.added == 0 and not result.removed


@pytest.mark.parametrize("max_removed", [0, 3, 20])
def test_removals_stop_at_the_cap(max_removed):
    """A network that wants every note gone removes exactly as many of the input's as allowed."""
    net = _net(EnhanceNet, bias=-30.0)
    result = enhance(
        net, _notes(), STEPS, seed=0, iterations=30, temperature=1.0, max_removed=max_removed, max_added=50
    )
    assert len(result.removed) == max_removed
    kept = {n.origin for n in result.notes if n.origin is not None}
    assert kept == set(range(20)) - set(result.removed)


@pytest.mark.parametrize("max_added", [0, 5, 50])
def test_additions_stop_at_the_cap(max_added):
    """A network that wants every cell sounding adds exactly as many notes as allowed, one per
    iteration, and stops when nothing more is allowed (none of the input's notes may go here)."""
    net = _net(EnhanceNet, bias=30.0)
    result = enhance(net, _notes(), STEPS, seed=0, iterations=30, temperature=1.0, max_removed=0, max_added=max_added)
    assert result.added == min(max_added, 30)
    assert len(result.notes) == 20 + result.added
    assert len(result.entropies) == min(max_added, 30)


def test_temperature_raises_the_entropy_of_each_choice():
    net = _net(EnhanceNet, seed=5)
    entropy = {}
    for temperature in (0.5, 1.0, 6.0):
        result = enhance(
            net, _notes(), STEPS, seed=0, iterations=10, temperature=temperature, max_removed=20, max_added=500
        )
        entropy[temperature] = float(np.mean(result.entropies))
    assert entropy[0.5] < entropy[1.0] < entropy[6.0]


def test_parallel_classes_forbid_parallel_fifths_and_octaves_only():
    state = np.zeros((2, 4), dtype=np.int64)
    state[0] = [30, 23, 16, 11]  # soprano a fifth above alto (30 - 23 = 7), bass an octave below tenor
    state[1] = [32, 0, 18, 0]  # soprano and tenor both step up by 2
    forbidden = parallel_classes(state)
    assert forbidden[1, 1, 25]  # alto up 2 to 25: a fifth under the soprano again, both rising
    assert not forbidden[1, 1, 24]  # up 1: a tritone
    assert not forbidden[1, 1, 21]  # down 2 to a fifth: contrary motion is no parallel
    assert forbidden[1, 3, 13]  # bass up 2: an octave under the tenor again, both rising
    assert not forbidden[1, 3, 11]  # the bass holds: oblique motion
    assert not forbidden[:, :, 0].any()  # a rest makes no parallel


def test_the_lower_voice_of_a_pair_is_kept_from_parallel_fifths_too():
    """A 5th is a 5th from either voice: resampling the lower voice (tenor, under the alto) must see
    the parallel just as resampling the upper one does."""
    state = np.zeros((2, 4), dtype=np.int64)
    state[0] = [35, 30, 23, 11]  # alto a fifth above the tenor (30 - 23 = 7)
    state[1] = [37, 32, 0, 13]  # alto steps up by 2; the tenor is being resampled
    forbidden = parallel_classes(state)
    assert forbidden[1, 2, 25]  # tenor up 2 to 25: a fifth under the alto again, both rising
    assert not forbidden[1, 2, 24] and not forbidden[1, 2, 21]  # a tritone; contrary motion
    state[1] = [37, 0, 25, 13]  # now the alto is resampled over the tenor's step
    assert parallel_classes(state)[1, 1, 32]


def test_bass_leaps_are_weighted_down_by_their_size_and_steps_and_rests_are_not():
    from model.arcnn.sampling import BASS_LEAP_COST, bass_leap_weights

    state = np.zeros((3, 4), dtype=np.int64)
    state[:, 3] = [20, 0, 22]  # the bass around a voice-step being resampled
    weights = bass_leap_weights(state)
    assert weights[1, 21] == 1.0 and weights[1, 20] == 1.0 and weights[1, 0] == 1.0  # steps, a rest
    assert weights[1, 25] == pytest.approx(np.exp(-BASS_LEAP_COST * ((5 - 2) + (3 - 2))))
    assert weights[1, 30] < weights[1, 25] < weights[1, 22]  # the bigger the leap, the smaller
    state[:, 3] = [0, 0, 0]
    assert (bass_leap_weights(state) == 1.0).all()  # no sounding neighbour, no weight
