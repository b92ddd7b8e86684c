"""Sampling: each technique keeps what its name says, temperature moves the entropy, seeds repeat."""

from __future__ import annotations

import numpy as np
import pytest

from model.transformer import vocab as V
from model.transformer.sampling import Sampling, continue_tokens, filtered


def _logprobs(seed: int = 0) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(0, 2, V.VOCAB_SIZE)
    return logits - np.log(np.exp(logits).sum())


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


ALL = np.ones(V.VOCAB_SIZE, dtype=bool)


def test_top_k_keeps_exactly_the_k_likeliest() -> None:
    logprobs = _logprobs()
    probs = filtered(logprobs, ALL, Sampling("topK", 5))
    assert set(np.nonzero(probs)[0]) == set(np.argsort(-logprobs)[:5])
    assert probs.sum() == pytest.approx(1.0)


def test_nucleus_keeps_the_smallest_set_that_reaches_p() -> None:
    logprobs = _logprobs()
    probs = filtered(logprobs, ALL, Sampling("nucleus", 0.5))
    kept = np.sort(np.exp(logprobs)[probs > 0])[::-1]
    assert kept.sum() >= 0.5 and kept[:-1].sum() < 0.5
    assert set(np.nonzero(probs)[0]) == set(np.argsort(-logprobs)[: len(kept)])


def test_random_samples_from_every_allowed_token_and_the_grammar_mask_holds() -> None:
    allowed = np.zeros(V.VOCAB_SIZE, dtype=bool)
    allowed[V.PITCH_BASE :] = True
    probs = filtered(_logprobs(), allowed, Sampling("random", 1))
    assert (probs > 0).sum() == allowed.sum() and probs[~allowed].sum() == 0


def test_temperature_and_threshold_move_the_entropy_the_way_their_names_say() -> None:
    logprobs = _logprobs()
    by_temperature = [_entropy(filtered(logprobs, ALL, Sampling("random", 1, t))) for t in (0.5, 1.0, 2.0)]
    assert by_temperature == sorted(by_temperature) and by_temperature[0] < by_temperature[-1] - 0.5
    by_k = [_entropy(filtered(logprobs, ALL, Sampling("topK", k))) for k in (1, 5, 40)]
    assert by_k[0] == 0 and by_k == sorted(by_k)
    by_p = [_entropy(filtered(logprobs, ALL, Sampling("nucleus", p))) for p in (0.2, 0.6, 0.95)]
    assert by_p == sorted(by_p) and by_p[0] < by_p[-1]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="samplingTechnique"):
        Sampling("beam", 3)
    with pytest.raises(ValueError, match="temperature"):
        Sampling("topK", 3, 0)


class _Uniform:
    """A decoder with no opinion: every continuation is the grammar's and the sampler's doing."""

    def start(self, tokens):
        return np.full(V.VOCAB_SIZE, -np.log(V.VOCAB_SIZE))

    def step(self, token):
        return self.start([])


def test_a_continuation_stays_in_the_meter_stops_at_the_bar_line_and_repeats_with_its_seed() -> None:
    prompt = V.encode([(0, 60, 4), (4, 62, 4), (8, 64, 8)], "3/4", end=False)

    def run(seed: int) -> list[int]:
        grammar = V.Grammar(12, earliest=16)
        for token in prompt:
            grammar.feed(token)
        return continue_tokens(_Uniform(), prompt, grammar, 48, Sampling("random", 1), seed).tokens

    tokens = run(4)
    assert tokens == run(4) and tokens != run(5)
    notes = V.decode(prompt + tokens, "3/4", end=48)
    onsets = [s for s, _, _ in notes]
    assert onsets == sorted(set(onsets)) and onsets[:3] == [0, 4, 8]
    assert all(s >= 16 for s in onsets[3:]) and all(s + d <= 48 for s, _, d in notes)


def test_the_continuation_starts_where_the_prompt_stops_or_after_the_rest_the_prompt_ends_with() -> None:
    """An event lasts until the next onset: a first onset later than the prompt's end would mean its
    last note is still sounding (it is not, in the output), so the first event starts exactly at the
    end; when the prompt itself ends in silence, the prompt says so with a rest."""
    from model.transformer.compose import continue_melody

    legato = [(0, 60, 4), (4, 62, 4), (8, 64, 4)]  # ends on the bar line, step 12 of 3/4
    for seed in range(8):
        first = continue_melody(_Uniform(), legato, "3/4", 48, Sampling("random", 1), seed).continuation.tokens
        assert first[:2] == [V.BAR, V.pos_token(0)], seed

    class Recording(_Uniform):
        def start(self, tokens):
            self.prompt = list(tokens)
            return super().start(tokens)

        def step(self, token):
            return _Uniform.start(self, [])

    short = [(0, 60, 4), (4, 62, 2)]  # silence from step 6 on; continue from the bar line
    decoder = Recording()
    extension = continue_melody(decoder, short, "3/4", 48, Sampling("random", 1), 3, from_step=12)
    assert decoder.prompt[-2:] == [V.pos_token(6), V.REST]
    assert extension.notes and all(s >= 12 for s, _, _ in extension.notes)
    continue_melody(decoder, legato, "3/4", 48, Sampling("random", 1), 3)
    assert decoder.prompt[-1] == V.pitch_token(64)  # no rest where the next note may follow at once
