"""Which voice-steps the infilling network must predict: the masks of orderless training and the
blocked Gibbs schedule of sampling (Coconet's, Huang et al. 2017).

Training (``training_masks``): half the examples get Coconet's orderless mask (a subset size drawn
uniformly, then that many voice-steps chosen at random), half the harmonising case (the soprano
always given, each alto/tenor/bass step masked with one drawn rate), so the network sees both the
general infilling problem and the one ``harmonize`` poses most.

Sampling (``mask_probability``): Coconet's annealed schedule; the share of free cells resampled at
step n falls linearly from ``high`` to ``low`` over the first ``eta`` of the steps, then stays.
"""

from __future__ import annotations

import numpy as np

from model.arcnn.encoding import VOICES


def training_masks(rng: np.random.Generator, batch: int, steps: int) -> np.ndarray:
    """``(batch, steps, 4)`` bool, True = masked (to predict); every example masks at least one cell."""
    cells = steps * VOICES
    masks = np.zeros((batch, steps, VOICES), dtype=bool)
    harmonising = rng.random(batch) < 0.5
    for i in range(batch):
        if harmonising[i]:
            rate = rng.uniform(0.05, 1.0)
            masks[i, :, 1:] = rng.random((steps, VOICES - 1)) < rate
            if not masks[i].any():
                masks[i, rng.integers(steps), rng.integers(1, VOICES)] = True
        else:
            size = int(rng.integers(1, cells + 1))
            flat = np.zeros(cells, dtype=bool)
            flat[rng.choice(cells, size=size, replace=False)] = True
            masks[i] = flat.reshape(steps, VOICES)
    return masks


def mask_probability(step: int, steps: int, high: float = 0.999, low: float = 0.05, eta: float = 0.75) -> float:
    """The share of free voice-steps to resample at Gibbs step ``step`` of ``steps``."""
    return max(low, high - step * (high - low) / (eta * steps))
