"""The AR-CNN's settings, read from the model type's one definition (``shared.model_types.arcnn``),
and how the networks' shapes follow from them.

``width`` and ``layers`` size the voice infiller (the harder task); the track enhancer gets two
thirds of the width and two layers fewer. Dilations cycle 1, 2, 4, 8, 16 (infiller: 79 voice steps
of context at 8 layers) and double up to 32 (enhancer: 127 sixteenths at 6 layers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from model.sagemaker import TrainingInputError
from shared.errors import InvalidInput
from shared.model_types.arcnn import HARMONIZE, SPEC, Hyperparameters, Parameters

TAGS_KEYS = ("dataset_tags", "datasetTags")


@dataclass(frozen=True)
class Shapes:
    channels: int
    dilations: tuple[int, ...]
    enhance_channels: int
    enhance_dilations: tuple[int, ...]

    @classmethod
    def of(cls, hp: Hyperparameters) -> Shapes:
        enhance_layers = max(2, hp.layers - 2)
        return cls(
            channels=hp.width,
            dilations=tuple(2 ** (i % 5) for i in range(hp.layers)),
            enhance_channels=max(8, hp.width * 2 // 3),
            enhance_dilations=tuple(2 ** min(i, 5) for i in range(enhance_layers)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "channels": self.channels,
            "dilations": list(self.dilations),
            "enhanceChannels": self.enhance_channels,
            "enhanceDilations": list(self.enhance_dilations),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shapes:
        return cls(
            int(data["channels"]),
            tuple(data["dilations"]),
            int(data["enhanceChannels"]),
            tuple(data["enhanceDilations"]),
        )


def validate_hyperparameters(values: dict[str, Any]) -> tuple[Hyperparameters, Any]:
    """The validated hyperparameters and the raw data-set tags; raises ``TrainingInputError``
    naming each bad hyperparameter."""
    values = dict(values)
    tags = None
    for key in TAGS_KEYS:
        if key in values:
            tags = values.pop(key)
    values = {k: json.loads(v) if isinstance(v, str) and v.strip().startswith("[") else v for k, v in values.items()}
    try:
        return cast(Hyperparameters, SPEC.validate_hyperparameters(values)), tags
    except InvalidInput as exc:
        raise TrainingInputError(str(exc)) from exc


def resolve_parameters(given: dict[str, Any], model_defaults: dict[str, Any] | None = None) -> Parameters:
    """Given values over the model's defaults over the type's (``InvalidParameters`` when bad)."""
    return cast(Parameters, SPEC.resolve_parameters(given, model_defaults))


def is_harmonize(knobs: Parameters) -> bool:
    return bool(knobs.mode == HARMONIZE)
