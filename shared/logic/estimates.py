"""How long a training job will take, told at ``POST /training-jobs`` and kept on the record.

The estimate is the data size times the epochs times a measured cost, per model type:

- ``gan``: ``setup + epochs * (windows * per_window + held_out * per_held_out)``, where ``windows`` is
  the filter's training windows (``GET /datasets``; capped by ``maxWindows``) and ``held_out`` its
  held-out pieces (up to the 48 segments judged every epoch); widths other than 8 scale the
  per-window cost by ``(width / 8) ** 2``;
- ``ar-cnn``: an epoch is ``stepsPerEpoch`` batches whatever the data, so
  ``setup + epochs * stepsPerEpoch * batchSize * per_window``, scaled by ``(width / 128) ** 2 *
  layers / 8``, and never past ``maxMinutes``;
- ``transformer``: ``setup + epochs * tunes * per_tune``, scaled by ``(dModel / 128) ** 2 *
  layers / 4``, never past ``maxMinutes``.

The costs were measured on the 2-core development VM with one torch thread while other jobs shared
it (``benchmarks/RESULTS.md``, "Training time estimate"), which is slower than an idle
``ml.m5.xlarge``: read the figure as an upper bound there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.logic.datasets import Selection
from shared.model_types import ModelType
from shared.schemas import TrainingEstimate

EVAL_SEGMENTS_PIECES = 32  # about the held-out pieces whose segments fill the GAN's 48 judged per epoch


@dataclass(frozen=True)
class Cost:
    """Measured seconds: once per job, per window (or melody) per epoch, per held-out piece per epoch."""

    setup: float
    per_window: float
    per_held_out: float = 0.0


COSTS: Mapping[ModelType, Cost] = {
    ModelType.GAN: Cost(setup=60.0, per_window=0.0125, per_held_out=1.2),
    ModelType.AR_CNN: Cost(setup=20.0, per_window=0.035),
    ModelType.TRANSFORMER: Cost(setup=60.0, per_window=0.077),
}


def estimate(model_type: ModelType | str, selection: Selection, hyperparameters: Mapping[str, Any]) -> TrainingEstimate:
    """The estimate for a job of ``model_type`` on ``selection`` with resolved (camelCase) hyperparameters."""
    kind = ModelType(model_type)
    cost = COSTS[kind]
    epochs = int(hyperparameters["epochs"])
    if kind == ModelType.GAN:
        cap = hyperparameters.get("maxWindows")
        windows = min(selection.windows, int(cap)) if cap else selection.windows
        per_window = cost.per_window * (int(hyperparameters["width"]) / 8) ** 2
        judged = min(selection.held_out_pieces, EVAL_SEGMENTS_PIECES)
        seconds = cost.setup + epochs * (windows * per_window + judged * cost.per_held_out)
        basis = (
            f"{cost.setup:g} s + {epochs} epochs x ({windows} windows x {per_window:.4g} s + {judged} held-out "
            f"pieces x {cost.per_held_out:g} s)"
        )
    elif kind == ModelType.AR_CNN:
        windows = int(hyperparameters["stepsPerEpoch"]) * int(hyperparameters["batchSize"])
        per_window = cost.per_window * (int(hyperparameters["width"]) / 128) ** 2 * int(hyperparameters["layers"]) / 8
        seconds = min(cost.setup + epochs * windows * per_window, cost.setup + 60 * hyperparameters["maxMinutes"])
        basis = (
            f"{cost.setup:g} s + {epochs} epochs x {windows} windows x {per_window:.4g} s, "
            f"at most maxMinutes {hyperparameters['maxMinutes']:g}"
        )
    else:
        windows = 0
        per_tune = cost.per_window * (int(hyperparameters["dModel"]) / 128) ** 2 * int(hyperparameters["layers"]) / 4
        seconds = cost.setup + epochs * selection.tunes * per_tune
        basis = f"{cost.setup:g} s + {epochs} epochs x {selection.tunes} melodies x {per_tune:.4g} s"
        if hyperparameters.get("maxMinutes"):
            seconds = min(seconds, cost.setup + 60 * hyperparameters["maxMinutes"])
            basis += f", at most maxMinutes {hyperparameters['maxMinutes']:g}"
    return TrainingEstimate(
        seconds=round(seconds),
        training_pieces=selection.training_pieces,
        held_out_pieces=selection.held_out_pieces,
        windows=windows,
        basis=basis,
    )
