"""Training the AR-CNN: both networks of one model (the voice infiller for ``harmonize``, the track
enhancer for ``enhance``) in one loop, one batch of each per step, on the training split only.

- infiller: random 32-step (16-beat) windows of the four voices, transposed into every key that
  fits the band; orderless masks (``masks.training_masks``); cross-entropy over the band + rest on
  the masked voice-steps, averaged per example over its masked cells (Coconet's loss);
- enhancer: random 64-step (4 bars of 4/4) windows of the merged track, damaged by
  ``encoding.corrupt`` (a random share of notes deleted, random wrong notes added); binary
  cross-entropy of every cell against the undamaged window.

Every epoch: the held-out figures (``evaluate.validation``), a metric line, the epoch's sample (the
first held-out segment harmonised), ``progress.json`` (``losses``: infill, enhance, heldOut), a
checkpoint a restarted job resumes from, and the model dir rewritten, so a run cut short still
leaves a usable model. ``max_minutes`` ends training after the epoch that crosses it.

Example (a tiny run)::

    run({"epochs": 1, "steps_per_epoch": 5, "max_pieces": 12}, Environment.under(Path("/tmp/a")), print)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from model import data as D
from model.arcnn import evaluate as E
from model.arcnn.compose import MODEL_TYPE, ArcnnModel, save_model
from model.arcnn.encoding import (
    VOICES,
    band,
    corrupt,
    fitting_shifts,
    merged_track,
    to_classes,
    voice_pitches,
)
from model.arcnn.masks import training_masks
from model.arcnn.network import EnhanceNet, InfillNet, enhance_loss, infill_loss
from model.arcnn.settings import Shapes, resolve_parameters, validate_hyperparameters
from model.config import ModelConfig
from model.sagemaker import (
    Environment,
    TrainingInputError,
    configure_torch,
    load_checkpoint,
    metric_line,
    rounded,
    save_checkpoint,
    write_metrics,
    write_progress,
    write_sample,
)
from model.sagemaker import losses as loss_map
from shared.music.midi_codec import write_midi
from shared.music.pianoroll import roll_to_score

VOICE_WINDOW = 32  # voice steps (eighths): 16 beats
TRACK_WINDOW = 64  # data steps (16ths): 16 beats


@dataclass
class Corpus:
    """The training split in the two views, with the transpositions each piece allows."""

    voices: list[np.ndarray]  # (steps, 4) MIDI pitches, -1 = rest
    voice_shifts: list[list[int]]
    tracks: list[np.ndarray]  # (steps, 128) merged
    track_shifts: list[list[int]]

    @classmethod
    def from_rolls(cls, rolls: list[np.ndarray]) -> Corpus:
        voices, voice_shifts, tracks, track_shifts = [], [], [], []
        for roll in rolls:
            pitches = voice_pitches(roll)
            sounding = pitches[pitches >= 0]
            if len(pitches) >= VOICE_WINDOW and len(sounding):
                shifts = fitting_shifts(int(sounding.min()), int(sounding.max()))
                if shifts:
                    voices.append(pitches)
                    voice_shifts.append(shifts)
            track = merged_track(roll)
            heard = np.nonzero(track.any(axis=0))[0]
            if track.shape[0] >= TRACK_WINDOW and len(heard):
                shifts = fitting_shifts(int(heard[0]), int(heard[-1]))
                if shifts:
                    tracks.append(track)
                    track_shifts.append(shifts)
        return cls(voices, voice_shifts, tracks, track_shifts)

    def voice_batch(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``(size, VOICE_WINDOW, 4)`` classes."""
        out = np.empty((size, VOICE_WINDOW, VOICES), dtype=np.int64)
        for i in range(size):
            k = int(rng.integers(len(self.voices)))
            start = int(rng.integers(self.voices[k].shape[0] - VOICE_WINDOW + 1))
            shift = int(rng.choice(self.voice_shifts[k]))
            out[i] = to_classes(self.voices[k][start : start + VOICE_WINDOW], shift)
        return out

    def track_batch(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Damaged and clean ``(size, TRACK_WINDOW, pitches)`` band windows."""
        clean, damaged = [], []
        for _ in range(size):
            k = int(rng.integers(len(self.tracks)))
            start = int(rng.integers(self.tracks[k].shape[0] - TRACK_WINDOW + 1))
            window = band(self.tracks[k][start : start + TRACK_WINDOW], int(rng.choice(self.track_shifts[k])))
            clean.append(window)
            damaged.append(corrupt(window, rng, removed=rng.uniform(0.0, 0.6), added=rng.uniform(0.0, 0.3)))
        return np.stack(damaged), np.stack(clean)


def _dataset(tags: Any, env: Environment) -> D.Dataset:
    channel = D.load_channel(env.channel) if env.channel else None
    if channel is not None:
        return channel
    try:
        return D.build(D.parse_tags(tags))
    except D.DatasetError as exc:
        raise TrainingInputError(str(exc)) from exc


def capped(rolls: list[np.ndarray], max_windows: int | None) -> list[np.ndarray]:
    """The first pieces whose 16-beat windows (hop 16 beats) add up to at most ``max_windows``."""
    if max_windows is None:
        return rolls
    kept: list[np.ndarray] = []
    windows = 0
    for roll in rolls:
        windows += max(1, roll.shape[0] // TRACK_WINDOW)
        if kept and windows > max_windows:
            break
        kept.append(roll)
    return kept


def melody_key(roll: np.ndarray, notes: int = 12) -> tuple[int, ...]:
    """The opening intervals of the top voice: pieces that share it set the same tune."""
    top = voice_pitches(roll, 1)[:, 0]
    top = top[top >= 0]
    changes = top[np.concatenate([[True], top[1:] != top[:-1]])] if len(top) else top
    return tuple(int(d) for d in np.diff(changes[: notes + 1]))


def training_rolls(dataset: D.Dataset) -> list[np.ndarray]:
    """The training split minus every piece that sets a held-out tune (Bach harmonised many tunes
    more than once), and, when the set has four-part pieces, minus the pieces with more parts
    (their top part is often an instrumental descant, not the soprano)."""
    index = D.load_index()["pieces"]
    held = {melody_key(r) for r in dataset.split(True)}
    train = [(p, r) for p, r, h in zip(dataset.paths, dataset.rolls, dataset.held_out, strict=True) if not h]
    four = [(p, r) for p, r in train if index.get(p, {}).get("parts") == "4"]
    return [r for _, r in (four or train) if melody_key(r) not in held]


def _sample_midi(infill: InfillNet, enhance: EnhanceNet, probe: E.Probe) -> bytes | None:
    """The epoch's sample: the first held-out probe segment's melody harmonised (seed 0, as the
    figures do), so every epoch's sample is the same melody; None when no segment fits."""
    if not probe.segments:
        return None
    model = ArcnnModel(infill, enhance, ModelConfig(type=MODEL_TYPE))
    roll = model.harmonize_roll(probe.segments[0][:, :, 0], 0, resolve_parameters({"mode": "harmonize"}))
    names = [t["name"] for t in model.config.tracks]
    return write_midi(roll_to_score(roll, names=names, programs=[int(t["program"]) for t in model.config.tracks]))


def learning_rate(base: float, progress: float) -> float:
    """Cosine decay to 5% of ``base`` over the run; progress is the larger of the share of steps
    done and the share of ``max_minutes`` spent, so a run cut by time still ends cooled down."""
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def run(hyperparameters: dict[str, Any], env: Environment, log: Callable[[str], None]) -> dict[str, Any]:
    """Train, writing progress every epoch and the model to ``env.model_dir``; returns the final
    held-out figures. Raises ``TrainingInputError`` for bad hyperparameters or an empty data set."""
    hp, tags = validate_hyperparameters(hyperparameters)
    shapes = Shapes.of(hp)
    device = configure_torch(hp.seed)
    dataset = _dataset(tags, env)
    corpus = Corpus.from_rolls(capped(training_rolls(dataset), hp.max_windows))
    held_out = dataset.split(True)
    if not corpus.voices or not corpus.tracks:
        raise TrainingInputError(
            "The data set has no piece of four voices long enough to train on "
            f"({VOICE_WINDOW // 2} beats); loosen the data-set filter."
        )
    log(f"{len(corpus.voices)} training pieces, {len(held_out)} held out")
    infill = InfillNet(shapes.channels, shapes.dilations).to(device)
    enhance = EnhanceNet(shapes.enhance_channels, shapes.enhance_dilations).to(device)
    optimizer = torch.optim.Adam([*infill.parameters(), *enhance.parameters()], lr=hp.learning_rate)
    signature = {"hyperparameters": hp.to_wire(), "pieces": dataset.paths}
    state = load_checkpoint(env, signature, device)
    history: list[dict[str, Any]] = []
    first_epoch, spent = 1, 0.0
    if state is not None:
        infill.load_state_dict(state["infill"])
        enhance.load_state_dict(state["enhance"])
        optimizer.load_state_dict(state["optimizer"])
        history, first_epoch, spent = state["history"], state["epoch"] + 1, state["seconds"]
        log(f"resumed after epoch {state['epoch']}")
    rng = np.random.default_rng(hp.seed + first_epoch)
    probe = E.Probe.from_rolls(held_out or dataset.split(False), seed=hp.seed)
    for epoch in range(first_epoch, hp.epochs + 1):
        started = time.monotonic()
        infill.train()
        enhance.train()
        losses = []
        for step in range(hp.steps_per_epoch):
            done = ((epoch - 1) * hp.steps_per_epoch + step) / (hp.epochs * hp.steps_per_epoch)
            elapsed = (spent + time.monotonic() - started) / (hp.max_minutes * 60)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(hp.learning_rate, max(done, elapsed))
            classes = torch.from_numpy(corpus.voice_batch(rng, hp.batch_size)).to(device)
            mask = torch.from_numpy(training_masks(rng, hp.batch_size, VOICE_WINDOW)).to(device)
            damaged, clean = (torch.from_numpy(a).to(device) for a in corpus.track_batch(rng, hp.batch_size))
            a, b = infill_loss(infill, classes, mask), enhance_loss(enhance, damaged, clean)
            optimizer.zero_grad()
            (a + b).backward()
            optimizer.step()
            losses.append((a.item(), b.item()))
        spent += time.monotonic() - started
        figures = probe.figures(infill.eval(), enhance.eval())
        train_loss, train_enhance = np.mean(losses, axis=0)
        held_loss = figures.pop("heldOutLoss")
        record = {
            "epoch": epoch,
            "losses": loss_map(infill=train_loss, enhance=train_enhance, heldOut=held_loss),
            "metrics": {k: r for k, v in figures.items() if (r := rounded(v)) is not None},
            "seconds": round(spent, 1),
        }
        history.append(record)
        named = {"loss": train_loss, "enhanceLoss": train_enhance, "heldOutLoss": held_loss, **figures}
        log(metric_line(epoch, hp.epochs, {k: rounded(v) for k, v in named.items()}))
        save_model(env.model_dir, infill, enhance, hp.to_wire(), history, dataset)
        save_checkpoint(
            env,
            {
                "signature": signature,
                "infill": infill.state_dict(),
                "enhance": enhance.state_dict(),
                "optimizer": optimizer.state_dict(),
                "history": history,
                "epoch": epoch,
                "seconds": spent,
            },
        )
        last = epoch == hp.epochs or spent >= hp.max_minutes * 60
        sample = _sample_midi(infill, enhance, probe)
        if sample is not None:
            write_sample(env, epoch, sample)
        write_progress(env, epoch, hp.epochs, history)
        if last:
            break
    newest: dict[str, Any] = history[-1] if history else {}
    final = (
        {**newest.get("losses", {}), **newest.get("metrics", {}), "seconds": newest.get("seconds")} if newest else {}
    )
    write_metrics(env, final, history)
    return final
