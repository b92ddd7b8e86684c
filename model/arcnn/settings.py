"""The AR-CNN's training hyperparameters and composing parameters, validated once here.

Hyperparameter defaults are those of the shipped ``ar-cnn-bach`` model except ``epochs`` and
``max_minutes``, which give a custom job its <= 20 minute budget on a 2-core CPU.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from model.sagemaker import TrainingInputError


class Hyperparameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    epochs: Annotated[int, Field(ge=1, le=500)] = 10
    steps_per_epoch: Annotated[int, Field(ge=1, le=100_000)] = 100
    batch_size: Annotated[int, Field(ge=1, le=512)] = 64
    learning_rate: Annotated[float, Field(gt=0, le=0.1)] = 1e-3
    channels: Annotated[int, Field(ge=8, le=512, description="Width of the voice infiller.")] = 192
    dilations: tuple[Annotated[int, Field(ge=1, le=64)], ...] = (1, 2, 4, 8, 16, 1, 2, 4)
    enhance_channels: Annotated[int, Field(ge=8, le=512, description="Width of the track enhancer.")] = 128
    enhance_dilations: tuple[Annotated[int, Field(ge=1, le=64)], ...] = (1, 2, 4, 8, 16, 32)
    max_minutes: Annotated[float, Field(gt=0, le=600)] = 18.0
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    max_pieces: Annotated[int, Field(ge=2, le=100_000)] | None = None
    dataset_tags: Any = None


def validate_hyperparameters(values: dict[str, Any]) -> Hyperparameters:
    """Raises ``TrainingInputError`` naming each bad hyperparameter."""
    values = {k: json.loads(v) if isinstance(v, str) and v.strip().startswith("[") else v for k, v in values.items()}
    for key in ("datasetTags",):
        if key in values:
            values["dataset_tags"] = values.pop(key)
    try:
        return Hyperparameters.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise TrainingInputError(f"Invalid ar-cnn hyperparameters: {problems}") from exc


class ComposeParameters(BaseModel):
    """The composing knobs by their API names (DeepComposer's for ``enhance``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)

    mode: Literal["enhance", "harmonize"] = "enhance"
    max_percentage_of_initial_notes_removed: Annotated[float, Field(ge=0, le=100)] = 100
    max_notes_added: Annotated[int, Field(ge=50, le=1000)] = 500
    sampling_iterations: Annotated[int, Field(ge=0, le=100)] = 100
    temperature: Annotated[float, Field(ge=0.5, le=6)] = 1.0
    gibbs_iterations: Annotated[int, Field(ge=1, le=1000)] = 128
    final_temperature: Annotated[float, Field(gt=0, le=6)] = 0.5


def resolve_parameters(given: dict[str, Any], model_defaults: dict[str, Any] | None = None) -> ComposeParameters:
    """Given values over the model's defaults over the type's."""
    return ComposeParameters.model_validate({**(model_defaults or {}), **given})
