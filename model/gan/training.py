"""The GAN's training run: WGAN-GP on 4-bar windows of eighth notes with the pix2pix-style
reconstruction loss, checkpointed every epoch; ``run`` is what ``model/train.py`` hands a ``gan``
job to.

The generator that composes (every epoch's judge and sample, and the saved model) is an
exponential moving average of the trained generator's weights: an adversarial generator's weights
wander from update to update, so one epoch's music can be several points of chord share worse than
the epoch before; the average of the recent weights is steadier and better, at the cost of one
weight copy per update. The decay warms up (``(1 + n) / (10 + n)`` after ``n`` updates, at most
``EMA_DECAY``), so a short job (a custom model of a dozen pieces makes a few hundred updates) is
averaged over its own recent updates rather than held near its starting weights.

Every epoch the generator accompanies the real sopranos of held-out 8-bar segments and is judged
by the music figures against the held-out real music (``model/quality.py``); its accompaniment of
the first of them is the epoch's sample (the same melody every epoch, so one hears the model learn).
"""

from __future__ import annotations

import copy
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from model import data as D
from model import quality as Q
from model.atomic import write_atomically
from model.config import ModelConfig
from model.data import four_four
from model.gan.compose import WEIGHTS_FILE, Composer, GanSettings, composed_rolls
from model.gan.network import (
    CONDITION_CHANNELS,
    Critic,
    Generator,
    as_roll,
    condition_planes,
    gradient_penalty,
    harmony_loss,
    pitch_class_fold,
    reconstruction_loss,
)
from model.sagemaker import (
    Environment,
    Log,
    TrainingInputError,
    configure_torch,
    load_checkpoint,
    losses,
    metric_line,
    rounded,
    save_checkpoint,
    write_metrics,
    write_progress,
    write_sample,
)
from shared.music.midi_codec import write_midi
from shared.music.pianoroll import roll_to_score
from shared.schemas import Hyperparameters

EVAL_SEGMENTS = 48  # held-out 8-bar segments judged every epoch (all of them, 3 seeds, in `make eval`)
TAGS_KEYS = ("dataset_tags", "datasetTags")
RECONSTRUCTION_WEIGHT = 20.0  # weight of the auxiliary loss next to the adversarial one
GRID = 2  # 16ths per model step: the network writes eighth notes
WINDOW_STEPS = 32  # model steps per window: 4 bars of eighths
HOP_STEPS = 16  # model steps between windows at inference (2 bars: every step seen twice)
TRAIN_HOP = 16  # 16th steps between training windows (one bar)
EMA_DECAY = 0.995  # per generator update: the average's half-life is about 140 updates
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
# the settings a start from shipped weights must share with the new model (the network's shape)
SHAPE_SETTINGS = ("width", "lowPitch", "pitchCount", "windowSteps", "conditionChannels", "grid")


def read_hyperparameters(values: dict[str, Any]) -> tuple[Hyperparameters, list[str]]:
    """Validated GAN hyperparameters and the data-set tags from the raw SageMaker values."""
    values = dict(values)
    tags_raw = None
    for key in TAGS_KEYS:
        if key in values:
            tags_raw = values.pop(key)
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


def _to_tensor(windows: np.ndarray, device: torch.device) -> torch.Tensor:
    """(n, steps, pitches, tracks) bool -> (n, tracks, steps, pitches) in {-1, 1}."""
    return torch.from_numpy(windows).permute(0, 3, 1, 2).float().mul(2).sub(1).to(device)


def start_weights(start_from: str, settings: GanSettings) -> dict[str, torch.Tensor] | None:
    """The shipped generator weights a job starts from (None for ``scratch``), checked to fit the
    network the job builds: a start from another shape would fail inside ``load_state_dict``."""
    if start_from == "scratch":
        return None
    model_dir = PRETRAINED_DIR / start_from
    if not (model_dir / WEIGHTS_FILE).exists():
        raise TrainingInputError(f"startFrom {start_from}: no shipped GAN weights at {model_dir}.")
    shipped = ModelConfig.load(model_dir).settings
    ours = settings.to_json()
    different = [k for k in SHAPE_SETTINGS if shipped.get(k) != ours.get(k)]
    if different:
        raise TrainingInputError(
            f"startFrom {start_from}: its network differs in {', '.join(different)}; use startFrom scratch."
        )
    weights: dict[str, torch.Tensor] = torch.load(model_dir / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    return weights


def averaged(generator: Generator) -> Generator:
    """A frozen copy of the generator to hold the moving average of its weights."""
    average = copy.deepcopy(generator).eval()
    for parameter in average.parameters():
        parameter.requires_grad_(False)
    return average


def average_decay(updates: int) -> float:
    """The moving average's decay after ``updates`` generator updates (warmed up, then constant)."""
    return min(EMA_DECAY, (1 + updates) / (10 + updates))


@torch.no_grad()
def update_average(average: Generator, generator: Generator, decay: float = EMA_DECAY) -> None:
    """One step of the moving average; the batch-norm statistics are the trained generator's."""
    for a, p in zip(average.parameters(), generator.parameters(), strict=True):
        a.lerp_(p, 1 - decay)
    for kept, live in zip(average.buffers(), generator.buffers(), strict=True):
        kept.copy_(live)


def _sample_midi(composer: Composer, roll: np.ndarray) -> bytes:
    """The epoch's sample: its accompaniment of the first held-out segment, as MIDI."""
    names = [t["name"] for t in composer.config.tracks]
    programs = [int(t["program"]) for t in composer.config.tracks]
    return write_midi(roll_to_score(roll, names=names, programs=programs))


def run(hyperparameters: dict[str, Any], env: Environment, log: Log = print) -> dict[str, Any]:
    """The technique contract's entry: validate, then train."""
    hp, tags = read_hyperparameters(hyperparameters)
    return train(hp, tags, env, log)


def train(hp: Hyperparameters, tags: list[str], env: Environment, log: Log = print) -> dict[str, Any]:
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
    span = WINDOW_STEPS * GRID
    rows = D.window_index(train_rolls, steps=span, hop=TRAIN_HOP)
    if len(rows) < hp.batch_size:
        raise TrainingInputError(
            f"Only {len(rows)} training windows for batch size {hp.batch_size}; lower batch_size or widen the filter."
        )
    rng = np.random.default_rng(hp.seed)
    if hp.max_windows is not None and len(rows) > hp.max_windows:
        rows = rows[np.sort(rng.choice(len(rows), hp.max_windows, replace=False))]
    profiles = D.melody_profiles(train_rolls)
    held_paths = [p for p, h in zip(dataset.paths, dataset.held_out, strict=True) if h]
    judged = four_four(held_paths, held_out)
    eval_segments = Q.segments(judged)[0][:EVAL_SEGMENTS] or [r[: 8 * Q.BAR_STEPS] for r in judged]
    reference = Q.real_reference(judged, held_paths)
    melody_pitches = np.nonzero(np.concatenate([r[:, :, 0] for r in train_rolls]))[1]
    settings = GanSettings(
        width=hp.width,
        low_pitch=D.LOW_PITCH,
        pitch_count=D.PITCH_COUNT,
        window_steps=WINDOW_STEPS,
        melody_center=float(melody_pitches.mean()),
        condition_channels=CONDITION_CHANNELS,
        grid=GRID,
        hop=HOP_STEPS,
    )
    config = ModelConfig(type="gan", reference=reference, settings=settings.to_json())

    generator, critic = (
        Generator(hp.width, CONDITION_CHANNELS, D.LOW_PITCH, D.PITCH_COUNT).to(device),
        Critic(hp.width, WINDOW_STEPS, D.PITCH_COUNT).to(device),
    )
    initial = start_weights(hp.start_from, settings)
    if initial is not None:
        generator.load_state_dict(initial)
    average = averaged(generator)
    fold = pitch_class_fold(D.LOW_PITCH, D.PITCH_COUNT).to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=hp.learning_rate, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=hp.learning_rate, betas=(0.5, 0.9))
    history: list[dict[str, Any]] = []
    first_epoch = 1
    updates = 0  # generator updates so far: the moving average's warm-up
    # a checkpoint is resumed only by the same training (the epoch count may grow: that extends it)
    signature = {"hyperparameters": hp.model_dump(mode="json", exclude={"epochs"}), "tags": list(tags)}
    state = load_checkpoint(env, signature, device)
    if state is not None:
        generator.load_state_dict(state["generator"])
        average.load_state_dict(state.get("average", state["generator"]))
        critic.load_state_dict(state["critic"])
        opt_g.load_state_dict(state["opt_g"])
        opt_c.load_state_dict(state["opt_c"])
        history = state["history"]
        first_epoch = state["epoch"] + 1
        updates = int(state.get("updates", 0))
        log(f"resuming from checkpoint after epoch {state['epoch']}")
    composer = Composer(average, config, device)

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
            windows = D.gather(train_rolls, batch_rows, steps=span)[:, ::GRID]
            real_batch = _to_tensor(windows, device)
            melody = real_batch[:, :1]
            condition = condition_planes(
                torch.from_numpy(windows[:, :, :, 0]).to(device),
                torch.from_numpy(D.gather_profiles(profiles, batch_rows)).to(device),
                D.LOW_PITCH,
                settings.steps_per_beat,
                CONDITION_CHANNELS,
            )
            with torch.no_grad():
                fake_tracks = as_roll(
                    generator(condition, torch.randn(generator.noise_shape(melody), device=device))[0]
                )
            fake = torch.cat([melody, fake_tracks], dim=1)
            critic_loss = critic(fake).mean() - critic(real_batch).mean()
            penalty = gradient_penalty(critic, real_batch, fake)
            opt_c.zero_grad(set_to_none=True)
            (critic_loss + hp.gradient_penalty * penalty).backward()
            opt_c.step()
            c_losses.append(critic_loss.item())
            if (b + 1) % hp.update_ratio == 0:
                logits, harmony = generator(condition, torch.randn(generator.noise_shape(melody), device=device))
                generator_loss = -critic(torch.cat([melody, as_roll(logits)], dim=1)).mean()
                supervised = reconstruction_loss(logits, real_batch[:, 1:]) + harmony_loss(harmony, real_batch, fold)
                opt_g.zero_grad(set_to_none=True)
                (generator_loss + RECONSTRUCTION_WEIGHT * supervised).backward()
                opt_g.step()
                update_average(average, generator, average_decay(updates))
                updates += 1
                g_losses.append(generator_loss.item())
        composed = composed_rolls(composer, eval_segments, hp.seed)
        values = Q.shown(Q.summarise(composed), reference)
        g_mean, c_mean = (float(np.mean(v)) if v else math.nan for v in (g_losses, c_losses))
        entry: dict[str, Any] = {
            "epoch": epoch,
            "generatorLoss": rounded(g_mean),
            "criticLoss": rounded(c_mean),
            "losses": losses(generator=g_mean, critic=c_mean),
            "metrics": values,
            "seconds": round(time.perf_counter() - epoch_started, 3),
        }
        history.append(entry)
        save_checkpoint(
            env,
            {
                "signature": signature,
                "epoch": epoch,
                "history": history,
                "generator": generator.state_dict(),
                "average": average.state_dict(),
                "updates": updates,
                "critic": critic.state_dict(),
                "opt_g": opt_g.state_dict(),
                "opt_c": opt_c.state_dict(),
            },
        )
        write_sample(env, epoch, _sample_midi(composer, composed[0]))
        write_progress(env, epoch, hp.epochs, history)
        # the model dir is current after every epoch, so a stopped job still leaves a usable model
        save_model(average, config, hp, tags, dataset, len(rows), history, env, device, started)
        log(  # last: whoever reads the line finds the epoch's files written
            metric_line(
                epoch,
                hp.epochs,
                {
                    "generator_loss": entry["generatorLoss"],
                    "critic_loss": entry["criticLoss"],
                    "similarity": values.get("similarity"),
                    "chord_beats": values.get("chordBeats"),
                    "parallels": values.get("parallels"),
                    "bass_steps": values.get("bassSteps"),
                },
            )
        )

    return save_model(average, config, hp, tags, dataset, len(rows), history, env, device, started)


def save_model(
    generator: Generator,
    config: ModelConfig,
    hp: Hyperparameters,
    tags: list[str],
    dataset: D.Dataset,
    windows: int,
    history: list[dict[str, Any]],
    env: Environment,
    device: torch.device,
    started: float,
) -> dict[str, Any]:
    """Write the weights + ``model.json`` (what it was trained on and how) to the model dir."""
    final = history[-1]["metrics"] if history else {}
    saved = ModelConfig(
        type=config.type,
        tracks=config.tracks,
        reference=config.reference,
        settings={
            "architecture": "conditional U-Net generator, WGAN-GP, Viterbi decoding",
            **config.settings,
            "stepsPerBeat": GanSettings.from_json(config.settings).steps_per_beat,
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
        },
    )
    weights = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    write_atomically(env.model_dir / WEIGHTS_FILE, lambda tmp: torch.save(weights, tmp))
    saved.save(env.model_dir)
    write_metrics(env, final, history)
    return saved.to_json()
