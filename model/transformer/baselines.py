"""Honest baselines on the same vocabulary: an n-gram (Markov) model of the event tokens.

Counted on the same training tunes in every key the transformer sees (the same transpositions),
smoothed by interpolated absolute discounting down to an add-one unigram, so every token of the
held-out tunes has a probability. ``order=4`` is the 4-gram baseline, ``order=1`` the unigram.
They are decoders (``start``/``step``) like the network, so their continuations are sampled by the
same sampler under the same grammar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.transformer import dataset as DS
from model.transformer import vocab as V

DISCOUNT = 0.75


class NgramModel:
    def __init__(self, tunes: Sequence[DS.TokenTune], order: int = 4, transpose: bool = True) -> None:
        self.order = order
        sequences = []
        for tune in tunes:
            low, high = V.pitch_bounds(tune.tokens)
            shifts = [s for s in DS.SHIFTS if low + s >= V.LOW_PITCH and high + s <= V.HIGH_PITCH] if transpose else [0]
            sequences += [V.transpose(tune.tokens, s) for s in shifts or [0]]
        self.unigram = np.ones(V.VOCAB_SIZE)
        for seq in sequences:
            self.unigram += np.bincount(seq[1:], minlength=V.VOCAB_SIZE)
        self.unigram[V.PAD] = 0
        self.unigram /= self.unigram.sum()
        # per context length k = 1..order-1: sorted keys of (context, next) and of context, with counts
        self.tables = []
        for k in range(1, order):
            pairs = np.concatenate([self._keys(seq, k) for seq in sequences]) if sequences else np.zeros(0, np.int64)
            pair_keys, pair_counts = np.unique(pairs, return_counts=True)
            contexts = pair_keys // V.VOCAB_SIZE
            context_keys, first = np.unique(contexts, return_index=True)
            context_counts = np.add.reduceat(pair_counts, first) if len(first) else np.zeros(0, np.int64)
            distinct = np.diff(np.append(first, len(contexts)))
            self.tables.append((pair_keys, pair_counts, context_keys, context_counts, distinct))
        self.history: list[int] = []

    @staticmethod
    def _context_key(tokens: np.ndarray, k: int) -> int:
        key = 0
        for t in tokens[-k:]:
            key = key * V.VOCAB_SIZE + int(t)
        return key

    @staticmethod
    def _keys(seq: np.ndarray, k: int) -> np.ndarray:
        """(context of k tokens, next) keys for every position 1.. of a sequence (left-padded)."""
        padded = np.concatenate([np.full(k, V.PAD, dtype=np.int64), seq])
        keys = np.zeros(len(seq) - 1, dtype=np.int64)
        for j in range(k + 1):
            keys = keys * V.VOCAB_SIZE + padded[1 + j : 1 + j + len(seq) - 1]
        return keys

    @staticmethod
    def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        if not len(keys):
            return np.zeros(len(wanted), dtype=np.int64)
        index = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return np.where(keys[index] == wanted, values[index], 0)

    def distribution(self, history: Sequence[int] | np.ndarray) -> np.ndarray:
        """P(next | history) over the whole vocabulary."""
        probs = self.unigram.copy()
        padded = np.concatenate([np.full(self.order, V.PAD, dtype=np.int64), np.asarray(history, dtype=np.int64)])
        candidates = np.arange(V.VOCAB_SIZE, dtype=np.int64)
        for k, (pair_keys, pair_counts, context_keys, context_counts, distinct) in enumerate(self.tables, start=1):
            context = self._context_key(padded, k)
            total = self._lookup(context_keys, context_counts, np.array([context]))[0]
            if total == 0:
                continue
            types = self._lookup(context_keys, distinct, np.array([context]))[0]
            counts = self._lookup(pair_keys, pair_counts, context * V.VOCAB_SIZE + candidates)
            probs = np.maximum(counts - DISCOUNT, 0) / total + DISCOUNT * types / total * probs
        return probs

    def log_likelihood(self, tokens: np.ndarray) -> float:
        """Sum of log P(token_i | tokens before it), i = 1.. (the METER token is given)."""
        return float(sum(np.log(self.distribution(tokens[:i])[tokens[i]]) for i in range(1, len(tokens))))

    # --- the decoder interface -------------------------------------------------------------------

    def start(self, tokens: Sequence[int]) -> np.ndarray:
        self.history = list(tokens)
        result: np.ndarray = np.log(np.maximum(self.distribution(self.history), 1e-300))
        return result

    def step(self, token: int) -> np.ndarray:
        self.history.append(token)
        result: np.ndarray = np.log(np.maximum(self.distribution(self.history[-self.order :]), 1e-300))
        return result
