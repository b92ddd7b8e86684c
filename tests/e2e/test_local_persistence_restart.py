"""``make dev`` keeps your work: the runtime started as ``make dev`` starts it (``python -m local.runtime``,
its own process group), SIGKILLed as a group during a composition and again during a training job,
and restarted on the same data folder each time. Every completed item comes back as it was
(records equal, MIDI byte for byte), the interrupted ones are final with a reason, nothing is
duplicated, no training process outlives the runtime, and the trained model composes again."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from local.launcher import REPO_ROOT, START_TIMEOUT_SECONDS
from local.persistence.interrupted import TRAINING_REASON
from tests.e2e.test_local_backend import ALICE, TINY_TAG, compose_and_check, frere_jacques, get_json, poll

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

TINY = {"epochs": 2, "width": 4, "batchSize": 8, "maxWindows": 16, "updateRatio": 2, "startFrom": "scratch"}


@contextmanager
def make_dev(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    """The runtime as ``make dev`` runs it, in a process group of its own; yields (url, process, output)."""
    env = {**os.environ, "LOCAL_POLL_SECONDS": "1", "PYTHONUNBUFFERED": "1", "COMPOSER_DATA_DIR": str(data_dir)}
    for name in ("AWS_ENDPOINT_URL", "PORT", "MOTO_PORT"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local.runtime", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT_SECONDS)
            except queue.Empty:
                raise AssertionError("no READY line:\n" + "".join(output[-60:])) from None
            if match := re.match(r"READY (http://127\.0\.0\.1:\d+)", line):
                break
            assert process.poll() is None, "the runtime exited during start:\n" + "".join(output[-60:])
        assert any(f"Data folder: {data_dir}" in line for line in output), "the data folder is printed at start"
        yield match.group(1), process, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def kill_group(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def snapshot(client: httpx.Client, composition_ids: list[str], melody_id: str, model_id: str) -> dict:
    """Everything a user can read back about the completed work, bytes included."""
    return {
        "melody": get_json(client, f"/melodies/{melody_id}"),
        "melodyMidi": client.get(f"/melodies/{melody_id}/midi", headers=ALICE).content,
        "compositions": {c: get_json(client, f"/compositions/{c}") for c in composition_ids},
        "midi": {c: client.get(f"/compositions/{c}/midi", headers=ALICE).content for c in composition_ids},
        "model": get_json(client, f"/models/{model_id}"),
    }


def test_sigkill_during_composing_and_training_loses_nothing_completed(tmp_path: Path) -> None:
    data_dir = tmp_path / "composer-data"
    melody = frere_jacques()

    # --- run 1: a melody, a composition with the shipped model, a tiny trained model and one with it ---
    with make_dev(data_dir) as (url, process, _), httpx.Client(base_url=url, timeout=120) as client:
        r = client.post("/melodies", content=melody, headers={**ALICE, "Content-Type": "audio/midi"})
        assert r.status_code == 201, r.text
        melody_id = r.json()["id"]
        shipped_composition = compose_and_check(client, melody_id, "bach-chorales", melody)
        r = client.post(
            "/training-jobs",
            json={"modelName": "kept", "dataset": {"tags": [TINY_TAG]}, "hyperparameters": TINY},
            headers=ALICE,
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        job = poll(
            lambda: get_json(client, f"/training-jobs/{job_id}"),
            lambda j: j["status"] in ("COMPLETED", "FAILED", "STOPPED"),
            900,
        )
        assert job["status"] == "COMPLETED", job
        model_id = job["modelId"]
        poll(lambda: get_json(client, f"/models/{model_id}"), lambda m: m["status"] == "READY", 300)
        trained_composition = compose_and_check(client, melody_id, model_id, melody)
        completed = [shipped_composition, trained_composition]
        before = snapshot(client, completed, melody_id, model_id)
        job_before = get_json(client, f"/training-jobs/{job_id}")

        # SIGKILL the group right after a composition was accepted: it is PENDING or RUNNING, or just done
        r = client.post("/compositions", json={"melodyId": melody_id, "modelId": model_id, "seed": 3}, headers=ALICE)
        assert r.status_code == 202, r.text
        cut_composition = r.json()["id"]
        kill_group(process)

    # --- run 2: all of it is back; then a long training job, SIGKILLed while it trains ---
    with make_dev(data_dir) as (url, process, output), httpx.Client(base_url=url, timeout=120) as client:
        assert snapshot(client, completed, melody_id, model_id) == before
        assert get_json(client, f"/training-jobs/{job_id}") == job_before
        cut = get_json(client, f"/compositions/{cut_composition}")
        assert cut["status"] in ("COMPLETED", "FAILED"), cut
        if cut["status"] == "FAILED":
            assert "stopped" in cut["failureReason"], cut

        r = client.post(
            "/training-jobs",
            json={"modelName": "cut", "dataset": {"tags": [TINY_TAG]}, "hyperparameters": {**TINY, "epochs": 500}},
            headers=ALICE,
        )
        assert r.status_code == 202, r.text
        long_id = r.json()["id"]
        training = poll(
            lambda: get_json(client, f"/training-jobs/{long_id}"),
            lambda j: j["status"] == "TRAINING" and j.get("epoch", 0) >= 1,
            900,
        )
        recorded = [json.loads(p.read_text()) for p in (data_dir / "processes").glob("*.json")]
        assert len(recorded) == 1 and "training job" in recorded[0]["what"], recorded
        trainer = recorded[0]["pid"]
        assert alive(trainer)
        kill_group(process)
    deadline = time.monotonic() + 15
    while alive(trainer) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(trainer), "the training subprocess outlived the SIGKILLed runtime"

    # --- run 3: the cut job is FAILED with the reason and its history; the trained model composes ---
    with make_dev(data_dir) as (url, process, _), httpx.Client(base_url=url, timeout=120) as client:
        assert snapshot(client, completed, melody_id, model_id) == before
        failed = get_json(client, f"/training-jobs/{long_id}")
        assert failed["status"] == "FAILED" and failed["failureReason"] == TRAINING_REASON, failed
        assert len(failed["history"]) >= len(training["history"]) >= 1, "the history up to the stop is kept"
        again = compose_and_check(client, melody_id, model_id, melody)

        jobs = [j["id"] for j in get_json(client, "/training-jobs")["items"]]
        assert sorted(jobs) == sorted([job_id, long_id]), jobs
        compositions = [c["id"] for c in get_json(client, "/compositions")["items"]]
        assert sorted(compositions) == sorted([*completed, cut_composition, again]), compositions
        own = [m["id"] for m in get_json(client, "/melodies")["items"] if not m["builtin"]]
        assert own == [melody_id]
        models = [m["id"] for m in get_json(client, "/models")["items"] if not m["builtin"]]
        assert models == [model_id], models
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0


def test_ctrl_c_during_training_ends_the_job_failed_with_the_reason_not_stopped(tmp_path: Path) -> None:
    """A clean stop (Ctrl-C) closes a running job the same way a crash does: the user did not stop it."""
    data_dir = tmp_path / "composer-data"
    with make_dev(data_dir) as (url, process, output), httpx.Client(base_url=url, timeout=120) as client:
        r = client.post(
            "/training-jobs",
            json={"modelName": "ctrl-c", "dataset": {"tags": [TINY_TAG]}, "hyperparameters": {**TINY, "epochs": 500}},
            headers=ALICE,
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        poll(lambda: get_json(client, f"/training-jobs/{job_id}"), lambda j: j["status"] == "TRAINING", 900)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0, "".join(output[-40:])
    with make_dev(data_dir) as (url, process, _), httpx.Client(base_url=url, timeout=120) as client:
        job = get_json(client, f"/training-jobs/{job_id}")
        assert job["status"] == "FAILED" and job["failureReason"] == TRAINING_REASON, job
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0
