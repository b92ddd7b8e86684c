"""AR-CNN (``ar-cnn``): a convolutional infilling model over the piano roll, in two modes.

- ``enhance`` (DeepComposer's semantics): one track in, one track out. Each sampling iteration is one
  pass of the network that adds or removes one note, so the track sounds more like the training
  style; the four knobs keep DeepComposer's names, ranges and defaults.
- ``harmonize``: the melody is kept exactly and alto, tenor and bass are written by blocked Gibbs
  sampling with an annealed temperature (four tracks out). Its ``samplingIterations`` are Gibbs
  steps and its ``temperature`` is where the annealing starts; the enhance knobs do not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field

from shared.model_types.spec import (
    Condition,
    Epochs,
    Knob,
    KnobModel,
    LearningRate,
    MaxWindows,
    MelodyKept,
    ModelType,
    ModelTypeSpec,
    Seed,
)

ENHANCE: Final = "enhance"
HARMONIZE: Final = "harmonize"


class Parameters(KnobModel):
    """AR-CNN knobs. `mode` decides which others apply and their ranges (see `allOf`)."""

    model_config = ConfigDict(strict=True)

    mode: Annotated[
        Literal["enhance", "harmonize"],
        Field(
            description="enhance: rewrite your track note by note toward the style (one track out); "
            "harmonize: keep your melody and write alto, tenor and bass (four tracks out)."
        ),
    ] = ENHANCE
    max_percentage_of_initial_notes_removed: (
        Annotated[
            float,
            Field(ge=0, le=100, description="enhance: at most this % of your notes may be removed (0-100)."),
        ]
        | None
    ) = None
    max_notes_added: (
        Annotated[int, Field(ge=50, le=1000, description="enhance: at most this many notes may be added (50-1000).")]
        | None
    ) = None
    sampling_iterations: (
        Annotated[
            int,
            Field(
                ge=0,
                le=500,
                description="enhance: network passes, each adding or removing one note (0-100); "
                "harmonize: Gibbs sampling steps over alto, tenor and bass (1-500).",
            ),
        ]
        | None
    ) = None
    temperature: (
        Annotated[
            float,
            Field(
                ge=0.1,
                le=6,
                description="Creative risk: above 1 takes more unlikely notes, below 1 fewer. enhance: 0.5-6; "
                "harmonize: the temperature the annealing starts from, 0.1-2.",
            ),
        ]
        | None
    ) = None


class Hyperparameters(KnobModel):
    """AR-CNN training settings (orderless training on random masks of the Bach chorales' roll)."""

    epochs: Epochs = 10
    learning_rate: LearningRate = 1e-3
    batch_size: Annotated[int, Field(ge=1, le=512, description="Windows per step.")] = 32
    width: Annotated[int, Field(ge=8, le=256, description="Filters of each convolution layer.")] = 64
    layers: Annotated[int, Field(ge=2, le=32, description="Convolution layers of the network.")] = 8
    seed: Seed = 0
    max_windows: MaxWindows | None = None
    steps_per_epoch: Annotated[int, Field(ge=1, le=10_000, description="Training steps per epoch.")] = 100
    max_minutes: Annotated[
        float, Field(gt=0, le=600, description="Training stops after the epoch that crosses this many minutes.")
    ] = 18.0


CONDITIONS = (
    Condition(
        field="mode",
        value=ENHANCE,
        knobs={
            "max_percentage_of_initial_notes_removed": Knob(0, 100, 100),
            "max_notes_added": Knob(50, 1000, 500, integer=True),
            "sampling_iterations": Knob(
                0, 100, 100, integer=True, description="Network passes, each adding or removing one note."
            ),
            "temperature": Knob(0.5, 6, 1.0, description="Sampling temperature (creative risk)."),
        },
    ),
    Condition(
        field="mode",
        value=HARMONIZE,
        knobs={
            "sampling_iterations": Knob(
                1, 500, 100, integer=True, description="Gibbs sampling steps over alto, tenor and bass."
            ),
            "temperature": Knob(
                0.1, 2, 1.0, description="Temperature of the first Gibbs step; it is annealed down over the steps."
            ),
        },
        not_applicable=("max_percentage_of_initial_notes_removed", "max_notes_added"),
    ),
)


def melody_kept(parameters: Mapping[str, Any]) -> MelodyKept:
    """Harmonize keeps the melody as played; enhance rewrites it."""
    return MelodyKept.EXACT if parameters.get("mode") == HARMONIZE else MelodyKept.CHANGED


SPEC = ModelTypeSpec(
    type=ModelType.AR_CNN,
    title="AR-CNN",
    description="Enhance: rewrites your track note by note toward the style. Harmonize: keeps your melody and "
    "writes alto, tenor and bass by Gibbs sampling.",
    parameters=Parameters,
    hyperparameters=Hyperparameters,
    conditions=CONDITIONS,
    melody_kept=melody_kept,
)
