"""How long the model takes to compose 8 bars: ``python -m model.benchmark [--model-dir DIR]``.

Model time is ``Composer.compose`` on an already parsed 8-bar melody (the generator, decoding to
notes, and the composition's metrics); the median of repeated runs after a warm-up, with the torch
thread count the inference handlers use. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from model.evaluate import DEFAULT_MODEL_DIR  # noqa: E402
from model.inference import model_fn  # noqa: E402
from shared.music.samples import sample_index  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.benchmark")
    parser.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    composer = model_fn(args.model_dir)
    melody = sample_index()["sample-ode-to-joy"].score()  # 8 bars of 4/4
    for seed in range(5):
        composer.compose(melody, seed)
    times = []
    for seed in range(args.runs):
        started = time.perf_counter()
        composer.compose(melody, seed)
        times.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "bars": melody.bars,
                "runs": args.runs,
                "threads": torch.get_num_threads(),
                "medianMs": round(statistics.median(times), 2),
                "p90Ms": round(sorted(times)[int(0.9 * len(times))], 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
