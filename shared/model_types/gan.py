"""GAN (``gan``): the melody in, three accompaniment tracks added (four tracks out).

It takes no knobs beyond the composition's ``seed``, so its parameters are the empty object; its
training settings are the WGAN-GP recipe's, with defaults chosen for a custom job on a small tag:
the generator starts from the shipped ``bach-chorales`` weights (a dozen pieces cannot teach a
network harmony from scratch in minutes, but can move a trained one towards their style), so the
width is that model's and the step size is small enough not to undo what it knows.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from shared.model_types.spec import Epochs, KnobModel, LearningRate, MaxWindows, ModelType, ModelTypeSpec, Seed


class Parameters(KnobModel):
    """The GAN has no knobs: send an empty object (or leave ``parameters`` out); vary ``seed`` instead."""


PRETRAINED_WIDTH = 8  # the shipped bach-chorales generator's width: a start from it needs the same network


class Hyperparameters(KnobModel):
    """Training settings; the defaults give a usable model from a small tag in minutes (bounds keep a
    job within a sane budget)."""

    epochs: Epochs = 8
    learning_rate: LearningRate = 5e-4
    update_ratio: Annotated[int, Field(ge=1, le=20, description="Critic updates per generator update.")] = 1
    batch_size: Annotated[int, Field(ge=1, le=512, description="Windows per step.")] = 32
    width: Annotated[int, Field(ge=4, le=128, description="Filters of the first conv layer.")] = PRETRAINED_WIDTH
    gradient_penalty: Annotated[float, Field(ge=0, le=100, description="Weight of the WGAN-GP penalty.")] = 10.0
    seed: Seed = 0
    max_windows: MaxWindows | None = 8192  # an epoch of a large tag stays about a minute
    start_from: Literal["bach-chorales", "scratch"] = Field(
        default="bach-chorales",
        description="The generator's initial weights: the shipped bach-chorales model's (fine-tuning; needs "
        f"width {PRETRAINED_WIDTH}) or random ones (scratch: needs many pieces and epochs).",
    )

    @model_validator(mode="after")
    def _width_fits_the_start(self) -> Self:
        if self.start_from != "scratch" and self.width != PRETRAINED_WIDTH:
            raise ValueError(
                f"width {self.width} cannot start from {self.start_from} (a width-{PRETRAINED_WIDTH} network); "
                f"use width {PRETRAINED_WIDTH} or startFrom scratch"
            )
        return self


SPEC = ModelTypeSpec(
    type=ModelType.GAN,
    title="GAN",
    description="Keeps your melody exactly and adds three accompaniment tracks (four tracks out).",
    parameters=Parameters,
    hyperparameters=Hyperparameters,
)
