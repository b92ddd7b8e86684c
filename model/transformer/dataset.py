"""Tunes as token arrays, and the training batches cut from them.

A training window is the tune's ``METER`` token followed by up to ``context - 1`` tokens starting
at one of its ``BAR`` tokens, transposed to a random key (all twelve, where the range allows).
Windows of similar length are batched together, so little of a batch is padding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from model.transformer import vocab as V

SHIFTS = tuple(range(-6, 6))


@dataclass
class TokenTune:
    id: str
    meter: str
    tokens: np.ndarray  # int64, starting with the METER token
    bars: np.ndarray  # indices of the BAR tokens

    @property
    def notes(self) -> int:
        return int((V.TOKEN_KINDS[self.tokens] == V.KIND_PITCH).sum())


def tokenize(tunes: Sequence[dict[str, Any]]) -> list[TokenTune]:
    """Every tune the vocabulary can express (a meter it can place notes in, pitches in range)."""
    out = []
    for tune in tunes:
        try:
            tokens = np.array(V.encode(tune["notes"], tune["meter"]), dtype=np.int64)
        except V.VocabularyError:
            continue
        out.append(TokenTune(tune["id"], tune["meter"], tokens, np.nonzero(tokens == V.BAR)[0]))
    return out


def random_shift(tokens: np.ndarray, rng: np.random.Generator) -> int:
    """A random transposition among the twelve keys that keeps every pitch in the vocabulary."""
    low, high = V.pitch_bounds(tokens)
    fitting = [s for s in SHIFTS if low + s >= V.LOW_PITCH and high + s <= V.HIGH_PITCH]
    return int(rng.choice(fitting)) if fitting else 0


def windows(tunes: Sequence[TokenTune], context: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of windows: each tune cut into ``ceil(len / context)`` windows at random bar lines,
    each in a random key."""
    out = []
    for tune in tunes:
        body = len(tune.tokens) - 1
        count = max(1, -(-body // (context - 1)))
        for _ in range(count):
            starts = tune.bars[tune.bars <= max(1, len(tune.tokens) - (context - 1))]
            start = int(rng.choice(starts)) if len(starts) else 1
            piece = np.concatenate([tune.tokens[:1], tune.tokens[start : start + context - 1]])
            out.append(V.transpose(piece, random_shift(piece, rng)))
    return out


def batches(items: Sequence[np.ndarray], batch_size: int, rng: np.random.Generator) -> Iterator[torch.Tensor]:
    """Padded ``(batch, length)`` tensors of windows of similar length, in random order."""
    order = np.argsort([len(w) + rng.random() for w in items], kind="stable")
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for g in rng.permutation(len(groups)):
        chosen = [items[i] for i in groups[g]]
        length = max(len(w) for w in chosen)
        out = np.full((len(chosen), length), V.PAD, dtype=np.int64)
        for row, window in enumerate(chosen):
            out[row, : len(window)] = window
        yield torch.from_numpy(out)


def evaluation_windows(tunes: Sequence[TokenTune], context: int) -> list[tuple[np.ndarray, int]]:
    """Untransposed windows covering every token of every tune once, for held-out likelihood:
    ``(window, scored_from)``, where tokens before ``scored_from`` are context already scored by the
    previous window (half a context of overlap, cut at a bar line)."""
    out = []
    for tune in tunes:
        tokens = tune.tokens
        if len(tokens) <= context:
            out.append((tokens, 1))
            continue
        scored_to, start = 1, 1
        while scored_to < len(tokens):
            piece = np.concatenate([tokens[:1], tokens[start : start + context - 1]])
            out.append((piece, 1 + scored_to - start))
            scored_to = start + context - 1
            if scored_to >= len(tokens):
                break
            later = tune.bars[(tune.bars > start) & (tune.bars <= scored_to - context // 2)]
            start = int(later[-1]) if len(later) else scored_to - context // 2
    return out
