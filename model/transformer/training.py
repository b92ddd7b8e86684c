"""Training the melody Transformer under the SageMaker contract.

``run(hyperparameters, env, log)`` is what ``model/train.py`` calls for ``modelType: transformer``:
it tokenizes the chosen melody collections, trains with transposition to random keys, and every
epoch logs one metric line (``epoch=2/10 train_loss=.. heldout_loss=.. in_key=..``), writes
the epoch's sample (the first held-out prompt and its continuation), ``progress.json``
(``losses``: train, heldOut) and a checkpoint to ``env.checkpoint_dir`` (a restarted job resumes from it), and
leaves a usable model in ``env.model_dir`` (``transformer.pt`` + ``model.json``).

The learning rate warms up, then follows a cosine to a tenth of its peak over the run; the run's
length is the epochs asked for, or ``maxMinutes`` of wall time if that comes first (the schedule then
follows the clock, so a time-boxed run still anneals).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F

from model import data as D
from model.atomic import write_atomically
from model.config import ModelConfig
from model.sagemaker import (
    Environment,
    Log,
    TrainingInputError,
    configure_torch,
    load_checkpoint,
    metric_line,
    save_checkpoint,
    write_metrics,
    write_progress,
    write_sample,
)
from model.sagemaker import losses as loss_map
from model.transformer import corpus as C
from model.transformer import dataset as DS
from model.transformer import vocab as V
from model.transformer.evaluate import continuation_cases, continuation_figures, continue_case, held_out_nll
from model.transformer.network import WEIGHTS_FILE, MelodyTransformer, NetworkConfig
from model.transformer.sampling import CachedDecoder
from shared.model_types.spec import InvalidHyperparameters
from shared.model_types.transformer import SPEC, Hyperparameters
from shared.music.midi_codec import write_midi
from shared.music.score import Note, Score, Track

WARMUP_STEPS = 50
PROGRESS_HELD_OUT_TUNES = 200  # held-out tunes scored every epoch (all of them in `make eval`)
LOG_EVERY = 100  # training steps between progress lines
PROGRESS_CONTINUATIONS = 4  # held-out tunes continued every epoch for the music figures
SAMPLE_TICKS_PER_BEAT = 480
SAMPLE_VELOCITY = 90


def read_settings(values: dict[str, Any]) -> Hyperparameters:
    """The training knobs, validated by the model type's rules (``shared.model_types.transformer``)."""
    try:
        return cast(Hyperparameters, SPEC.validate_hyperparameters(values))
    except InvalidHyperparameters as exc:
        raise TrainingInputError(exc.message) from exc


def network_config(settings: Hyperparameters) -> NetworkConfig:
    return NetworkConfig(
        vocab_size=V.VOCAB_SIZE,
        context=settings.context,
        layers=settings.layers,
        width=settings.d_model,
        heads=settings.heads,
        dropout=settings.dropout,
    )


def sequence_loss(network: MelodyTransformer, batch: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy (nats), padding ignored."""
    logits = network(batch[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), ignore_index=V.PAD)


@torch.no_grad()
def _schedule(step: int, planned_steps: int, started: float, max_minutes: float | None) -> float:
    warm = min(1.0, (step + 1) / WARMUP_STEPS)
    progress = step / max(planned_steps, 1)
    if max_minutes:
        progress = max(progress, (time.perf_counter() - started) / (60 * max_minutes))
    return warm * (0.1 + 0.45 * (1 + math.cos(math.pi * min(progress, 1.0))))


def run(hyperparameters: dict[str, Any], env: Environment, log: Log = print) -> dict[str, Any]:
    """Train on the collections named by ``dataset_tags`` (all by default), or on the melodies of
    the SageMaker channel when it holds ``melodies.json``; returns the model.json written."""
    hp = dict(hyperparameters)
    tags = hp.pop("dataset_tags", None) or hp.pop("datasetTags", None)
    settings = read_settings(hp)
    try:
        collections = C.resolve_collections(D.parse_tags(tags) if tags else None)
    except (C.CorpusError, D.DatasetError) as exc:
        raise TrainingInputError(str(exc)) from exc
    device = configure_torch(settings.seed)
    started = time.perf_counter()
    channel = getattr(env, "channel", None)
    if channel is not None and (Path(channel) / C.CHANNEL_FILE).exists():
        collections, train_tunes, held_tunes = C.read_channel(Path(channel))
    else:
        train_tunes, held_tunes = C.split(C.load_tunes(collections))
    train, held = DS.tokenize(train_tunes), DS.tokenize(held_tunes)
    rng = np.random.default_rng(settings.seed)
    if settings.max_sequences is not None and len(train) > settings.max_sequences:
        train = [train[i] for i in np.sort(rng.choice(len(train), settings.max_sequences, replace=False))]
        held = held[: max(4, settings.max_sequences // 10)]
    if not train or not held:
        raise TrainingInputError(
            f"The collections {collections} give {len(train)} training and {len(held)} held-out tunes; "
            "they need at least one of each."
        )
    network = MelodyTransformer(network_config(settings)).to(device)
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    signature = {"settings": settings.model_dump(exclude={"epochs"}), "collections": collections}
    history: list[dict[str, Any]] = []
    first_epoch, step = 1, 0
    state = load_checkpoint(env, signature, device)
    if state is not None:
        network.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        history, first_epoch, step = state["history"], state["epoch"] + 1, state["step"]
        log(f"resuming from checkpoint after epoch {state['epoch']}")
    steps_per_epoch = math.ceil(
        len(DS.windows(train, settings.context, np.random.default_rng(0))) / settings.batch_size
    )
    planned = steps_per_epoch * settings.epochs
    progress_tunes = held[:PROGRESS_HELD_OUT_TUNES]
    out_of_time = False
    for epoch in range(first_epoch, settings.epochs + 1):
        epoch_started = time.perf_counter()
        epoch_rng = np.random.default_rng([settings.seed, epoch])
        torch.manual_seed(settings.seed * 100_003 + epoch)
        network.train()
        losses = []
        for batch in DS.batches(DS.windows(train, settings.context, epoch_rng), settings.batch_size, epoch_rng):
            for group in optimizer.param_groups:
                group["lr"] = settings.learning_rate * _schedule(step, planned, started, settings.max_minutes)
            loss = sequence_loss(network, batch.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if step % LOG_EVERY == 0:
                elapsed = time.perf_counter() - started
                log(f"step {step}/{planned} loss {np.mean(losses[-LOG_EVERY:]):.4f} after {elapsed:.0f} s")
            if settings.max_minutes and time.perf_counter() - started > 60 * settings.max_minutes:
                out_of_time = True
                break
        nll = held_out_nll(network, progress_tunes)
        figures = _progress_figures(network, held_tunes, settings.seed)
        entry: dict[str, Any] = {
            "epoch": epoch,
            "losses": loss_map(train=float(np.mean(losses)) if losses else None, heldOut=nll["perToken"]),
            "metrics": {**figures, "heldOutNllPerNote": round(nll["perNote"], 5)},
            "steps": step,
            "seconds": round(time.perf_counter() - epoch_started, 2),
        }
        history.append(entry)
        log(
            metric_line(
                epoch,
                settings.epochs,
                {
                    "train_loss": entry["losses"].get("train"),
                    "heldout_loss": entry["losses"]["heldOut"],
                    "in_key": figures.get("inKey"),
                    "beat_share": figures.get("beatShare"),
                },
            )
        )
        state = {
            "signature": signature,
            "epoch": epoch,
            "step": step,
            "history": history,
            "network": network.state_dict(),
            "optimizer": optimizer.state_dict(),
        }
        save_checkpoint(env, state)
        sample = _sample_midi(network, held_tunes, settings.seed)
        if sample is not None:
            write_sample(env, epoch, sample)
        write_progress(env, epoch, settings.epochs, history)
        model_json = save_model(network, settings, collections, train, held, history, env, started)
        if out_of_time:
            log(f"stopping after epoch {epoch}: maxMinutes={settings.max_minutes} reached")
            break
    else:
        model_json = save_model(network, settings, collections, train, held, history, env, started)
    return model_json


def _progress_figures(network: MelodyTransformer, held_tunes: Sequence[dict[str, Any]], seed: int) -> dict[str, float]:
    """In-key and beat-grid shares of a few held-out continuations, beside the real ones."""

    return continuation_figures(network, held_tunes[:PROGRESS_CONTINUATIONS], seeds=(seed,))


def _sample_midi(network: MelodyTransformer, held_tunes: Sequence[dict[str, Any]], seed: int) -> bytes | None:
    """The epoch's sample: the first held-out prompt (of the tunes the figures continue) and the
    network's continuation of it, as two tracks; None when no held-out tune is long enough."""
    cases = continuation_cases(held_tunes[:PROGRESS_CONTINUATIONS])
    if not cases:
        return None
    case = cases[0]
    continuation = continue_case(CachedDecoder(network), case, seed)
    unit = SAMPLE_TICKS_PER_BEAT // 4  # ticks per 16th step
    numerator, denominator = (int(x) for x in case["meter"].split("/"))
    tracks = [
        Track([Note(s * unit, p, d * unit, SAMPLE_VELOCITY) for s, p, d in notes], name=name)
        for name, notes in (("Prompt (held out)", case["prompt"]), ("Continuation", continuation))
    ]
    return write_midi(Score(tracks, SAMPLE_TICKS_PER_BEAT, time_signature=(numerator, denominator)))


def save_model(
    network: MelodyTransformer,
    settings: Hyperparameters,
    collections: Sequence[str],
    train: Sequence[DS.TokenTune],
    held: Sequence[DS.TokenTune],
    history: list[dict[str, Any]],
    env: Environment,
    started: float,
) -> dict[str, Any]:
    """Write the weights and ``model.json`` (what it was trained on and how) to the model dir."""
    config = ModelConfig(
        type="transformer",
        tracks=[{"name": "Melody (extended)", "program": 0}],
        settings={
            "architecture": "decoder-only Transformer over note events (BAR, POS, PITCH/REST), key/value cache",
            "network": network.config.to_json(),
            "parameterCount": network.parameter_count(),
            "vocabulary": {
                "size": V.VOCAB_SIZE,
                "lowPitch": V.LOW_PITCH,
                "highPitch": V.HIGH_PITCH,
                "meters": list(V.METERS),
            },
            "hyperparameters": settings.to_wire(),
            "dataset": {
                "collections": list(collections),
                "trainingTunes": len(train),
                "heldOutTunes": len(held),
                "trainingTokens": int(sum(len(t.tokens) for t in train)),
            },
            "epochsDone": history[-1]["epoch"] if history else 0,
            "history": history,
            "trainingSeconds": round(sum(h["seconds"] for h in history), 1),
            "wallSeconds": round(time.perf_counter() - started, 1),
            "torchThreads": torch.get_num_threads(),
            "torch": torch.__version__,
            "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    weights = {k: v.detach().cpu() for k, v in network.state_dict().items()}
    write_atomically(Path(env.model_dir) / WEIGHTS_FILE, lambda tmp: torch.save(weights, tmp))
    config.save(env.model_dir)
    write_metrics(env, history[-1]["metrics"] if history else {}, history)
    return config.to_json()


def main(argv: list[str] | None = None) -> int:
    """Train by hand (the shipped model's command); SageMaker jobs come in through ``model/train.py``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m model.transformer.training", description=main.__doc__)
    parser.add_argument("--out", type=Path, required=True, help="the model dir to write")
    parser.add_argument("--work", type=Path, default=None, help="checkpoints and output (default: OUT/../work)")
    parser.add_argument("--hyperparameters", default="{}", help="a JSON object, e.g. '{\"maxMinutes\": 20}'")
    args = parser.parse_args(argv)
    work = args.work or args.out.parent / f"{args.out.name}-work"
    env = Environment.under(work)
    env.model_dir = args.out
    env.model_dir.mkdir(parents=True, exist_ok=True)
    try:
        run(json.loads(args.hyperparameters), env, lambda line: print(line, flush=True))
    except TrainingInputError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
