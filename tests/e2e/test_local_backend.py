"""The whole backend on one machine, used over HTTP only, as the console and the CLI use it:
upload a real MIDI melody, compose with the shipped model, train a tiny model and compose with it,
stop a second training job, and check that another user sees none of it."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import mido
import pretty_midi
import pytest

from local.launcher import REPO_ROOT, RunningRuntime

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

ALICE = {"Authorization": "Bearer alice-e2e"}
BOB = {"Authorization": "Bearer bob-e2e"}
SHIPPED_MODEL = "bach-chorales"
# Twelve four-part chorales, two of them in the held-out split (a pure function of the corpus path):
# small enough to parse in seconds, with both a training and a held-out side.
TINY_TAG = "key:e-major"
TRAINING_ORDER = ["QUEUED", "STARTING", "TRAINING", "STOPPING", "COMPLETED", "FAILED", "STOPPED"]


def frere_jacques() -> bytes:
    """Eight bars of a public-domain round, written by pretty_midi (not by the project's codec)."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=100)
    piano = pretty_midi.Instrument(program=0, name="Frere Jacques")
    beat = 60 / 100
    phrase = (
        [(60, 1), (62, 1), (64, 1), (60, 1)] * 2
        + [(64, 1), (65, 1), (67, 2)] * 2
        + [(67, 0.5), (69, 0.5), (67, 0.5), (65, 0.5), (64, 1), (60, 1)] * 2
        + [(60, 1), (55, 1), (60, 2)] * 2
    )
    t = 0.0
    for pitch, beats in phrase:
        piano.notes.append(pretty_midi.Note(velocity=90, pitch=pitch, start=t * beat, end=(t + beats) * beat - 0.01))
        t += beats
    midi.instruments.append(piano)
    out = io.BytesIO()
    midi.write(out)
    return out.getvalue()


def notes_of(midi_bytes: bytes, instrument: int = 0) -> list[tuple[int, float, float]]:
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes))
    return sorted((n.pitch, round(n.start, 2), round(n.end, 2)) for n in pm.instruments[instrument].notes)


def poll(
    fetch: Callable[[], dict], done: Callable[[dict], bool], timeout: float, seen: list[dict] | None = None
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        record = fetch()
        if seen is not None:
            seen.append(record)
        if done(record):
            return record
        assert time.monotonic() < deadline, f"gave up waiting; last state: {record}"
        time.sleep(0.5)


def get_json(client: httpx.Client, path: str, headers: dict[str, str] = ALICE, status: int = 200) -> dict:
    r = client.get(path, headers=headers)
    assert r.status_code == status, f"GET {path}: {r.status_code} {r.text}"
    return r.json()


def compose_and_check(client: httpx.Client, melody_id: str, model_id: str, melody: bytes) -> str:
    r = client.post("/compositions", json={"melodyId": melody_id, "modelId": model_id, "seed": 7}, headers=ALICE)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "PENDING"
    composition_id = r.json()["id"]
    final = poll(
        lambda: get_json(client, f"/compositions/{composition_id}"),
        lambda c: c["status"] in ("COMPLETED", "FAILED"),
        timeout=600,
    )
    assert final["status"] == "COMPLETED", final
    assert [t["index"] for t in final["tracks"]] == [0, 1, 2, 3]

    r = client.get(f"/compositions/{composition_id}/midi", headers=ALICE)
    assert r.status_code == 200
    song = r.content
    parsed = mido.MidiFile(file=io.BytesIO(song))
    note_tracks = [t for t in parsed.tracks if any(m.type == "note_on" for m in t)]
    assert len(note_tracks) == 4, f"expected 4 tracks with notes, got {len(note_tracks)}"
    assert len(pretty_midi.PrettyMIDI(io.BytesIO(song)).instruments) == 4
    assert notes_of(song, 0) == notes_of(melody, 0), "track 0 must be the melody exactly"
    return composition_id


def test_compose_train_stop_and_isolation(runtime: RunningRuntime) -> None:
    with httpx.Client(base_url=runtime.url, timeout=120) as client:
        assert get_json(client, "/health")["status"] == "ok"

        # --- a real MIDI melody, uploaded as raw bytes ---
        melody = frere_jacques()
        r = client.post("/melodies", content=melody, headers={**ALICE, "Content-Type": "audio/midi"})
        assert r.status_code in (200, 201), r.text
        uploaded = r.json()
        melody_id = uploaded["id"]
        assert uploaded["bars"] == 8 and uploaded["noteCount"] == len(notes_of(melody))
        r = client.get(f"/melodies/{melody_id}/midi", headers=ALICE)
        assert r.status_code == 200 and notes_of(r.content) == notes_of(melody)

        # --- the shipped model is READY at start and composes ---
        shipped = get_json(client, f"/models/{SHIPPED_MODEL}")
        assert shipped["status"] == "READY" and shipped["builtin"] is True
        composition_id = compose_and_check(client, melody_id, SHIPPED_MODEL, melody)
        r = client.get(f"/compositions/{composition_id}/pianoroll.png", headers=ALICE)
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"

        # --- a tiny training job, watched through TRAINING to COMPLETED ---
        tags = {t["tag"] for t in get_json(client, "/datasets")["items"]}
        assert TINY_TAG in tags
        job_request = {
            "modelName": "tiny-e2e",
            "dataset": {"tags": [TINY_TAG]},
            "hyperparameters": {
                "epochs": 2,
                "width": 4,
                "batchSize": 8,
                "maxWindows": 16,
                "updateRatio": 2,
                "startFrom": "scratch",
            },
        }
        r = client.post("/training-jobs", json=job_request, headers=ALICE)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert r.json()["status"] == "QUEUED"
        seen: list[dict] = []
        job = poll(
            lambda: get_json(client, f"/training-jobs/{job_id}"),
            lambda j: j["status"] in ("COMPLETED", "FAILED", "STOPPED"),
            timeout=1500,
            seen=seen,
        )
        assert job["status"] == "COMPLETED", f"{job}\n{runtime.log_tail()}"
        statuses = [s["status"] for s in seen]
        assert "TRAINING" in statuses, statuses
        ranks = [TRAINING_ORDER.index(s) for s in statuses]
        assert ranks == sorted(ranks), f"status moved backwards: {statuses}"
        epochs_seen = [s.get("epoch", 0) for s in seen]
        assert epochs_seen == sorted(epochs_seen)
        assert job["epoch"] == 2 and job["epochs"] == 2
        assert [h["epoch"] for h in job["history"]] == [1, 2]
        for h in job["history"]:
            assert isinstance(h["generatorLoss"], float) and isinstance(h["criticLoss"], float)
            assert 0.0 <= h["metrics"]["similarity"] <= 1.0
            assert h["losses"] == {"generator": h["generatorLoss"], "critic": h["criticLoss"]}
        # each epoch's sample over HTTP, valid MIDI; the chart of the finished job; both Alice's only
        samples = get_json(client, f"/training-jobs/{job_id}/samples")["items"]
        assert [s["epoch"] for s in samples] == [1, 2]
        for sample in samples:
            r = client.get(sample["midi"], headers=ALICE)
            assert r.status_code == 200 and len(pretty_midi.PrettyMIDI(io.BytesIO(r.content)).instruments) == 4
        r = client.get(f"/training-jobs/{job_id}/chart.png", headers=ALICE, params={"scale": 2})
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert client.get(samples[0]["midi"], headers=BOB).status_code == 404
        new_model_id = job["modelId"]

        # --- the new model is READY, listed, and composes ---
        model = get_json(client, f"/models/{new_model_id}")
        assert model["status"] == "READY" and model["builtin"] is False and model["trainingJobId"] == job_id
        assert model["type"] == "gan" and model["parameterSchema"]["properties"] == {}  # the job's modelType
        listed = {m["id"]: m for m in get_json(client, "/models")["items"]}
        assert {SHIPPED_MODEL, new_model_id} <= listed.keys()
        compose_and_check(client, melody_id, new_model_id, melody)

        # --- a second job, stopped while it runs ---
        long_request = {
            **job_request,
            "modelName": "to-stop",
            "hyperparameters": {"epochs": 500, "width": 4, "batchSize": 8, "maxWindows": 16, "startFrom": "scratch"},
        }
        r = client.post("/training-jobs", json=long_request, headers=ALICE)
        assert r.status_code == 202, r.text
        stop_id = r.json()["id"]
        poll(
            lambda: get_json(client, f"/training-jobs/{stop_id}"),
            lambda j: j["status"] in ("STARTING", "TRAINING"),
            timeout=600,
        )
        r = client.post(f"/training-jobs/{stop_id}/stop", headers=ALICE)
        assert r.status_code in (200, 202), r.text
        stopped = poll(
            lambda: get_json(client, f"/training-jobs/{stop_id}"),
            lambda j: j["status"] in ("COMPLETED", "FAILED", "STOPPED"),
            timeout=600,
        )
        assert stopped["status"] == "STOPPED", stopped
        assert stopped["epoch"] < 500
        own_jobs = {j["id"]: j["status"] for j in get_json(client, "/training-jobs")["items"]}
        assert own_jobs == {job_id: "COMPLETED", stop_id: "STOPPED"}

        # --- another user sees none of it ---
        for path in (
            f"/melodies/{melody_id}",
            f"/melodies/{melody_id}/midi",
            f"/compositions/{composition_id}",
            f"/compositions/{composition_id}/midi",
            f"/training-jobs/{job_id}",
            f"/models/{new_model_id}",
        ):
            r = client.get(path, headers=BOB)
            assert r.status_code == 404, f"{path} leaked to another user: {r.status_code}"
            assert r.json()["error"]["code"]
        assert get_json(client, "/training-jobs", BOB)["items"] == []
        bobs_models = get_json(client, "/models", BOB)["items"]
        assert SHIPPED_MODEL in {m["id"] for m in bobs_models} and all(m["builtin"] for m in bobs_models)
        assert all(m["builtin"] for m in get_json(client, "/melodies", BOB)["items"])
        r = client.post("/compositions", json={"melodyId": melody_id, "modelId": new_model_id}, headers=BOB)
        assert r.status_code == 404
        r = client.post(f"/training-jobs/{stop_id}/stop", headers=BOB)
        assert r.status_code == 404


def test_cli_composes_through_the_local_api(runtime: RunningRuntime, tmp_path: Path) -> None:
    melody = tmp_path / "frere.mid"
    melody.write_bytes(frere_jacques())
    song = tmp_path / "song.mid"
    env_args = ["--api-url", runtime.url, "--user", "carol-e2e"]

    def composer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "local.cli", *env_args, *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    done = composer("compose", str(melody), "--model", SHIPPED_MODEL, "--out", str(song), "--seed", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert notes_of(song.read_bytes(), 0) == notes_of(melody.read_bytes(), 0)
    assert len(pretty_midi.PrettyMIDI(str(song)).instruments) == 4

    listed = composer("melodies", "list")
    assert listed.returncode == 0 and "frere" in listed.stdout
    models = composer("models")
    assert models.returncode == 0 and SHIPPED_MODEL in models.stdout and "gan" in models.stdout
    types = composer("model-types")
    assert types.returncode == 0 and "ar-cnn" in types.stdout and "transformer" in types.stdout
    bad = composer("compose", "no-such-melody", "--model", SHIPPED_MODEL, "--out", str(tmp_path / "x.mid"))
    assert bad.returncode == 1 and "404" in bad.stderr


def test_bad_input_is_a_clear_4xx(runtime: RunningRuntime) -> None:
    with httpx.Client(base_url=runtime.url, timeout=60) as client:
        cases = [
            (client.post("/compositions", json={"melodyId": 3, "modelId": SHIPPED_MODEL}, headers=ALICE), 422),
            (
                client.post("/melodies", content=b"not a midi file", headers={**ALICE, "Content-Type": "audio/midi"}),
                400,
            ),
            (
                client.post(
                    "/training-jobs", json={"modelName": "x", "dataset": {"tags": ["no-such-tag"]}}, headers=ALICE
                ),
                422,
            ),
            (
                client.post(
                    "/compositions",
                    json={"melodyId": "sample-ode-to-joy", "modelId": SHIPPED_MODEL, "parameters": {"temperature": 2}},
                    headers=ALICE,
                ),
                422,
            ),
            (client.get("/compositions/cmp-does-not-exist", headers=ALICE), 404),
            (client.get("/models", headers={"Authorization": "Bearer ../etc"}), 401),
        ]
        for response, status in cases:
            assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
            error = response.json()["error"]
            assert error["code"] and error["message"]
        assert cases[0][0].json()["error"]["code"] == "INVALID_REQUEST_BODY"  # the gateway's answer, as on AWS
        knob = cases[3][0].json()["error"]
        assert knob["code"] == "INVALID_PARAMETERS" and "parameters.temperature" in knob["message"]
        assert "model type gan" in knob["message"]


def _composed(client: httpx.Client, body: dict, headers: dict[str, str] = ALICE) -> tuple[dict, bytes]:
    r = client.post("/compositions", json=body, headers=headers)
    assert r.status_code == 202, r.text
    composition_id = r.json()["id"]
    final = poll(
        lambda: get_json(client, f"/compositions/{composition_id}", headers),
        lambda c: c["status"] in ("COMPLETED", "FAILED"),
        timeout=600,
    )
    assert final["status"] == "COMPLETED", final
    r = client.get(f"/compositions/{composition_id}/midi", headers=headers)
    assert r.status_code == 200
    return final, r.content


def test_every_technique_composes_an_uploaded_melody_and_a_built_in_sample(runtime: RunningRuntime) -> None:
    """The shipped AR-CNN (both modes) and Transformer, over HTTP as the studio would use them."""
    with httpx.Client(base_url=runtime.url, timeout=120) as client:
        types = {m["id"]: m["type"] for m in get_json(client, "/models")["items"]}
        assert types["ar-cnn-bach"] == "ar-cnn" and types["transformer-folk"] == "transformer"
        melody = frere_jacques()
        r = client.post("/melodies", content=melody, headers={**ALICE, "Content-Type": "audio/midi"})
        assert r.status_code == 201, r.text
        uploaded = r.json()["id"]
        sample = next(m for m in get_json(client, "/melodies")["items"] if m["builtin"])

        # Transformer: the melody exactly, then a continuation
        final, song = _composed(
            client,
            {"melodyId": uploaded, "modelId": "transformer-folk", "seed": 1, "parameters": {"extensionSeconds": 4}},
        )
        assert final["parameters"]["extensionSeconds"] == 4 and final["parameters"]["samplingTechnique"] == "topK"
        extended, given = notes_of(song), notes_of(melody)
        added = sorted(set(extended) - set(given), key=lambda n: n[1])
        assert set(given) <= set(extended) and added, "the input exactly, plus new notes"
        assert added[0][1] >= max(end for _, _, end in given) - 0.05, "the continuation comes after the input"
        _composed(client, {"melodyId": sample["id"], "modelId": "transformer-folk", "seed": 1})

        # AR-CNN harmonize: the melody kept exactly, three voices added
        final, song = _composed(
            client,
            {
                "melodyId": uploaded,
                "modelId": "ar-cnn-bach",
                "seed": 1,
                "parameters": {"mode": "harmonize", "samplingIterations": 20},
            },
        )
        assert len(final["tracks"]) == 4 and notes_of(song, 0) == notes_of(melody, 0)
        # AR-CNN enhance (the type's default): one track out
        final, _ = _composed(
            client,
            {"melodyId": sample["id"], "modelId": "ar-cnn-bach", "seed": 1, "parameters": {"samplingIterations": 10}},
        )
        assert len(final["tracks"]) == 1 and final["parameters"]["mode"] == "enhance"

        r = client.post(
            "/compositions",
            json={"melodyId": uploaded, "modelId": "ar-cnn-bach", "parameters": {"temperature": 9}},
            headers=ALICE,
        )
        assert r.status_code == 422 and "temperature" in r.json()["error"]["message"]
