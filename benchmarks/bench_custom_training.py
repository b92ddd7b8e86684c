"""Custom training with the defaults (issue 16): a GAN job on a tag of about twelve pieces, timed
from nothing (its pieces parsed into an empty cache) to the saved model, then judged on the tag's
held-out melodies (every whole 8-bar segment of its held-out 4/4 pieces, seeds 0-2) beside the real
music, the shipped model it starts from, and the old defaults on the same tag.

    python -m benchmarks.bench_custom_training [--tag key:e-major] [--skip-old]

Prints a table, the time against the job's own estimate, note names per beat for one segment
beside the real parts, and one JSON object as the last line. Run it with one torch thread and
``nice``: it trains two models.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from model import quality as Q
from model.config import ModelConfig
from model.data import build, four_four, parse_tags
from model.evaluate import DEFAULT_MODEL_DIR, SEEDS, side_by_side
from model.gan.compose import Composer, composed_rolls
from shared.logic import datasets, estimates
from shared.model_types import spec_for

ROOT = Path(__file__).resolve().parent.parent
# what `composer train --tags key:e-major --epochs 3` trained before these defaults
OLD_DEFAULTS = {
    "epochs": 3,
    "learning_rate": 0.001,
    "update_ratio": 5,
    "batch_size": 64,
    "width": 16,
    "start_from": "scratch",
    "max_windows": None,
}
GOALS = {"customChordBeats": (">=", 55.0), "customSixteenths": ("<=", 15.0), "customSeconds": ("<=", 600.0)}


def train_job(hyperparameters: dict[str, Any], tag: str, work: Path) -> tuple[Path, float]:
    """``python -m model.train`` as SageMaker runs it, with an empty data cache; (model dir, seconds)."""
    env = {
        **os.environ,
        "COMPOSER_TORCH_THREADS": "1",
        "COMPOSER_DATA_CACHE": str(work / "cache"),
        "SM_HPS": json.dumps({**hyperparameters, "dataset_tags": tag}),
        "SM_MODEL_DIR": str(work / "model"),
        "SM_OUTPUT_DIR": str(work / "output"),
        "SM_CHECKPOINT_DIR": str(work / "checkpoints"),
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "model.train"], cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    return work / "model", time.perf_counter() - started


def judged(model_dir: Path, segments: list[Any], reference: dict[str, Any]) -> tuple[dict[str, float], list[Any]]:
    composer = Composer.load(model_dir, ModelConfig.load(model_dir))
    rolls = [r for seed in SEEDS for r in composed_rolls(composer, segments, seed)]
    return Q.shown(Q.summarise(rolls), reference), rolls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_custom_training", description=__doc__)
    parser.add_argument("--tag", default="composer:bach,key:e-major")
    parser.add_argument("--skip-old", action="store_true", help="leave out the old defaults' run")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    defaults = spec_for("gan").validate_hyperparameters({}).to_wire()
    estimate = estimates.estimate("gan", datasets.select(parse_tags(args.tag)), defaults)
    with tempfile.TemporaryDirectory(prefix="custom-training-") as tmp:
        model_dir, seconds = train_job({}, args.tag, Path(tmp) / "defaults")
        dataset = build(parse_tags(args.tag))
        held = [(p, r) for p, r, h in zip(dataset.paths, dataset.rolls, dataset.held_out, strict=True) if h]
        pieces = four_four([p for p, _ in held], [r for _, r in held])
        segments = Q.segments(pieces)[0] or [r[: 8 * Q.BAR_STEPS] for r in pieces]
        reference = Q.real_reference(pieces, [])
        rows: dict[str, dict[str, float]] = {"real": Q.shown(Q.summarise(segments), reference)}
        rows["defaults"], rolls = judged(model_dir, segments, reference)
        rows["shippedStart"], _ = judged(DEFAULT_MODEL_DIR, segments, reference)
        old_seconds = None
        if not args.skip_old:
            old_dir, old_seconds = train_job(OLD_DEFAULTS, args.tag, Path(tmp) / "old")
            rows["oldDefaults"], _ = judged(old_dir, segments, reference)
        example = side_by_side(segments[0], rolls[0])
    names = list(rows)
    print(
        f"{args.tag}: {len(held)} held-out pieces, {len(segments)} segments of 8 bars, seeds {SEEDS}", file=sys.stderr
    )
    print(f"{'figure':<22}" + "".join(f"{n:>14}" for n in names), file=sys.stderr)
    for figure in rows["real"]:
        print(f"{figure:<22}" + "".join(f"{rows[n].get(figure, float('nan')):>14.2f}" for n in names), file=sys.stderr)
    print(
        f"defaults: {seconds:.0f} s from an empty cache (estimate {estimate.seconds} s: {estimate.basis})",
        file=sys.stderr,
    )
    if old_seconds is not None:
        print(f"old defaults: {old_seconds:.0f} s", file=sys.stderr)
    print(example, file=sys.stderr)
    figures = {
        "customChordBeats": rows["defaults"]["chordBeats"],
        "customSixteenths": rows["defaults"]["sixteenths"],
        "customSeconds": round(seconds, 1),
    }
    met = {k: (v >= GOALS[k][1] if GOALS[k][0] == ">=" else v <= GOALS[k][1]) for k, v in figures.items()}
    print(
        json.dumps(
            {
                "tag": args.tag,
                "hyperparameters": defaults,
                "estimateSeconds": estimate.seconds,
                "oldDefaultsSeconds": None if old_seconds is None else round(old_seconds, 1),
                "rows": rows,
                **figures,
                "met": met,
            }
        )
    )
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
