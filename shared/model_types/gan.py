"""GAN (``gan``): the melody in, three accompaniment tracks added (four tracks out).

It takes no knobs beyond the composition's ``seed``, so its parameters are the empty object; its
training settings are the WGAN-GP recipe's.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.model_types.spec import Epochs, KnobModel, LearningRate, MaxWindows, ModelType, ModelTypeSpec, Seed


class Parameters(KnobModel):
    """The GAN has no knobs: send an empty object (or leave ``parameters`` out); vary ``seed`` instead."""


class Hyperparameters(KnobModel):
    """Training settings with DeepComposer-like defaults; bounds keep a job within a sane budget."""

    epochs: Epochs = 10
    learning_rate: LearningRate = 1e-3
    update_ratio: Annotated[int, Field(ge=1, le=20, description="Critic updates per generator update.")] = 5
    batch_size: Annotated[int, Field(ge=1, le=512, description="Windows per step.")] = 64
    width: Annotated[int, Field(ge=4, le=128, description="Filters of the first conv layer.")] = 16
    gradient_penalty: Annotated[float, Field(ge=0, le=100, description="Weight of the WGAN-GP penalty.")] = 10.0
    seed: Seed = 0
    max_windows: MaxWindows | None = None


SPEC = ModelTypeSpec(
    type=ModelType.GAN,
    title="GAN",
    description="Keeps your melody exactly and adds three accompaniment tracks (four tracks out).",
    parameters=Parameters,
    hyperparameters=Hyperparameters,
)
