"""The API's resources on the wire: pydantic v2 models, camelCase in JSON, snake_case in Python.

These are the contract the console and the polling clients code against; the OpenAPI document is
generated from them. Storage records are built from (and back into) these same models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from shared.limits import MAX_BARS
from shared.model_types import ModelType
from shared.model_types.gan import Hyperparameters as Hyperparameters  # the GAN's, where it always was
from shared.statuses import CompositionStatus, ModelStatus, TrainingStatus
from shared.wire import WireModel as WireModel  # re-exported: every wire model's base


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- errors -----------------------------------------------------------------------------------


class ErrorDetail(WireModel):
    code: str = Field(description="Machine-readable reason, e.g. TOO_MANY_BARS.")
    message: str = Field(description="What went wrong and what to change.")


class ErrorBody(WireModel):
    error: ErrorDetail


# --- melodies ---------------------------------------------------------------------------------

Pitch = Annotated[int, Field(ge=0, le=127, description="MIDI pitch; the keyboard plays 41-72.")]
Velocity = Annotated[int, Field(ge=1, le=127)]
Beats = Annotated[float, Field(ge=0, le=10_000, description="In beats (quarter notes at x/4).")]


class NoteIn(WireModel):
    pitch: Pitch
    start: Beats
    duration: Annotated[float, Field(gt=0, le=10_000)]
    velocity: Velocity = 100


class MelodyNotesIn(WireModel):
    """A melody given as note data."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    tempo: Annotated[float, Field(ge=40, le=240, description="Beats per minute.")] = 120
    time_signature: Annotated[str, Field(pattern=r"^\d{1,2}/\d{1,2}$")] = "4/4"
    notes: Annotated[list[NoteIn], Field(min_length=1, max_length=1024)]


Name = Annotated[str, Field(min_length=1, max_length=100)]


class NameIn(WireModel):
    """A new name (rename): 1-100 characters, not only spaces."""

    name: Name

    @field_validator("name")
    @classmethod
    def _not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the name is only spaces; give it at least one letter or digit")
        return name.strip()


class MelodyNotesEditIn(WireModel):
    """New notes for a melody (``PUT /melodies/{id}/notes``); tempo and meter stay as they were unless given."""

    tempo: Annotated[float, Field(ge=40, le=240, description="Beats per minute.")] | None = None
    time_signature: Annotated[str, Field(pattern=r"^\d{1,2}/\d{1,2}$")] | None = None
    notes: Annotated[list[NoteIn], Field(min_length=1, max_length=1024)]


class MelodyFromCompositionIn(WireModel):
    """One track of one of your COMPLETED compositions, as a new melody (e.g. an AR-CNN or
    Transformer output to accompany with the GAN)."""

    from_composition: Annotated[str, Field(min_length=1, max_length=128, description="A composition id.")]
    track: Annotated[int, Field(ge=0, le=15, description="The track's `index` (0-based).")]
    name: Name | None = Field(default=None, description="Defaults to the composition's name and the track's.")


class MelodySource(WireModel):
    """Where a melody made from a composition came from."""

    composition_id: str
    track: int


class MelodyMidiIn(WireModel):
    """A melody given as a base64-encoded Standard MIDI File."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    midi: Annotated[str, Field(min_length=1, max_length=120_000, description="Base64 of a .mid file.")]


class PitchRange(WireModel):
    low: int
    high: int


class Melody(WireModel):
    id: str
    name: str
    owner: str = Field(exclude=True, default="")
    builtin: bool = False
    bars: int
    note_count: int
    pitch_range: PitchRange
    tempo: float
    time_signature: str
    duration_seconds: float
    version: int = Field(default=1, description="Goes up by one with every `PUT /melodies/{id}/notes`.")
    max_bars: int = Field(
        default=MAX_BARS, description="The most bars this melody may have (one made from a composition: 48)."
    )
    source: MelodySource | None = None
    created_at: datetime
    updated_at: datetime | None = None


class MelodyList(WireModel):
    items: list[Melody]
    next_token: str | None = None


# --- model types ------------------------------------------------------------------------------

# Knob values are JSON scalars; which names and ranges apply depends on the model type (GET /model-types).
KnobValue = Annotated[str, Field(max_length=64)] | int | float | bool | None
Knobs = Annotated[dict[Annotated[str, Field(min_length=1, max_length=64)], KnobValue], Field(max_length=32)]


class ModelTypeInfo(WireModel):
    """One generative technique: what its compositions accept and what its training jobs accept."""

    type: ModelType
    title: str
    description: str
    parameter_schema: dict[str, Any] = Field(description="JSON Schema (draft 2020-12) of `parameters`.")
    hyperparameter_schema: dict[str, Any] = Field(description="JSON Schema (draft 2020-12) of `hyperparameters`.")


class ModelTypeList(WireModel):
    items: list[ModelTypeInfo]


# --- models -----------------------------------------------------------------------------------


class EpochMetrics(WireModel):
    """One epoch of training: losses and the quality metrics of generated samples."""

    epoch: int
    generator_loss: float | None = None
    critic_loss: float | None = None
    losses: dict[str, float] = Field(
        default_factory=dict,
        description="The model type's own losses this epoch: `generator`/`critic` (GAN), `infill`/`enhance`/"
        "`heldOut` (AR-CNN), `train`/`heldOut` (Transformer). Empty in records written before it existed.",
    )
    metrics: dict[str, float] = Field(default_factory=dict)
    seconds: float | None = None

    @model_validator(mode="after")
    def _gan_losses(self) -> EpochMetrics:
        """A GAN epoch recorded before the map existed reads with its two losses in it."""
        if not self.losses:
            legacy = {"generator": self.generator_loss, "critic": self.critic_loss}
            self.losses = {k: v for k, v in legacy.items() if v is not None}
        return self


class Instrument(WireModel):
    """One track of a model's compositions: its name and the General MIDI program it is played on."""

    name: str
    program: Annotated[int, Field(ge=0, le=127, description="General MIDI program (0 = piano, 40 = violin).")]
    silent: bool = Field(default=False, description="A track the style has no voice for (three-voice music).")


class Model(WireModel):
    id: str
    name: str
    owner: str = Field(exclude=True, default="")
    builtin: bool = False
    status: ModelStatus
    type: ModelType = Field(
        default=ModelType.GAN, description="The generative technique; a record without one is a GAN."
    )
    description: str = ""
    genre: str | None = None
    instruments: list[Instrument] = Field(
        default_factory=list, description="The tracks its compositions have, in order (track 0 = your melody)."
    )
    default_parameters: dict[str, Any] = Field(
        default_factory=dict, description="This model's own defaults, over its type's (given > model > type)."
    )
    parameter_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema (draft 2020-12) of the `parameters` a composition may send."
    )
    training_job_id: str | None = None
    endpoint_name: str | None = None
    artifact_uri: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    created_at: datetime


class ModelList(WireModel):
    items: list[Model]
    next_token: str | None = None


# --- compositions -----------------------------------------------------------------------------


class CompositionIn(WireModel):
    melody_id: Annotated[str, Field(min_length=1, max_length=128)]
    name: Name | None = Field(default=None, description="Defaults to the melody's name and the model's.")
    model_id: Annotated[str, Field(min_length=1, max_length=128)]
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    parameters: Knobs | None = Field(
        default=None, description="The model's knobs, validated against its `parameterSchema` (GET /models/{id})."
    )


class CompositionTrack(WireModel):
    index: int
    name: str
    program: int
    note_count: int


class Composition(WireModel):
    id: str
    owner: str = Field(exclude=True, default="")
    name: str | None = None
    melody_id: str
    melody_version: int | None = Field(default=None, description="The version of the melody it was composed from.")
    model_id: str
    model_type: ModelType = ModelType.GAN
    seed: int | None = None
    parameters: dict[str, Any] = Field(default_factory=dict, description="The resolved knobs: given plus defaults.")
    status: CompositionStatus
    bars: int | None = None
    tracks: list[CompositionTrack] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    failure_reason: str | None = None
    share_token: str | None = Field(default=None, description="The active share link's token, while shared.")
    created_at: datetime
    updated_at: datetime


class CompositionList(WireModel):
    items: list[Composition]
    next_token: str | None = None


class Share(WireModel):
    """A read-only link to one composition that works without signing in."""

    token: str
    url: str


class SharedComposition(WireModel):
    """What a share link shows: the composition's music and nothing else of its owner's."""

    name: str
    bars: int | None = None
    tracks: list[CompositionTrack]
    model: str = Field(description="The name of the model that composed it.")
    model_type: ModelType
    created_at: datetime


# --- training ---------------------------------------------------------------------------------


class DatasetFilter(WireModel):
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=10)]

    @field_validator("tags")
    @classmethod
    def _unique(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(t.strip().lower() for t in tags))


class TrainingJobIn(WireModel):
    model_name: Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _\-]*$")]
    dataset: DatasetFilter
    model_type: ModelType = ModelType.GAN
    hyperparameters: Knobs = Field(
        default_factory=dict,
        description="The model type's training settings (GET /model-types); defaults fill the rest.",
    )


class TrainingEstimate(WireModel):
    """How long the job should take, from its data size and epochs (README: "Time estimate")."""

    seconds: int = Field(description="Expected training time in seconds on the training instance.")
    training_pieces: int = Field(description="Pieces (melodies, for the Transformer) it trains on.")
    held_out_pieces: int = Field(description="Pieces it is judged on every epoch and never trains on.")
    windows: int = Field(description="Training windows per epoch the estimate counts (0: counted in melodies).")
    basis: str = Field(description="The formula and the measured costs behind the figure.")


class TrainingJob(WireModel):
    id: str
    owner: str = Field(exclude=True, default="")
    model_name: str
    model_id: str | None = None
    dataset: DatasetFilter
    model_type: ModelType = ModelType.GAN
    hyperparameters: dict[str, Any]
    status: TrainingStatus
    secondary_status: str | None = None
    epoch: int = 0
    epochs: int
    history: list[EpochMetrics] = Field(default_factory=list)
    estimate: TrainingEstimate | None = Field(default=None, description="Set at POST; jobs made before it have none.")
    failure_reason: str | None = None
    sagemaker_job_name: str | None = None
    created_at: datetime
    updated_at: datetime


class TrainingJobList(WireModel):
    items: list[TrainingJob]
    next_token: str | None = None


class TrainingSample(WireModel):
    """One epoch's composition of the job's fixed held-out melody."""

    epoch: int
    created_at: datetime
    midi: str = Field(description="The URL path of its MIDI file.")


class TrainingSampleList(WireModel):
    items: list[TrainingSample]


# --- datasets ---------------------------------------------------------------------------------


class DatasetTag(WireModel):
    tag: str
    kind: str = Field(description="composer, collection, mode, key, meter or parts.")
    pieces: int
    held_out_pieces: int = Field(default=0, description="Of them, never trained on: the held-out split, by tune.")
    windows: int = Field(
        default=0,
        description="Training windows of its training pieces: 2-bar windows every bar, in every transposition "
        "that keeps all four voices in the model's pitch band.",
    )
    styles: list[str] = Field(default_factory=list, description="The styles of its pieces.")


class MelodyCollection(WireModel):
    """A melody collection the Transformer trains on (``collection:<name>``)."""

    tag: str
    tunes: int
    held_out_tunes: int


class DatasetTagList(WireModel):
    items: list[DatasetTag]
    rule: str = Field(default="", description="How tags combine.")
    minimum_training_pieces: int = Field(default=0, description="A GAN or AR-CNN filter needs at least this many.")
    minimum_held_out_pieces: int = Field(default=0, description="... and this many held-out pieces.")
    melody_collections: list[MelodyCollection] = Field(
        default_factory=list, description="What a Transformer job filters on instead (collection tags, OR)."
    )


class Health(WireModel):
    status: str = "ok"
    version: str
