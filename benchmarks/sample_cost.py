"""What the per-epoch sample costs against an epoch, for each technique, at the shipped models' sizes.

Each training loop composes one fixed held-out melody per epoch (``_sample_midi`` in
``model/<technique>/training.py``). Here the same functions run on the shipped networks and real
held-out music (chorale BWV 113.8, held out; the last tunes of an O'Neill's book for the
Transformer), timed as the median of several runs on one torch thread, and set against the median
epoch time the shipped model's own training recorded in its ``model.json`` history.

The GAN's sample is its accompaniment of the first held-out evaluation segment, which the epoch's
evaluation composes anyway, so its marginal cost is the MIDI encoding only; the composing time is
shown too, as the cost were it not shared.

``python -m benchmarks.sample_cost`` prints a table, then one JSON object.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
PRETRAINED = ROOT / "model" / "pretrained"
HELD_OUT_CHORALE = "bach/bwv113.8.mxl"
TUNE_BOOK = "oneills1850/0001-0050.abc"


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _epoch_seconds(model: str) -> float:
    """The median epoch time of the shipped model's own training (the AR-CNN records a running total)."""
    config = json.loads((PRETRAINED / model / "model.json").read_text())
    history = config.get("history") or config.get("settings", {}).get("history") or []
    seconds = [float(h["seconds"]) for h in history]
    if model == "ar-cnn-bach":
        seconds = [b - a for a, b in zip([0.0, *seconds], seconds, strict=False)]
    return statistics.median(seconds)


def measure(runs: int = 5) -> dict[str, Any]:
    torch.set_num_threads(1)
    from model import data as D
    from model.arcnn import evaluate as E
    from model.arcnn import training as arcnn_training
    from model.arcnn.compose import load as load_arcnn
    from model.config import ModelConfig
    from model.gan import training as gan_training
    from model.gan.compose import Composer, composed_rolls
    from model.transformer import corpus as C
    from model.transformer import training as transformer_training
    from model.transformer.network import load_network

    roll = D.piece_roll(D.load_or_parse(HELD_OUT_CHORALE))
    segment = roll[:128]  # 8 bars of 4/4 on the 16th grid, four voices

    gan_dir = PRETRAINED / "bach-chorales"
    composer = Composer.load(gan_dir, ModelConfig.load(gan_dir))
    composed = composed_rolls(composer, [segment], 0)[0]
    gan_compose = _median(lambda: composed_rolls(composer, [segment], 0), runs)
    gan_midi = _median(lambda: gan_training._sample_midi(composer, composed), runs)

    arcnn = load_arcnn(PRETRAINED / "ar-cnn-bach")
    probe = E.Probe.from_rolls([roll], seed=0)
    arcnn_sample = _median(lambda: arcnn_training._sample_midi(arcnn.infill, arcnn.enhancer, probe), runs)

    network, _ = load_network(PRETRAINED / "transformer-folk")
    tunes = [t for t in C.load_or_parse_file(TUNE_BOOK) if "skip" not in t][-6:]
    transformer_sample = _median(lambda: transformer_training._sample_midi(network, tunes, 0), runs)

    rows = {
        "gan": (gan_midi, _epoch_seconds("bach-chorales"), gan_compose),
        "ar-cnn": (arcnn_sample, _epoch_seconds("ar-cnn-bach"), None),
        "transformer": (transformer_sample, _epoch_seconds("transformer-folk"), None),
    }
    return {
        name: {
            "sampleSeconds": round(sample, 4),
            "epochSeconds": round(epoch, 1),
            "share": round(sample / epoch, 5),
            **({"unsharedComposeSeconds": round(extra, 4)} if extra is not None else {}),
        }
        for name, (sample, epoch, extra) in rows.items()
    }


def main() -> None:
    result = measure()
    print(f"{'technique':<12} {'sample s':>9} {'epoch s':>9} {'share':>8}")
    for name, row in result.items():
        print(f"{name:<12} {row['sampleSeconds']:>9.4f} {row['epochSeconds']:>9.1f} {100 * row['share']:>7.3f}%")
    print(json.dumps({"sampleCost": result, "numpy": np.__version__, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
