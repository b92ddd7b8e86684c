"""Classifier two-sample test: can a small CNN tell generated 2-bar windows from real ones?

Hand-picked figures only see what someone thought of measuring; a classifier trained to tell
real from generated music finds whatever gives the model away. Its held-out accuracy is the most
honest single number: 0.5 means the two are indistinguishable to it, 1.0 means every window is
recognised.

The windows are 2-bar (32-step), 4-voice binary rolls cropped to a pitch band, cut from real and
generated pieces in the same roll form. Folds are grouped by piece: a generated window belongs to
the group of the real piece whose melody it was made from, so the classifier is never tested on a
tune it saw in training (it could otherwise recognise the melody rather than the accompaniment).
Each of the ``FOLDS`` folds trains a fresh network with early stopping on a validation split of
its training groups (also by group) and scores the held-out fold by balanced accuracy (the mean
of the per-class hit rates, so unequal window counts cannot pass for skill); the result is the
mean over folds. ``null_accuracy`` runs the same test on two disjoint halves of the real pieces,
which must come out near 0.5, so that a high number means the model and not the test.

Torch runs with ``COMPOSER_TORCH_THREADS`` threads (default 1) for the call and is deterministic
for a seed on CPU. Example::

    from model import two_sample as T
    result = T.two_sample_accuracy(real_rolls, generated_rolls)  # generated[i] from real[i]'s melody
    result.accuracy, T.null_accuracy(real_rolls).accuracy
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

WINDOW_STEPS = 32
LOW_PITCH = 34  # the band B-flat 1 .. A5, where four-voice chorales live
PITCH_COUNT = 48
VOICES = 4
FOLDS = 5
BATCH = 64
THREADS_ENV = "COMPOSER_TORCH_THREADS"


@dataclass(frozen=True)
class TwoSampleResult:
    """Mean held-out balanced accuracy over folds, each fold's, and the window counts."""

    accuracy: float
    fold_accuracies: tuple[float, ...]
    real_windows: int
    generated_windows: int


def windows(roll: np.ndarray, low: int = LOW_PITCH, count: int = PITCH_COUNT) -> np.ndarray:
    """Non-overlapping 32-step windows ``(n, 32, count, 4)`` of a binary roll ``(steps, 128, 4)``,
    starting on bar lines, cropped to the pitch band; windows where nothing sounds are left out."""
    roll = np.asarray(roll) > 0
    starts = range(0, roll.shape[0] - WINDOW_STEPS + 1, WINDOW_STEPS)
    cut = [roll[s : s + WINDOW_STEPS, low : low + count, :VOICES] for s in starts]
    kept = [w for w in cut if w.any()]
    return np.stack(kept) if kept else np.zeros((0, WINDOW_STEPS, count, VOICES), dtype=bool)


class WindowClassifier(nn.Module):
    """Convolutions over time with every (voice, pitch) cell as an input channel, pooled over time
    to one logit: it sees exact vertical sonorities and their succession over three 16ths at the
    first layer, and about a beat and a half at the second. One matrix product per layer, so a
    fold trains in seconds on one CPU thread; about 35k parameters."""

    def __init__(self, pitches: int = PITCH_COUNT, width: int = 48) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(VOICES * pitches, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width, 3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(2 * width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.features(x)
        pooled = torch.cat([features.mean(dim=2), features.amax(dim=2)], dim=1)
        result: torch.Tensor = self.head(pooled).squeeze(1)
        return result


def _tensor(batch: np.ndarray) -> torch.Tensor:
    n, steps, pitches, voices = batch.shape  # -> (n, voices * pitches, steps)
    return torch.from_numpy(batch).permute(0, 3, 2, 1).reshape(n, voices * pitches, steps).float()


def _balanced_accuracy(logits: torch.Tensor, labels: np.ndarray) -> float:
    predicted = logits.numpy() > 0
    rates = [np.mean(predicted[labels == c] == bool(c)) for c in (0, 1) if np.any(labels == c)]
    return float(np.mean(rates))


def _transposed(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The windows plus one transposition of each by a random shift within a fourth (empty pitches
    fill in), so the classifier learns harmony and motion rather than absolute pitches."""
    shifted = np.zeros_like(x)
    for i, shift in enumerate(rng.integers(-5, 6, size=len(x))):
        if shift >= 0:
            shifted[i, :, shift:] = x[i, :, : x.shape[2] - shift]
        else:
            shifted[i, :, :shift] = x[i, :, -shift:]
    return _tensor(np.concatenate([x, shifted])), torch.from_numpy(np.concatenate([y, y])).float()


def _fit(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int, max_epochs: int, patience: int, pitches: int
) -> nn.Module:
    """Train on (x, y) with early stopping on a fifth of the groups; the best weights are kept."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    unique = rng.permutation(np.unique(groups))
    validation = np.isin(groups, unique[: max(1, len(unique) // 5)])
    train_x, train_y = _transposed(x[~validation], y[~validation], rng)
    val_x, val_y = _tensor(x[validation]), torch.from_numpy(y[validation]).float()
    model = WindowClassifier(pitches)
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, waited = float("inf"), copy.deepcopy(model.state_dict()), 0
    for _ in range(max_epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(train_y)))
        for batch in order.split(BATCH):
            optimiser.zero_grad()
            loss_fn(model(train_x[batch]), train_y[batch]).backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            val_loss = float(loss_fn(model(val_x), val_y)) if len(val_y) else 0.0
        if val_loss < best - 1e-4:
            best, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return model.eval()


def two_sample_accuracy(
    real: Sequence[np.ndarray],
    generated: Sequence[np.ndarray],
    real_groups: Sequence[object] | None = None,
    generated_groups: Sequence[object] | None = None,
    seed: int = 0,
    folds: int = FOLDS,
    max_epochs: int = 12,
    patience: int = 3,
    band: tuple[int, int] = (LOW_PITCH, PITCH_COUNT),
) -> TwoSampleResult:
    """Held-out accuracy of a classifier telling ``generated`` rolls from ``real`` ones.

    Rolls are binary ``(steps, 128, 4)``. Groups default to the position in each list (the
    generated piece ``i`` was made from the melody of real piece ``i``); pass them when it is not so.
    ``band`` is the (lowest pitch, pitch count) the windows are cropped to: the chorales' by default,
    widen it for a corpus that lies higher or lower (notes outside it are not seen).
    """
    real_groups = list(range(len(real))) if real_groups is None else list(real_groups)
    generated_groups = list(range(len(generated))) if generated_groups is None else list(generated_groups)
    parts, labels, groups = [], [], []
    for label, rolls, names in ((0, real, real_groups), (1, generated, generated_groups)):
        for roll, name in zip(rolls, names, strict=True):
            cut = windows(roll, *band)
            parts.append(cut)
            labels += [label] * len(cut)
            groups += [str(name)] * len(cut)
    x = np.concatenate(parts).astype(np.float32)
    y = np.array(labels, dtype=np.int64)
    group_ids = np.array(groups)
    unique = np.random.default_rng(seed).permutation(np.unique(group_ids))
    if len(unique) < folds:
        raise ValueError(f"{len(unique)} groups cannot make {folds} folds")
    fold_of = {name: i % folds for i, name in enumerate(unique)}
    fold = np.array([fold_of[name] for name in group_ids])
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get(THREADS_ENV, "1")))
    try:
        scores = []
        for k in range(folds):
            test = fold == k
            model = _fit(x[~test], y[~test], group_ids[~test], seed * 1000 + k, max_epochs, patience, band[1])
            with torch.no_grad():
                scores.append(_balanced_accuracy(model(_tensor(x[test])), y[test]))
    finally:
        torch.set_num_threads(previous_threads)
    return TwoSampleResult(float(np.mean(scores)), tuple(scores), int((y == 0).sum()), int((y == 1).sum()))


def null_accuracy(real: Sequence[np.ndarray], seed: int = 0, **options: Any) -> TwoSampleResult:
    """The same test on two disjoint halves of the real pieces (paired as groups): ~0.5 when the
    test is sound. ``options`` are those of ``two_sample_accuracy``."""
    order = np.random.default_rng(seed).permutation(len(real))
    half = len(order) // 2
    first, second = order[:half], order[half : 2 * half]
    return two_sample_accuracy([real[i] for i in first], [real[i] for i in second], seed=seed, **options)
