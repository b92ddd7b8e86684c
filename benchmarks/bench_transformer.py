"""The Transformer's decoding speed: a 30-second extension, with the key/value cache and without.

Input pinned: the first 8 bars of a held-out Ryan's Mammoth tune (``PINNED_TUNE``), at 120 bpm.
Both runs use the same network, seed and sampling, so they produce the same notes (checked), and
the ratio is the cache's saving on this machine in this run. Wall and CPU milliseconds are both
reported: on a shared, oversubscribed host the wall time mostly measures the wait for a core.

    python -m benchmarks.bench_transformer     # prints one JSON object
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 500.0
EXTENSION_SECONDS = 30.0
BPM = 120
INPUT_BARS = 8
PINNED_TUNE = "ryansMammoth/BelleOfTheKitchenJig.abc#1"  # a 6/8 jig, 41 notes in 8 bars


def pinned_melody() -> tuple[str, str, list[tuple[int, int, int]]]:
    """(tune id, meter, notes) of the pinned input: the first 8 bars of ``PINNED_TUNE``, which is
    held out (checked) and sits alone in its corpus file, so a cold run parses one file."""
    from model.transformer import corpus as C
    from model.transformer import vocab as V

    if PINNED_TUNE not in C.held_out_ids():
        raise RuntimeError(f"{PINNED_TUNE} is not in the held-out split")
    tune = next(t for t in C.load_or_parse_file(PINNED_TUNE.split("#")[0]) if t["id"] == PINNED_TUNE)
    cut = INPUT_BARS * V.bar_steps(tune["meter"])
    return tune["id"], tune["meter"], [(s, p, min(d, cut - s)) for s, p, d in tune["notes"] if s < cut]


def bench_transformer(runs: int = 5) -> dict[str, Any]:
    """Model milliseconds for a 30 s extension at 120 bpm, cached vs uncached, and their ratio."""
    import torch

    from model.transformer import vocab as V
    from model.transformer.compose import continue_melody
    from model.transformer.evaluate import DEFAULT_MODEL
    from model.transformer.network import load_network
    from model.transformer.sampling import CachedDecoder, Sampling, UncachedDecoder

    torch.set_num_threads(1)
    network, _ = load_network(DEFAULT_MODEL)
    tune_id, meter, notes = pinned_melody()
    steps = V.bar_steps(meter)
    end = INPUT_BARS * steps
    extension_steps = EXTENSION_SECONDS * BPM / 60 * V.STEPS_PER_QUARTER
    until = -(-int(end + extension_steps) // steps) * steps
    sampling = Sampling()

    def once(decoder_class) -> tuple[float, list, int, float]:
        extension = continue_melody(decoder_class(network), notes, meter, until, sampling, seed=0, from_step=end)
        c = extension.continuation
        return c.model_seconds * 1000, extension.notes, len(c.tokens), c.model_cpu_seconds * 1000

    once(CachedDecoder)  # warm-up
    cached = [once(CachedDecoder) for _ in range(runs)]
    uncached = [once(UncachedDecoder) for _ in range(max(1, runs // 2))]
    cached_ms = statistics.median(run[0] for run in cached)
    uncached_ms = statistics.median(run[0] for run in uncached)
    cached_cpu_ms = statistics.median(run[3] for run in cached)
    uncached_cpu_ms = statistics.median(run[3] for run in uncached)
    return {
        "transformerTune": tune_id,
        "transformerMeter": meter,
        "transformerAddedNotes": len(cached[0][1]),
        "transformerTokens": cached[0][2],
        "transformerSameNotes": cached[0][1] == uncached[0][1],
        "transformerExtendMs": round(cached_ms, 1),
        "transformerUncachedMs": round(uncached_ms, 1),
        "transformerCacheSpeedup": round(uncached_ms / cached_ms, 2),
        "transformerExtendCpuMs": round(cached_cpu_ms, 1),
        "transformerUncachedCpuMs": round(uncached_cpu_ms, 1),
        "transformerCacheCpuSpeedup": round(uncached_cpu_ms / cached_cpu_ms, 2),
        "transformerGoalMs": GOAL_MS,
        "transformerThreads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(bench_transformer()))
