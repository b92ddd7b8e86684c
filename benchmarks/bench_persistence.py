"""What persistence costs: the local compose round trip with the data folder on vs. in memory, one run.

Two runtimes run side by side as ``make dev`` runs them (each its own process): one with a fresh
data folder (every DynamoDB/S3 write journaled and fdatasync'ed), one ``--in-memory``. Compositions
alternate between them, so the drift of a shared machine falls on both alike; the figure is the
ratio of the p50 round trips (POST /compositions -> COMPLETED, polled every 5 ms, shipped model).

    .venv/bin/python -m benchmarks.bench_persistence        # prints one JSON object
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

GOAL = ("persistenceRatio", "<=", 1.15)
WARM_UP = 3


def compose_round_trip_ms(client: Any, melody_id: str, seed: int) -> float:
    """POST /compositions with the shipped model, polled every 5 ms until final: the milliseconds to COMPLETED."""
    started = time.perf_counter()
    composition = client.post(
        "/compositions", json={"melodyId": melody_id, "modelId": "bach-chorales", "seed": seed}
    ).json()
    while composition["status"] not in ("COMPLETED", "FAILED"):
        time.sleep(0.005)
        composition = client.get(f"/compositions/{composition['id']}").json()
    if composition["status"] != "COMPLETED":
        raise RuntimeError(f"composition failed: {composition.get('failureReason')}")
    return (time.perf_counter() - started) * 1000


def bench_persistence(compositions: int = 30) -> dict[str, Any]:
    import httpx

    from benchmarks.soak import local_runtime
    from shared.music.midi_codec import write_midi
    from shared.music.samples import sample_index

    melody = write_midi(sample_index()["sample-ode-to-joy"].score())
    with (
        local_runtime(poll_seconds=2) as on_url,
        local_runtime(poll_seconds=2, data_args=("--in-memory",)) as off_url,
        httpx.Client(base_url=on_url, timeout=30) as on,
        httpx.Client(base_url=off_url, timeout=30) as off,
    ):
        clients = {"on": on, "off": off}
        melodies = {
            name: client.post("/melodies", content=melody, headers={"Content-Type": "audio/midi"}).json()["id"]
            for name, client in clients.items()
        }
        durations: dict[str, list[float]] = {"on": [], "off": []}
        for seed in range(compositions + WARM_UP):
            order = ("on", "off") if seed % 2 else ("off", "on")
            for name in order:
                elapsed = compose_round_trip_ms(clients[name], melodies[name], seed)
                if seed >= WARM_UP:  # the first ones warm the endpoint and the clients
                    durations[name].append(elapsed)
    on_p50, off_p50 = statistics.median(durations["on"]), statistics.median(durations["off"])
    return {
        "persistenceOnP50Ms": round(on_p50, 1),
        "persistenceOffP50Ms": round(off_p50, 1),
        "persistenceRatio": round(on_p50 / off_p50, 3),
        "persistenceCompositions": compositions,
    }


if __name__ == "__main__":
    print(json.dumps(bench_persistence()))
