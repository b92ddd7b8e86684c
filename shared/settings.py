"""Each function's environment as one validated settings object.

The deployment (``cdk/stack.py``) and the local runtime set these variables; a function validates
all of its own at the start of an invocation, so a missing or misspelled one fails at once with a
message naming it, not halfway through a request with a ``KeyError``. Values are read from the
environment each time (cheap: a handful of strings), so tests and the local runtime that point a
process at other resources are seen at once.

>>> ApiSettings.load().compose_worker_function  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contract import METRICS_NAMESPACE, Env
from shared.resources import COMPOSITIONS, IDEMPOTENCY, MELODIES, MODELS, TRAINING_JOBS, TableSpec


class SettingsError(RuntimeError):
    """The function's environment lacks (or misspells) a variable the deployment should have set."""


class FunctionSettings(BaseModel):
    """What every function gets: the tables, the bucket and the metrics namespace."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    melodies_table: str = Field(validation_alias=MELODIES.env, min_length=1)
    compositions_table: str = Field(validation_alias=COMPOSITIONS.env, min_length=1)
    models_table: str = Field(validation_alias=MODELS.env, min_length=1)
    training_jobs_table: str = Field(validation_alias=TRAINING_JOBS.env, min_length=1)
    idempotency_table: str = Field(validation_alias=IDEMPOTENCY.env, min_length=1)
    bucket_name: str = Field(validation_alias=Env.BUCKET, min_length=1)
    metrics_namespace: str = Field(validation_alias=Env.METRICS_NAMESPACE, default=METRICS_NAMESPACE, min_length=1)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Validate ``environ`` (default: this process's); raises ``SettingsError`` naming each bad variable."""
        try:
            return cls.model_validate(dict(os.environ if environ is None else environ))
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc'])} ({'not set' if e['type'] == 'missing' else e['msg']})"
                for e in exc.errors(include_url=False)
            ]
            raise SettingsError(
                f"{cls.__name__}: environment variable(s) {', '.join(problems)}; the deployment "
                "(cdk/stack.py) or the local runtime sets them."
            ) from None

    def table(self, spec: TableSpec) -> str:
        """The physical name of ``spec``'s table."""
        return str(getattr(self, _FIELD_OF_ENV[spec.env]))


_FIELD_OF_ENV = {str(f.validation_alias): n for n, f in FunctionSettings.model_fields.items() if f.validation_alias}


class ApiSettings(FunctionSettings):
    """The ``api`` function: it also queues the compose worker and answers CORS for the console."""

    compose_worker_function: str = Field(validation_alias=Env.COMPOSE_WORKER_FUNCTION, min_length=1)
    cors_allow_origin: str = Field(validation_alias=Env.CORS_ALLOW_ORIGIN, default="*", min_length=1)
    dataset_tags_file: str | None = Field(validation_alias=Env.DATASET_TAGS_FILE, default=None)
    max_concurrent_training_jobs: int = Field(validation_alias=Env.MAX_CONCURRENT_TRAINING_JOBS, default=2, ge=1)


class WorkerSettings(FunctionSettings):
    """The ``compose_worker`` function."""


class TriggerSettings(FunctionSettings):
    """The ``training_trigger`` function: it starts the training workflow."""

    state_machine_arn: str = Field(validation_alias=Env.STATE_MACHINE_ARN, min_length=1)


class MediaSettings(FunctionSettings):
    """The ``media`` function: audio and pictures, read from the tables and the bucket."""


class ProgressSettings(FunctionSettings):
    """The ``training_progress`` function (it must not get the state machine's ARN: the machine refers to it)."""
