"""The AR-CNN's speed, side by side with DeepComposer's AR-CNN network in the same run.

- ``enhance``: the shipped model's whole ``compose`` (MIDI in the score, MIDI bytes out) with 100
  sampling iterations on an 8-bar melody, against the reference U-Net doing the same 100 passes
  (one cell flipped after each, as DeepComposer did); the ratio is the speedup.
- ``harmonize``: the shipped model's ``compose`` at its default parameters on the same 8 bars.

Both on one torch thread. ``python -m benchmarks.bench_arcnn [MODEL_DIR]`` prints one JSON object;
``benchmarks/run.py`` calls ``bench_arcnn()``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "model" / "pretrained" / "ar-cnn-bach"
MELODY = "sample-ode-to-joy"
GOALS = {"arcnnEnhanceSeconds": ("<=", 2.0), "arcnnEnhanceSpeedup": (">=", 20.0), "arcnnHarmonizeSeconds": ("<=", 5.0)}


def _median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_arcnn(model_dir: Path = MODEL_DIR, runs: int = 5, reference_runs: int = 1) -> dict[str, Any]:
    import torch

    from benchmarks.reference_arcnn import PITCHES, STEPS, ReferenceArcnn, parameter_count, reference_enhance
    from model.inference import model_fn
    from shared.music.samples import sample_index

    model = model_fn(str(model_dir))
    torch.set_num_threads(1)
    melody = sample_index()[MELODY].score()
    enhance = {"mode": "enhance", "samplingIterations": 100}
    harmonize = {"mode": "harmonize"}
    model.compose(melody, 0, enhance)
    model.compose(melody, 0, harmonize)
    seeds = iter(range(1, 10**6))
    ours = _median_seconds(lambda: model.compose(melody, next(seeds), enhance), runs)
    harmonizing = _median_seconds(lambda: model.compose(melody, next(seeds), harmonize), runs)
    reference = ReferenceArcnn().eval()
    roll = (torch.rand(STEPS, PITCHES, generator=torch.Generator().manual_seed(0)) < 0.03).float()
    generator = torch.Generator().manual_seed(0)
    reference_enhance(reference, roll, 2, generator)
    theirs = _median_seconds(lambda: reference_enhance(reference, roll, 100, generator), reference_runs)
    return {
        "arcnnEnhanceSeconds": round(ours, 3),
        "arcnnReferenceEnhanceSeconds": round(theirs, 2),
        "arcnnEnhanceSpeedup": round(theirs / ours, 1),
        "arcnnHarmonizeSeconds": round(harmonizing, 3),
        "arcnnBars": melody.bars,
        "arcnnParameters": sum(p.numel() for p in (*model.infill.parameters(), *model.enhancer.parameters())),
        "arcnnReferenceParameters": parameter_count(reference),
        "arcnnThreads": torch.get_num_threads(),
    }


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    return {
        name: (results[name] <= limit if op == "<=" else results[name] >= limit)
        for name, (op, limit) in GOALS.items()
        if name in results
    }


if __name__ == "__main__":
    figures = bench_arcnn(Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL_DIR)
    print(json.dumps({**figures, "verdicts": verdicts(figures)}))
