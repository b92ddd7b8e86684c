"""Transformer (``transformer``): extends your melody by up to 30 seconds.

Output: one track, the input exactly, then the continuation (rounded up to the next bar line) in
the input's tempo and meter. ``threshold`` is k for top-k sampling and p for nucleus sampling, and
does not apply to plain random sampling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field, field_serializer, model_validator

from shared.model_types.spec import (
    Condition,
    Epochs,
    Knob,
    KnobModel,
    LearningRate,
    MelodyKept,
    ModelType,
    ModelTypeSpec,
    Seed,
)

TOP_K: Final = "topK"
NUCLEUS: Final = "nucleus"
RANDOM: Final = "random"


class Parameters(KnobModel):
    """Transformer knobs. `samplingTechnique` decides the range of `threshold` (see `allOf`)."""

    model_config = ConfigDict(strict=True)

    sampling_technique: Annotated[
        Literal["topK", "nucleus", "random"],
        Field(
            description="topK: sample among the k likeliest next events; nucleus: among the likeliest whose "
            "probabilities add up to p; random: from the whole distribution."
        ),
    ] = TOP_K
    # Checked against samplingTechnique's own range (CONDITIONS), not here: a bound on the field would
    # answer a topK request with the union of both ranges. The schema shows the union; allOf narrows it.
    threshold: (
        Annotated[
            float,
            Field(
                description="k for topK (1-128), p for nucleus (0.1-1.0); not used for random.",
                json_schema_extra={"minimum": 0.1, "maximum": 128},
            ),
        ]
        | None
    ) = None
    temperature: Annotated[
        float, Field(ge=0.1, le=5, description="Creative risk: above 1 takes more unlikely events, below 1 fewer.")
    ] = 1.0
    input_seconds: (
        Annotated[
            float,
            Field(gt=0, le=600, description="Condition on this many seconds at the end of the input (default: all)."),
        ]
        | None
    ) = None
    extension_seconds: Annotated[
        float, Field(ge=1, le=30, description="Seconds to add; the continuation is rounded up to the next bar line.")
    ] = 20.0

    @field_serializer("threshold")
    def _k_is_whole(self, value: float | None) -> float | int | None:
        """k is a count: 20, not 20.0."""
        return int(value) if value is not None and self.sampling_technique == TOP_K else value


class Hyperparameters(KnobModel):
    """Transformer training settings (a decoder over note events, on the corpus's melodies)."""

    epochs: Epochs = 10
    learning_rate: LearningRate = 1e-3
    batch_size: Annotated[int, Field(ge=1, le=512, description="Sequences per step.")] = 32
    layers: Annotated[int, Field(ge=1, le=12, description="Decoder layers.")] = 4
    d_model: Annotated[int, Field(ge=16, le=512, description="Width of the event embeddings; a multiple of heads.")] = (
        128
    )
    heads: Annotated[int, Field(ge=1, le=16, description="Attention heads per layer.")] = 4
    seed: Seed = 0
    max_sequences: (
        Annotated[int, Field(ge=16, le=1_000_000, description="Cap on training sequences (none: all of them).")] | None
    ) = None
    context: Annotated[int, Field(ge=32, le=1024, description="Events the decoder attends to.")] = 384
    dropout: Annotated[float, Field(ge=0, le=0.5, description="Dropout in the decoder layers.")] = 0.1
    max_minutes: (
        Annotated[
            float, Field(gt=0, le=600, description="Stop after this many minutes; the learning rate anneals by it.")
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _heads_divide_width(self) -> Hyperparameters:
        if self.d_model % self.heads:
            raise ValueError(f"dModel ({self.d_model}) must be a multiple of heads ({self.heads})")
        return self


CONDITIONS = (
    Condition(
        field="sampling_technique",
        value=TOP_K,
        knobs={"threshold": Knob(1, 128, 20, integer=True, description="k: how many of the likeliest events.")},
    ),
    Condition(
        field="sampling_technique",
        value=NUCLEUS,
        knobs={"threshold": Knob(0.1, 1.0, 0.9, description="p: the probability mass sampled from.")},
    ),
    Condition(field="sampling_technique", value=RANDOM, not_applicable=("threshold",)),
)


def melody_kept(parameters: Mapping[str, Any]) -> MelodyKept:
    return MelodyKept.PREFIX


SPEC = ModelTypeSpec(
    type=ModelType.TRANSFORMER,
    title="Transformer",
    description="Extends your melody by up to 30 seconds: your input exactly, then the continuation.",
    parameters=Parameters,
    hyperparameters=Hyperparameters,
    conditions=CONDITIONS,
    melody_kept=melody_kept,
)
