"""The names that cross component boundaries, each defined once.

CDK writes them into the template and the functions' environment, the Lambdas and the workflow read
them, the model container writes the progress file under one, and ``local/`` builds its resources
from them. A name spelled anywhere else is a bug: import it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel

from shared.schemas import CompositionIn, MelodyFromCompositionIn, MelodyMidiIn, MelodyNotesIn, TrainingJobIn

# The template metadata entry that tells the local runtime which resource is which
# (``{"kind": "table" | "bucket" | "stateMachine" | "function" | "builtinEndpoint", ...}``).
METADATA_KEY: Final = "composer:resource"

# Every SageMaker training job, model, endpoint config and endpoint the stack creates at run time is
# named with this prefix; the IAM policies are limited to it.
SAGEMAKER_NAME_PREFIX: Final = "composer-"

# The file the training script writes to ``SM_CHECKPOINT_DIR`` every epoch and the progress function
# reads from the synced checkpoint prefix.
PROGRESS_FILE: Final = "progress.json"

# The owner of the shipped models and sample melodies (no Cognito ``sub`` can be this).
BUILTIN_OWNER: Final = "builtin"

# The CloudWatch namespace every function's Powertools Metrics write to; the failed-compositions
# alarm reads the compose worker's metric there.
METRICS_NAMESPACE: Final = "ComposerBackend"


def composition_metric(status: str) -> str:
    """The custom metric the compose worker adds per finished composition, e.g. ``CompositionsFailed``."""
    return f"Compositions{status.title()}"


# The only routes anyone may call without a user identity: these two, and GET under SHARED_PATH.
PUBLIC_ROUTES: Final = (("GET", "/health"), ("GET", "/openapi.json"))
# Share links: ``GET /shared/{token}`` and below, read-only, no sign-in (the token is the key).
SHARED_PATH: Final = "/shared"


def is_public(method: str, path: str) -> bool:
    """Whether a request needs no user identity (on AWS: its method has no authorizer)."""
    return (method.upper(), path) in PUBLIC_ROUTES or (method.upper() == "GET" and path.startswith(f"{SHARED_PATH}/"))


# The routes the media function serves (audio and pictures, with their own asset: the synthesizer
# and SoundFont stay out of the api function); API Gateway sends every other route to the api function.
MEDIA_ROUTES: Final = (
    ("GET", "/compositions/{id}/audio"),
    ("GET", "/compositions/{id}/pianoroll.png"),
    ("GET", "/melodies/{id}/audio"),
    ("GET", "/training-jobs/{id}/chart.png"),
    ("GET", "/training-jobs/{id}/samples/{epoch}"),
    ("GET", "/shared/{token}/pianoroll.png"),
    ("GET", "/shared/{token}/audio"),
)
MEDIA_FUNCTION: Final = "media"

JSON: Final = "application/json"
MIDI_TYPES: Final = frozenset({"audio/midi", "audio/x-midi", "audio/mid"})


@dataclass(frozen=True)
class BodyRoute:
    """A route that takes a body: the gateway validates JSON bodies against ``models`` (one gateway
    model named ``title``), the function refuses any media type not in ``media_types``."""

    method: str
    path: str
    media_types: frozenset[str]
    models: tuple[type[BaseModel], ...]
    title: str


BODY_ROUTES: Final = (
    BodyRoute(
        "POST",
        "/melodies",
        frozenset({JSON}) | MIDI_TYPES,
        (MelodyMidiIn, MelodyNotesIn, MelodyFromCompositionIn),
        "MelodyIn",
    ),
    BodyRoute("POST", "/compositions", frozenset({JSON}), (CompositionIn,), "CompositionIn"),
    BodyRoute("POST", "/training-jobs", frozenset({JSON}), (TrainingJobIn,), "TrainingJobIn"),
)


class Env:
    """Environment variable names a function reads (the table names are in ``shared.resources.TABLES``)."""

    BUCKET: Final = "BUCKET_NAME"
    STATE_MACHINE_ARN: Final = "STATE_MACHINE_ARN"
    COMPOSE_WORKER_FUNCTION: Final = "COMPOSE_WORKER_FUNCTION"
    CORS_ALLOW_ORIGIN: Final = "CORS_ALLOW_ORIGIN"
    DATASET_TAGS_FILE: Final = "DATASET_TAGS_FILE"
    MAX_CONCURRENT_TRAINING_JOBS: Final = "MAX_CONCURRENT_TRAINING_JOBS"
    SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
