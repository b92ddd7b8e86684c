"""`make bench`: every performance goal of the project, measured side by side in one run.

Each figure is a ratio against its floor or against the reference network (benchmarks/reference_net.py)
measured in the same run, so that the drift of a shared machine cancels out. Prints a table, then one
JSON object as the last line. `--skip-training` leaves out the slowest figure (time to quality).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.bench_arcnn import GOALS as ARCNN_GOALS
from benchmarks.bench_arcnn import bench_arcnn
from benchmarks.bench_media import GOALS as MEDIA_GOALS
from benchmarks.bench_media import bench_media
from benchmarks.bench_persistence import bench_persistence
from benchmarks.bench_studio import GOALS as STUDIO_GOALS
from benchmarks.bench_studio import bench_studio
from benchmarks.bench_transformer import bench_transformer

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_RECIPE_ITERATIONS = 1000  # the reference notebook's training recipe
GOALS = {
    "timeToQualitySeconds": ("<=", 900.0),
    "timeToQualitySpeedup": (">=", 11.0),
    "composeMs": ("<=", 20.0),
    "composeSpeedup": (">=", 5.0),
    "apiComposeP50Ms": ("<=", 150.0),
    "coldStartRatio": ("<=", 1.3),
    "dataColdSeconds": ("<=", 60.0),
    "dataWarmSeconds": ("<=", 2.0),
    "persistenceRatio": ("<=", 1.15),
    **ARCNN_GOALS,
    **MEDIA_GOALS,
    "transformerExtendCpuMs": ("<=", 500.0),
    **STUDIO_GOALS,
}


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_compose(runs: int = 30) -> dict[str, Any]:
    """Model time for an 8-bar melody: ours (the shipped model's full compose) vs the reference generator."""
    import torch

    from benchmarks.reference_net import ReferenceGenerator, reference_compose_8_bars
    from model.evaluate import DEFAULT_MODEL_DIR
    from model.inference import model_fn
    from shared.music.samples import sample_index

    composer = model_fn(str(DEFAULT_MODEL_DIR))
    ours_threads = torch.get_num_threads()
    melody = sample_index()["sample-ode-to-joy"].score()
    reference = ReferenceGenerator()
    for seed in range(3):
        composer.compose(melody, seed)
        reference_compose_8_bars(reference)
    seeds = iter(range(10**6))
    ours = _median_ms(lambda: composer.compose(melody, next(seeds)), runs)
    ref = _median_ms(lambda: reference_compose_8_bars(reference), runs)
    return {
        "composeMs": round(ours, 2),
        "referenceComposeMs": round(ref, 2),
        "composeSpeedup": round(ref / ours, 1),
        "composeBars": melody.bars,
        "composeThreads": ours_threads,
    }


def bench_reference_iteration(iterations: int = 2) -> float:
    """Seconds per generator iteration of the reference recipe (batch 64, 5 critic updates)."""
    from benchmarks.reference_net import ReferenceTrainer

    trainer = ReferenceTrainer()
    trainer.iteration()  # warm-up: allocator and kernels
    started = time.perf_counter()
    for _ in range(iterations):
        trainer.iteration()
    return (time.perf_counter() - started) / iterations


def bench_time_to_quality() -> dict[str, Any]:
    """Train the shipped model's recipe from scratch (a cold data cache: the corpus is parsed too)
    and time, wall clock, the first epoch whose held-out figures meet the issue's bar (every figure
    of ``model.evaluate.BAR``, on the segments and seed judged every epoch; the classifier test is
    left to ``make eval``, it takes minutes)."""
    from model.config import ModelConfig
    from model.evaluate import BAR, DEFAULT_MODEL_DIR
    from model.gan.training import train
    from model.quality import SHOWN
    from model.sagemaker import PROGRESS_FILE, Environment
    from shared.schemas import Hyperparameters

    shipped = ModelConfig.load(DEFAULT_MODEL_DIR).settings
    hp = Hyperparameters.model_validate(shipped["hyperparameters"])
    tags = shipped["dataset"]["tags"]
    names = {figure: name for name, figure in SHOWN.items()}
    reached: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as work:
        env = Environment.under(Path(work))
        previous_cache = os.environ.get("COMPOSER_DATA_CACHE")
        os.environ["COMPOSER_DATA_CACHE"] = str(Path(work) / "cache")
        started = time.perf_counter()

        def log(line: str) -> None:
            if not str(line).startswith("epoch=") or "seconds" in reached:
                return
            entry = json.loads((env.checkpoint_dir / PROGRESS_FILE).read_text())["history"][-1]
            values = entry["metrics"]
            met = all(
                names[figure] in values
                and (values[names[figure]] >= bar if op == ">=" else values[names[figure]] <= bar)
                for figure, (op, bar) in BAR.items()
            )
            if met:
                reached.update(seconds=time.perf_counter() - started, epoch=entry["epoch"], metrics=values)

        try:
            result = train(hp, tags, env, log=log)
        finally:
            if previous_cache is None:
                os.environ.pop("COMPOSER_DATA_CACHE", None)
            else:
                os.environ["COMPOSER_DATA_CACHE"] = previous_cache
        total = time.perf_counter() - started
    return {
        "timeToQualitySeconds": round(reached.get("seconds", float("inf")), 1),
        "qualityEpoch": reached.get("epoch"),
        "qualityFigures": reached.get("metrics"),
        "trainingSeconds": round(total, 1),
        "finalFigures": result.get("metrics", {}),
        "epochs": hp.epochs,
    }


_DATA_SCRIPT = """
import json, time
from model import data
t = time.perf_counter(); ds = data.build(["collection:bach-chorales"]); cold = time.perf_counter() - t
t = time.perf_counter(); data.build(["collection:bach-chorales"]); warm = time.perf_counter() - t
print(json.dumps({"dataPieces": len(ds.rolls), "dataColdSeconds": round(cold, 2), "dataWarmSeconds": round(warm, 3)}))
"""


def bench_data() -> dict[str, Any]:
    """All Bach chorales to cached tensors, cold (empty cache) then warm, in a fresh interpreter."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "COMPOSER_DATA_CACHE": cache}
        out = subprocess.run(
            [sys.executable, "-c", _DATA_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_api(compositions: int = 30) -> dict[str, Any]:
    """Local API: POST /compositions -> COMPLETED (polled every 5 ms) with the shipped model, p50 and p90.

    The backend runs as ``make dev`` runs it, in its own process (``python -m local.runtime``), and
    this process is the client, as a user's CLI or browser is: a client sharing the server's
    interpreter would take the GIL from the worker it is waiting for.
    """
    import httpx

    from benchmarks.bench_persistence import compose_round_trip_ms
    from benchmarks.soak import local_runtime
    from shared.music.midi_codec import write_midi
    from shared.music.samples import sample_index

    with local_runtime(poll_seconds=2) as url, httpx.Client(base_url=url, timeout=30) as client:
        melody = write_midi(sample_index()["sample-ode-to-joy"].score())
        melody_id = client.post("/melodies", content=melody, headers={"Content-Type": "audio/midi"}).json()["id"]
        durations = []
        for seed in range(compositions + 3):
            elapsed = compose_round_trip_ms(client, melody_id, seed)
            if seed >= 3:  # the first ones warm the endpoint and the clients
                durations.append(elapsed)
    durations.sort()
    return {
        "apiComposeP50Ms": round(statistics.median(durations), 1),
        "apiComposeP90Ms": round(durations[int(0.9 * len(durations))], 1),
        "apiCompositions": compositions,
    }


def bench_cold_start() -> dict[str, Any]:
    from benchmarks import cold_start

    figures = cold_start.run()
    return {
        "coldStartFloorMs": figures["floorMs"],
        "coldStartHandlerMs": figures["handlerMs"],
        "coldStartRatio": figures["ratio"],
        "apiAssetBytes": figures["assetBytes"],
    }


def _verdicts(results: dict[str, Any]) -> dict[str, bool]:
    verdicts = {}
    for name, (op, limit) in GOALS.items():
        if results.get(name) is None:
            continue
        value = results[name]
        verdicts[name] = value <= limit if op == "<=" else value >= limit
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--skip-training", action="store_true", help="leave out time to quality (the slow figure)")
    parser.add_argument("--compose-runs", type=int, default=30)
    parser.add_argument("--api-compositions", type=int, default=30)
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, "
            f"{platform.python_implementation()} {platform.python_version()}"
        ),
    }
    steps = [
        ("cold start", bench_cold_start),
        ("media", bench_media),
        ("data", bench_data),
        ("compose", lambda: bench_compose(args.compose_runs)),
        ("api", lambda: bench_api(args.api_compositions)),
        ("persistence", lambda: bench_persistence(args.api_compositions)),
        ("ar-cnn", bench_arcnn),
        ("transformer", bench_transformer),
        ("studio", bench_studio),
    ]
    for label, step in steps:
        print(f"... {label}", file=sys.stderr, flush=True)
        results.update(step())
    if not args.skip_training:
        print("... reference training iteration", file=sys.stderr, flush=True)
        per_iteration = bench_reference_iteration()
        results["referenceIterationSeconds"] = round(per_iteration, 2)
        results["referenceRecipeSeconds"] = round(per_iteration * REFERENCE_RECIPE_ITERATIONS, 0)
        print("... time to quality (trains the shipped recipe)", file=sys.stderr, flush=True)
        results.update(bench_time_to_quality())
        results["timeToQualitySpeedup"] = round(results["referenceRecipeSeconds"] / results["timeToQualitySeconds"], 1)
    results["goalsMet"] = _verdicts(results)

    print(f"{'figure':<28}{'value':>14}  goal")
    for name, value in results.items():
        if name in ("goalsMet", "date", "machine"):
            continue
        goal = GOALS.get(name)
        mark = "" if goal is None else f"{goal[0]} {goal[1]:g}  {'met' if results['goalsMet'].get(name) else 'NOT MET'}"
        print(f"{name:<28}{str(value):>14}  {mark}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
