"""The compose path outside the decoder, before and after it was made fast, alternated in one run.

``python -m benchmarks.bench_compose_path [--runs 30]`` composes the 8-bar ``sample-ode-to-joy``
with the shipped ``bach-chorales`` model (torch 1 thread, as ``model_fn`` sets it), as
``benchmarks/run.py`` measures ``composeMs``: the full ``Composer.compose``, median of ``runs``
after a warm-up. ``new`` is the code as it is; ``previous`` is the same compose with the figures,
the roll decoding and the MIDI writing of commit cf9c60f (``benchmarks/previous_compose_path.py``);
the generator and the decoder are the same on both sides. The two alternate run by run, so the
drift of a shared machine falls on both.

Each run also splits its own compose into parts, by timing the functions it calls:

- ``generator``: ``Composer.probabilities`` (condition planes, the U-Net, window averaging);
- ``decoding``: ``decode_voices`` (the joint Viterbi decoder);
- ``rollAssembly``: the rest of ``compose_rolls`` (pooling per beat, moving back to 128 pitches);
- ``midi``: the accompaniment's roll to notes plus ``composition_result`` (writing the MIDI);
- ``figures``: ``composition_metrics`` (the composition's music figures and similarity);
- ``other``: the rest (the melody's roll, the score).

Prints a table of medians (ms), then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from benchmarks import previous_compose_path as previous

PARTS = ("generator", "decoding", "rollAssembly", "midi", "figures", "other")


def _timed(fn: Callable[..., Any], spent: dict[str, float], part: str) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[part] += (time.perf_counter() - started) * 1000

    return timed


@contextmanager
def _split(composer: Any, spent: dict[str, float]) -> Iterator[None]:
    """Time the parts of the compose calls made inside, into ``spent`` (ms per part)."""
    from model.gan import compose

    with ExitStack() as stack:
        stack.enter_context(
            previous.patched(
                compose,
                decode_voices=_timed(compose.decode_voices, spent, "decoding"),
                roll_to_notes=_timed(compose.roll_to_notes, spent, "midi"),
                composition_result=_timed(compose.composition_result, spent, "midi"),
                Q=SimpleNamespace(composition_metrics=_timed(compose.Q.composition_metrics, spent, "figures")),
            )
        )
        composer.probabilities = _timed(composer.probabilities, spent, "generator")
        composer.compose_rolls = _timed(composer.compose_rolls, spent, "rolls")
        stack.callback(lambda: [vars(composer).pop(name) for name in ("probabilities", "compose_rolls")])
        yield


def _one(composer: Any, melody: Any, seed: int, old: bool) -> dict[str, float]:
    spent: dict[str, float] = defaultdict(float)
    with ExitStack() as stack:
        if old:
            stack.enter_context(previous.previous_compose())
        stack.enter_context(_split(composer, spent))
        started = time.perf_counter()
        composer.compose(melody, seed)
        total = (time.perf_counter() - started) * 1000
    rolls = spent.pop("rolls")
    spent["rollAssembly"] = rolls - spent["generator"] - spent["decoding"]
    spent["other"] = total - rolls - spent["midi"] - spent["figures"]
    return {"total": total, **spent}


def bench_compose_path(runs: int = 30) -> dict[str, Any]:
    """Median milliseconds of the whole compose and of its parts, current vs previous code."""
    from model.evaluate import DEFAULT_MODEL_DIR
    from model.inference import model_fn
    from shared.music.samples import sample_index

    composer = model_fn(str(DEFAULT_MODEL_DIR))
    melody = sample_index()["sample-ode-to-joy"].score()
    for seed in range(3):  # warm-up: allocator, kernels, caches
        _one(composer, melody, seed, old=False)
        _one(composer, melody, seed, old=True)
    times: dict[str, list[dict[str, float]]] = {"new": [], "previous": []}
    for i in range(runs):
        sides = ("new", "previous") if i % 2 == 0 else ("previous", "new")
        for side in sides:
            times[side].append(_one(composer, melody, i, old=side == "previous"))
    medians = {
        side: {part: round(statistics.median(run[part] for run in runs_), 2) for part in ("total", *PARTS)}
        for side, runs_ in times.items()
    }
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, CPython {platform.python_version()}",
        "loadAverage": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "composeMs": medians["new"]["total"],
        "composePreviousMs": medians["previous"]["total"],
        "composeSpeedup": round(medians["previous"]["total"] / medians["new"]["total"], 2),
        "partsMs": medians["new"],
        "partsPreviousMs": medians["previous"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_compose_path", description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    result = bench_compose_path(parser.parse_args(argv).runs)
    print(f"machine {result['machine']}, load average {result['loadAverage']}, {result['runs']} runs per side")
    print(f"{'median ms':<14}{'previous':>10}{'new':>10}")
    for part in ("total", *PARTS):
        print(f"{part:<14}{result['partsPreviousMs'][part]:>10.2f}{result['partsMs'][part]:>10.2f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
