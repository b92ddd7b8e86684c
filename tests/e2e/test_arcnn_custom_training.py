"""A custom AR-CNN over HTTP only: a tiny training job to READY, then the new model composes in
both of its modes, with its own type and knobs on the model record."""

from __future__ import annotations

import io

import httpx
import pretty_midi
import pytest

from local.launcher import RunningRuntime
from tests.e2e.test_local_backend import TINY_TAG, _composed, frere_jacques, get_json, poll

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

# A user of its own: the e2e tests share one runtime, and the backend test checks Alice's job list exactly.
CAROL = {"Authorization": "Bearer carol-e2e"}
TINY = {"epochs": 2, "stepsPerEpoch": 4, "batchSize": 8, "width": 16, "layers": 2, "seed": 1}


def _compose(client: httpx.Client, melody_id: str, model_id: str, parameters: dict) -> tuple[dict, bytes]:
    return _composed(client, {"melodyId": melody_id, "modelId": model_id, "seed": 3, "parameters": parameters}, CAROL)


def test_a_custom_ar_cnn_trains_to_ready_and_composes_both_modes(runtime: RunningRuntime) -> None:
    with httpx.Client(base_url=runtime.url, timeout=60) as client:
        melody = frere_jacques()
        r = client.post("/melodies", content=melody, headers={**CAROL, "Content-Type": "audio/midi"})
        assert r.status_code == 201, r.text
        melody_id = r.json()["id"]

        job_request = {
            "modelName": "tiny-arcnn-e2e",
            "modelType": "ar-cnn",
            "dataset": {"tags": [TINY_TAG]},
            "hyperparameters": TINY,
        }
        r = client.post("/training-jobs", json=job_request, headers=CAROL)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        job = poll(
            lambda: get_json(client, f"/training-jobs/{job_id}", CAROL),
            lambda j: j["status"] in ("COMPLETED", "FAILED", "STOPPED"),
            timeout=1500,
        )
        assert job["status"] == "COMPLETED", f"{job}\n{runtime.log_tail()}"
        assert job["epoch"] == 2 and job["epochs"] == 2

        model = get_json(client, f"/models/{job['modelId']}", CAROL)
        assert model["status"] == "READY" and model["type"] == "ar-cnn" and model["builtin"] is False
        assert "maxNotesAdded" in model["parameterSchema"]["properties"]

        sent = sorted(
            (n.pitch, round(n.start, 2)) for n in pretty_midi.PrettyMIDI(io.BytesIO(melody)).instruments[0].notes
        )
        record, song = _compose(client, melody_id, model["id"], {"mode": "harmonize", "samplingIterations": 8})
        parts = pretty_midi.PrettyMIDI(io.BytesIO(song)).instruments
        assert len(record["tracks"]) == 4 and all(p.notes for p in parts)
        assert sorted((n.pitch, round(n.start, 2)) for n in parts[0].notes) == sent  # the melody kept
        record, song = _compose(client, melody_id, model["id"], {"mode": "enhance", "samplingIterations": 10})
        assert len(record["tracks"]) == 1 and record["parameters"]["mode"] == "enhance"

        r = client.post(
            "/compositions",
            json={"melodyId": melody_id, "modelId": model["id"], "parameters": {"maxNotesAdded": 5}},
            headers=CAROL,
        )
        assert r.status_code == 422 and "maxNotesAdded" in r.json()["error"]["message"], r.text
