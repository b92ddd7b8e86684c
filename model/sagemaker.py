"""SageMaker's training contract, once for every technique: where things are (``Environment``
from the ``SM_*`` variables), the hyperparameters as SageMaker hands them over, the metric line
that ``MetricDefinitions`` regexes read, ``progress.json`` and the checkpoint of every epoch, and
the failure file a failed job leaves.

A technique's ``training.run`` calls these; none of it knows which technique is training.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from model.atomic import write_atomically, write_json
from shared.contract import PROGRESS_FILE

CHECKPOINT_FILE = "checkpoint.pt"
SAMPLES_DIR = "samples"
FAILURE_FILE = "failure"
THREADS_ENV = "COMPOSER_TORCH_THREADS"
HYPERPARAMETERS_FILE = Path("/opt/ml/input/config/hyperparameters.json")
MODEL_TYPE_KEYS = ("modelType", "model_type")

Log = Callable[[str], None]


class TrainingInputError(ValueError):
    """Bad hyperparameters or data-set filter: the message is what the user must change."""


@dataclass
class Environment:
    """The SageMaker paths, with SageMaker's defaults."""

    model_dir: Path
    output_dir: Path
    output_data_dir: Path
    checkpoint_dir: Path
    channel: Path | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Environment:
        env = dict(os.environ) if env is None else env
        output = Path(env.get("SM_OUTPUT_DIR", "/opt/ml/output"))
        channel = env.get("SM_CHANNEL_TRAINING")
        return cls(
            model_dir=Path(env.get("SM_MODEL_DIR", "/opt/ml/model")),
            output_dir=output,
            output_data_dir=Path(env.get("SM_OUTPUT_DATA_DIR", str(output / "data"))),
            checkpoint_dir=Path(env.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints")),
            channel=Path(channel) if channel else None,
        )

    @classmethod
    def under(cls, base: Path) -> Environment:
        """Every path inside one folder (benchmarks and tests), created."""
        env = cls(base / "model", base / "output", base / "output" / "data", base / "checkpoints", None)
        for path in (env.model_dir, env.output_dir, env.output_data_dir, env.checkpoint_dir):
            path.mkdir(parents=True, exist_ok=True)
        return env


def raw_hyperparameters(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The hyperparameters from ``SM_HPS`` (or SageMaker's JSON file), with SageMaker's own keys and
    empty values ("", "None", "null") dropped and JSON-encoded strings unwrapped; not validated
    (each technique validates its own)."""
    env = dict(os.environ) if env is None else env
    raw_text = env.get("SM_HPS")
    if raw_text is None:
        raw_text = HYPERPARAMETERS_FILE.read_text() if HYPERPARAMETERS_FILE.exists() else "{}"
    try:
        raw = json.loads(raw_text or "{}")
    except json.JSONDecodeError as exc:
        raise TrainingInputError(f"SM_HPS is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise TrainingInputError("SM_HPS must be a JSON object of hyperparameters.")
    values = {k: _unquote(v) for k, v in raw.items() if not k.startswith("sagemaker_")}
    return {k: v for k, v in values.items() if not (isinstance(v, str) and v.strip().lower() in ("", "none", "null"))}


def pop_model_type(values: dict[str, Any], default: str = "gan") -> str:
    """Remove and return the model type from the hyperparameters (``gan`` when absent)."""
    found = default
    for key in MODEL_TYPE_KEYS:
        if key in values:
            found = str(values.pop(key)).strip().lower()
    return found


def _unquote(value: object) -> object:
    """A JSON-encoded string value ('"10"', as CreateTrainingJob callers often send) becomes its content."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def configure_torch(seed: int) -> torch.device:
    """One thread unless told otherwise: these convolutions are too small to gain from more, and on
    a busy host a second OpenMP thread waiting for its core made a training step 15x slower."""
    threads = int(os.environ.get(THREADS_ENV, "0")) or 1
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def rounded(value: float | None) -> float | None:
    """A float for JSON: NaN and None become None."""
    return None if value is None or math.isnan(value) else round(float(value), 5)


def _fmt(value: float | None) -> str:
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def metric_line(epoch: int, epochs: int, values: dict[str, float | None]) -> str:
    """``epoch=3/10 name=0.1234 ...``: the line ``MetricDefinitions`` regexes read."""
    return " ".join([f"epoch={epoch}/{epochs}", *(f"{name}={_fmt(value)}" for name, value in values.items())])


def write_progress(env: Environment, epoch: int, epochs: int, history: list[dict[str, Any]]) -> None:
    """``progress.json`` in the checkpoint dir, which the workflow reads back every poll; it lists
    every epoch's sample written so far (``write_sample``), so a poll that missed an epoch still
    finds that epoch's sample."""
    write_json(
        env.checkpoint_dir / PROGRESS_FILE,
        {"epoch": epoch, "epochs": epochs, "history": history, "samples": written_samples(env)},
    )


def write_sample(env: Environment, epoch: int, midi: bytes) -> None:
    """This epoch's composition of the job's fixed held-out melody, beside the progress file: the
    checkpoint dir is synced to S3, where the progress function picks it up."""
    write_atomically(env.checkpoint_dir / sample_file(epoch), lambda tmp: tmp.write_bytes(midi))


def written_samples(env: Environment) -> list[dict[str, Any]]:
    """``[{epoch, file, createdAt}]`` of the samples in the checkpoint dir, oldest epoch first."""
    folder = env.checkpoint_dir / SAMPLES_DIR
    found = []
    for path in sorted(folder.glob("epoch-*.mid")) if folder.is_dir() else []:
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
        found.append(
            {"epoch": int(path.stem.split("-")[1]), "file": f"{SAMPLES_DIR}/{path.name}", "createdAt": created}
        )
    return found


def sample_file(epoch: int) -> str:
    return f"{SAMPLES_DIR}/epoch-{epoch:04d}.mid"


def losses(**values: float | None) -> dict[str, float]:
    """The epoch's ``losses`` map (NaN and missing values left out, as JSON cannot carry them)."""
    return {name: v for name, value in values.items() if (v := rounded(value)) is not None}


def save_checkpoint(env: Environment, state: dict[str, Any]) -> None:
    write_atomically(env.checkpoint_dir / CHECKPOINT_FILE, lambda tmp: torch.save(state, tmp))


def load_checkpoint(env: Environment, signature: dict[str, Any], device: torch.device) -> dict[str, Any] | None:
    """The checkpoint a stopped job left, if it was written by the same training (``signature``)."""
    file = env.checkpoint_dir / CHECKPOINT_FILE
    if not file.exists():
        return None
    state = torch.load(file, map_location=device, weights_only=False)
    return state if state.get("signature") == signature else None


def write_failure(env: Environment, reason: str) -> int:
    """The reason SageMaker shows for a failed job; returns the exit code."""
    print(f"error: {reason}", file=sys.stderr, flush=True)
    env.output_dir.mkdir(parents=True, exist_ok=True)
    (env.output_dir / FAILURE_FILE).write_text(reason[:1024])
    return 1


def write_metrics(env: Environment, final: dict[str, Any], history: list[dict[str, Any]]) -> None:
    """The final evaluation in ``SM_OUTPUT_DATA_DIR/metrics.json``."""
    write_json(env.output_data_dir / "metrics.json", {"metrics": final, "history": history})
