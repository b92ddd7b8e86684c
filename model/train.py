"""SageMaker training entry: ``python -m model.train`` (or ``python model/train.py``).

It follows SageMaker's training contract so the same file runs in a PyTorch framework container,
under the local SageMaker, and by hand:

- hyperparameters from ``SM_HPS`` (a JSON object whose values may be strings), else
  ``/opt/ml/input/config/hyperparameters.json``; validated by ``shared.schemas.Hyperparameters``,
  plus ``dataset_tags`` (JSON list or comma-separated);
- data from ``SM_CHANNEL_TRAINING/dataset.npz`` when that channel is given, else built from the
  music21 corpus for the tags;
- every epoch: one line ``epoch=3/10 generator_loss=.. critic_loss=.. similarity=.. in_key=..``
  (for ``MetricDefinitions`` regexes), ``$SM_CHECKPOINT_DIR/progress.json`` and a checkpoint that a
  restarted job resumes from;
- on success ``generator.pt`` + ``model.json`` in ``SM_MODEL_DIR`` and the final evaluation in
  ``SM_OUTPUT_DATA_DIR/metrics.json``; on failure the reason in ``$SM_OUTPUT_DIR/failure`` and a
  non-zero exit code.

Example (a tiny run)::

    SM_HPS='{"epochs": 2, "max_windows": 256}' SM_MODEL_DIR=/tmp/m SM_OUTPUT_DIR=/tmp/o \\
    SM_CHECKPOINT_DIR=/tmp/c python -m model.train
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from model import data as D  # noqa: E402
from model import metrics as M  # noqa: E402
from model.atomic import write_atomically, write_json  # noqa: E402
from model.compose import CONFIG_FILE, WEIGHTS_FILE, Composer, ModelConfig  # noqa: E402
from model.evaluate import composed_rolls, real_metrics  # noqa: E402
from model.network import CONDITION_CHANNELS, Critic, Generator, gradient_penalty, key_plane, reconstruction_loss  # noqa: E402
from shared.music.midi_codec import write_midi  # noqa: E402
from shared.music.pianoroll import roll_to_score  # noqa: E402
from shared.schemas import Hyperparameters  # noqa: E402

CHECKPOINT_FILE = "checkpoint.pt"
PROGRESS_FILE = "progress.json"
THREADS_ENV = "COMPOSER_TORCH_THREADS"
EVAL_PIECES = 48  # held-out pieces judged every epoch (all of them in `make eval`)
TAGS_KEYS = ("dataset_tags", "datasetTags")
RECONSTRUCTION_WEIGHT = 20.0  # weight of the auxiliary loss next to the adversarial one


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
    def from_env(cls) -> Environment:
        env = os.environ
        output = Path(env.get("SM_OUTPUT_DIR", "/opt/ml/output"))
        channel = env.get("SM_CHANNEL_TRAINING")
        return cls(
            model_dir=Path(env.get("SM_MODEL_DIR", "/opt/ml/model")),
            output_dir=output,
            output_data_dir=Path(env.get("SM_OUTPUT_DATA_DIR", str(output / "data"))),
            checkpoint_dir=Path(env.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints")),
            channel=Path(channel) if channel else None,
        )


def read_hyperparameters(env: dict[str, str] | None = None) -> tuple[Hyperparameters, list[str]]:
    """Validated hyperparameters and data-set tags from ``SM_HPS`` (or SageMaker's JSON file)."""
    env = dict(os.environ) if env is None else env
    raw_text = env.get("SM_HPS")
    if raw_text is None:
        file = Path("/opt/ml/input/config/hyperparameters.json")
        raw_text = file.read_text() if file.exists() else "{}"
    try:
        raw = json.loads(raw_text or "{}")
    except json.JSONDecodeError as exc:
        raise TrainingInputError(f"SM_HPS is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise TrainingInputError("SM_HPS must be a JSON object of hyperparameters.")
    values = {k: _unquote(v) for k, v in raw.items() if not k.startswith("sagemaker_")}
    tags_raw = None
    for key in TAGS_KEYS:
        if key in values:
            tags_raw = values.pop(key)
    values = {k: v for k, v in values.items() if not (isinstance(v, str) and v.strip().lower() in ("", "none", "null"))}
    try:
        hp = Hyperparameters.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise TrainingInputError(f"Invalid hyperparameters: {problems}") from exc
    try:
        tags = D.parse_tags(tags_raw)
    except D.DatasetError as exc:
        raise TrainingInputError(str(exc)) from exc
    return hp, tags


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


def _to_tensor(windows: np.ndarray, device: torch.device) -> torch.Tensor:
    """(n, steps, pitches, tracks) bool -> (n, tracks, steps, pitches) in {-1, 1}."""
    return torch.from_numpy(windows).permute(0, 3, 1, 2).float().mul(2).sub(1).to(device)


def _round(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 5)


def _sample(composer: Composer, held_out: list[np.ndarray], seed: int) -> dict:
    """A small composed example (the first held-out window) for the progress file."""
    window = held_out[0][:32]
    roll = composed_rolls(composer, [window], seed)[0]
    names = [t["name"] for t in composer.config.tracks]
    programs = [int(t["program"]) for t in composer.config.tracks]
    score = roll_to_score(roll, names=names, programs=programs)
    return {"bars": 2, "midi": base64.b64encode(write_midi(score)).decode()}


def train(hp: Hyperparameters, tags: list[str], env: Environment, log=print) -> dict:
    """Train, checkpointing every epoch; returns the model.json content it wrote."""
    device = configure_torch(hp.seed)
    started = time.perf_counter()
    dataset = D.load_channel(env.channel) if env.channel else None
    if dataset is None:
        dataset = D.build(tags)
    else:
        tags = dataset.tags
    train_rolls, held_out = dataset.split(False), dataset.split(True)
    if not train_rolls or not held_out:
        raise TrainingInputError(
            f"The data set {tags} has {len(train_rolls)} training and {len(held_out)} held-out pieces; "
            "it needs at least one of each. Widen the filter."
        )
    rows = D.window_index(train_rolls)
    if len(rows) < hp.batch_size:
        raise TrainingInputError(
            f"Only {len(rows)} training windows for batch size {hp.batch_size}; lower batch_size or widen the filter."
        )
    rng = np.random.default_rng(hp.seed)
    if hp.max_windows is not None and len(rows) > hp.max_windows:
        rows = rows[np.sort(rng.choice(len(rows), hp.max_windows, replace=False))]
    profiles = D.melody_profiles(train_rolls)
    eval_rolls = held_out[:EVAL_PIECES]
    real = real_metrics(eval_rolls)
    melody_pitches = np.nonzero(np.concatenate([r[:, :, 0] for r in train_rolls]))[1]
    config = ModelConfig(
        width=hp.width,
        low_pitch=D.LOW_PITCH,
        pitch_count=D.PITCH_COUNT,
        window_steps=D.WINDOW_STEPS,
        melody_center=float(melody_pitches.mean()),
        reference=real,
        condition_channels=CONDITION_CHANNELS,
    )

    generator, critic = (
        Generator(hp.width, CONDITION_CHANNELS).to(device),
        Critic(hp.width, D.WINDOW_STEPS, D.PITCH_COUNT).to(device),
    )
    opt_g = torch.optim.Adam(generator.parameters(), lr=hp.learning_rate, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=hp.learning_rate, betas=(0.5, 0.9))
    history: list[dict] = []
    first_epoch = 1
    # a checkpoint is resumed only by the same training (the epoch count may grow: that extends it)
    signature = {"hyperparameters": hp.model_dump(mode="json", exclude={"epochs"}), "tags": list(tags)}
    checkpoint_file = env.checkpoint_dir / CHECKPOINT_FILE
    if checkpoint_file.exists():
        state = torch.load(checkpoint_file, map_location=device, weights_only=False)
        if state.get("signature") == signature:
            generator.load_state_dict(state["generator"])
            critic.load_state_dict(state["critic"])
            opt_g.load_state_dict(state["opt_g"])
            opt_c.load_state_dict(state["opt_c"])
            history = state["history"]
            first_epoch = state["epoch"] + 1
            log(f"resuming from checkpoint after epoch {state['epoch']}")
    composer = Composer(generator, config, device)

    for epoch in range(first_epoch, hp.epochs + 1):
        epoch_started = time.perf_counter()
        torch.manual_seed(hp.seed * 100_003 + epoch)  # per-epoch seeds: a resumed run continues identically
        order = np.random.default_rng([hp.seed, epoch]).permutation(len(rows))
        generator.train()
        critic.train()
        g_losses, c_losses = [], []
        batches = len(order) // hp.batch_size
        for b in range(batches):
            batch_rows = rows[order[b * hp.batch_size : (b + 1) * hp.batch_size]]
            real_batch = _to_tensor(D.gather(train_rolls, batch_rows), device)
            melody = real_batch[:, :1]
            plane = key_plane(
                torch.from_numpy(D.gather_profiles(profiles, batch_rows)).to(device),
                D.LOW_PITCH,
                D.PITCH_COUNT,
                D.WINDOW_STEPS,
            )
            condition = torch.cat([melody, plane], dim=1)
            with torch.no_grad():
                fake_tracks = generator(condition, torch.randn(generator.noise_shape(melody), device=device))
            fake = torch.cat([melody, fake_tracks], dim=1)
            critic_loss = critic(fake).mean() - critic(real_batch).mean()
            penalty = gradient_penalty(critic, real_batch, fake)
            opt_c.zero_grad(set_to_none=True)
            (critic_loss + hp.gradient_penalty * penalty).backward()
            opt_c.step()
            c_losses.append(critic_loss.item())
            if (b + 1) % hp.update_ratio == 0:
                tracks = generator(condition, torch.randn(generator.noise_shape(melody), device=device))
                generator_loss = -critic(torch.cat([melody, tracks], dim=1)).mean()
                opt_g.zero_grad(set_to_none=True)
                (generator_loss + RECONSTRUCTION_WEIGHT * reconstruction_loss(tracks, real_batch[:, 1:])).backward()
                opt_g.step()
                g_losses.append(generator_loss.item())
        generator.eval()
        per_track = M.set_metrics(composed_rolls(composer, eval_rolls, hp.seed))
        values = M.summary(per_track)
        values["similarity"] = M.similarity(per_track, real)
        entry = {
            "epoch": epoch,
            "generatorLoss": _round(float(np.mean(g_losses)) if g_losses else math.nan),
            "criticLoss": _round(float(np.mean(c_losses)) if c_losses else math.nan),
            "metrics": M.finite(values),
            "seconds": round(time.perf_counter() - epoch_started, 3),
        }
        history.append(entry)
        log(
            f"epoch={epoch}/{hp.epochs} generator_loss={_fmt(entry['generatorLoss'])} "
            f"critic_loss={_fmt(entry['criticLoss'])} similarity={_fmt(values['similarity'])} "
            f"in_key={_fmt(values['inKey'])}"
        )
        state = {
            "signature": signature,
            "epoch": epoch,
            "history": history,
            "generator": generator.state_dict(),
            "critic": critic.state_dict(),
            "opt_g": opt_g.state_dict(),
            "opt_c": opt_c.state_dict(),
        }
        write_atomically(checkpoint_file, lambda tmp: torch.save(state, tmp))
        write_json(
            env.checkpoint_dir / PROGRESS_FILE,
            {
                "epoch": epoch,
                "epochs": hp.epochs,
                "history": history,
                "sample": _sample(composer, eval_rolls, hp.seed),
            },
        )
        # the model dir is current after every epoch, so a stopped job still leaves a usable model
        save_model(generator, config, hp, tags, dataset, len(rows), history, env, device, started)

    return save_model(generator, config, hp, tags, dataset, len(rows), history, env, device, started)


def save_model(
    generator: Generator,
    config: ModelConfig,
    hp: Hyperparameters,
    tags: list[str],
    dataset: D.Dataset,
    windows: int,
    history: list[dict],
    env: Environment,
    device: torch.device,
    started: float,
) -> dict:
    """Write ``generator.pt`` + ``model.json`` (what it was trained on and how) to the model dir."""
    final = history[-1]["metrics"] if history else {}
    model_json = {
        "format": 1,
        "architecture": "conditional U-Net generator, WGAN-GP",
        **config.to_json(),
        "stepsPerBeat": 4,
        "hyperparameters": hp.to_wire(),
        "reconstructionWeight": RECONSTRUCTION_WEIGHT,
        "dataset": {
            "tags": list(tags),
            "pieces": len(dataset.paths),
            "heldOutPieces": int(dataset.held_out.sum()),
            "trainingWindows": int(windows),
        },
        "epochsDone": history[-1]["epoch"] if history else 0,
        "metrics": final,
        "history": history,
        "trainingSeconds": round(sum(h["seconds"] for h in history), 1),
        "wallSeconds": round(time.perf_counter() - started, 1),
        "device": device.type,
        "torchThreads": torch.get_num_threads(),
        "torch": torch.__version__,
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    weights = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    write_atomically(env.model_dir / WEIGHTS_FILE, lambda tmp: torch.save(weights, tmp))
    write_json(env.model_dir / CONFIG_FILE, model_json)
    write_json(env.output_data_dir / "metrics.json", {"metrics": final, "history": history})
    return model_json


def _fmt(value: float | None) -> str:
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def main() -> int:
    env = Environment.from_env()
    try:
        hp, tags = read_hyperparameters()
        train(hp, tags, env, log=lambda line: print(line, flush=True))
    except (TrainingInputError, D.DatasetError) as exc:
        return _fail(env, str(exc))
    except Exception as exc:  # anything else still leaves SageMaker a reason to show the user
        traceback.print_exc()
        return _fail(env, f"Training failed: {type(exc).__name__}: {exc}")
    return 0


def _fail(env: Environment, reason: str) -> int:
    print(f"error: {reason}", file=sys.stderr, flush=True)
    env.output_dir.mkdir(parents=True, exist_ok=True)
    (env.output_dir / "failure").write_text(reason[:1024])
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
