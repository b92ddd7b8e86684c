"""One definition of the stored resources: tables (names, keys, indexes), the bucket's key layout,
and the environment variables that carry their names into every function.

The CDK constructs build the tables from ``TABLES``; the data-access modules read keys from here;
the local runtime creates them from the synthesized template. Nothing else spells a key name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared.contract import BUILTIN_OWNER, PROGRESS_FILE, Env


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A DynamoDB table: ``env`` is the variable that holds its physical name at run time."""

    logical: str
    env: str
    partition_key: str
    sort_key: str | None = None
    stream: bool = False
    ttl_attribute: str | None = None


OWNER_KEY = "owner"
ID_KEY = "id"

MELODIES = TableSpec("Melodies", "MELODIES_TABLE", OWNER_KEY, ID_KEY)
# Compositions are kept until their owner deletes them: no TTL. The table also holds the share links
# (``ShareKeys``), one item per token, so resolving a token is one key read.
COMPOSITIONS = TableSpec("Compositions", "COMPOSITIONS_TABLE", OWNER_KEY, ID_KEY)
MODELS = TableSpec("Models", "MODELS_TABLE", OWNER_KEY, ID_KEY)
TRAINING_JOBS = TableSpec("TrainingJobs", "TRAINING_JOBS_TABLE", OWNER_KEY, ID_KEY, stream=True)
# Powertools Idempotency's own layout: partition key "id", expiry in "expiration".
IDEMPOTENCY = TableSpec("Idempotency", "IDEMPOTENCY_TABLE", "id", ttl_attribute="expiration")

TABLES: tuple[TableSpec, ...] = (MELODIES, COMPOSITIONS, MODELS, TRAINING_JOBS, IDEMPOTENCY)

BUCKET_ENV = Env.BUCKET


def table_name(spec: TableSpec) -> str:
    """The physical table name, from the function's environment (set by CDK or the local runtime)."""
    return _required(spec.env)


def bucket_name() -> str:
    """The data bucket's name, from the function's environment."""
    return _required(BUCKET_ENV)


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise LookupError(f"The environment variable {name} is not set; the deployment (or the local runtime) sets it.")
    return value


class Keys:
    """The bucket's key layout. ``scratch/`` expires by lifecycle rule."""

    SCRATCH_PREFIX = "scratch/"
    # Rendered audio, a cache: each file can be made again from the MIDI it was rendered from.
    AUDIO_PREFIX = "audio/"

    @staticmethod
    def melody_midi(owner: str, melody_id: str, version: int = 1) -> str:
        """Each edit of a melody's notes is a new object (version 2, 3, ...), so a composition started
        from an earlier version still reads the notes it was started with."""
        suffix = "" if version == 1 else f".v{version}"
        return f"melodies/{owner}/{melody_id}{suffix}.mid"

    @staticmethod
    def composition_prefix(owner: str, composition_id: str) -> str:
        """Every file of a composition (its MIDI, cached renderings) is named ``<prefix>.<ext>`` or
        ``<prefix>/...``, so deleting the composition deletes them all."""
        return f"compositions/{owner}/{composition_id}"

    @staticmethod
    def composition_midi(owner: str, composition_id: str) -> str:
        return f"{Keys.composition_prefix(owner, composition_id)}.mid"

    @staticmethod
    def audio(midi_key: str, digest: str, extension: str) -> str:
        """The rendered audio of the MIDI file at ``midi_key`` whose content (and renderer) hash to
        ``digest``: an edited MIDI gets a new key, so a cached file is never stale."""
        return f"{Keys.audio_folder(midi_key)}{digest}.{extension}"

    @staticmethod
    def audio_folder(midi_key: str) -> str:
        """Every rendered audio file of the MIDI at ``midi_key`` (what to delete with it)."""
        return f"{Keys.AUDIO_PREFIX}{midi_key.removesuffix('.mid')}/"

    @staticmethod
    def training_output(job_id: str) -> str:
        return f"training/{job_id}/output"

    @staticmethod
    def training_checkpoints(job_id: str) -> str:
        return f"training/{job_id}/checkpoints"

    @staticmethod
    def training_progress(job_id: str) -> str:
        """Where the training script's ``progress.json`` lands: SageMaker syncs ``SM_CHECKPOINT_DIR``
        to the checkpoint prefix while the job runs."""
        return f"{Keys.training_checkpoints(job_id)}/{PROGRESS_FILE}"

    @staticmethod
    def training_sample(owner: str, job_id: str, epoch: int) -> str:
        """Where the progress function keeps a training job's sample of one epoch (MIDI)."""
        return f"samples/{owner}/{job_id}/epoch-{epoch:04d}.mid"

    @staticmethod
    def builtin_model(name: str) -> str:
        return f"models/{BUILTIN_OWNER}/{name}/model.tar.gz"


class ShareKeys:
    """A share link's item in the compositions table: its own partition per token (``#`` is in no
    Cognito ``sub`` and no local user name, so no owner's partition can be one), hence one key read."""

    PREFIX = "share#"
    ID = "link"

    @staticmethod
    def key(token: str) -> dict[str, str]:
        return {OWNER_KEY: f"{ShareKeys.PREFIX}{token}", ID_KEY: ShareKeys.ID}
