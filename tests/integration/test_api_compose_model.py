"""A composition end to end through the real code on every hop: the API handler records PENDING,
the worker (delivered like Lambda's async invoke) calls sagemaker-runtime ``InvokeEndpoint``, and
the endpoint is answered in-process by the real inference handlers of ``model/inference.py`` on the
shipped ``bach-chorales`` model, as the local SageMaker answers it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.inference import input_fn, model_fn, output_fn, predict_fn
from shared.music.midi_codec import read_midi
from shared.music.samples import SAMPLES
from tests.support.api import BUILTIN_MODEL, call

MODEL_DIR = Path(__file__).resolve().parents[2] / "model" / "pretrained" / BUILTIN_MODEL


@pytest.fixture(scope="module")
def generator():
    return model_fn(str(MODEL_DIR))


@pytest.fixture
def real_endpoint(cloud, generator):
    def answer(body: bytes, content_type: str, accept: str) -> bytes:
        out = output_fn(predict_fn(input_fn(body, content_type), generator), accept)
        return out.encode() if isinstance(out, str) else out

    cloud.endpoint.answer = answer
    return cloud


def compose(cloud, melody_id: str, seed: int) -> dict:
    created = call("POST", "/compositions", body={"melodyId": melody_id, "modelId": BUILTIN_MODEL, "seed": seed})
    assert created.status == 202 and created.json["status"] == "PENDING", created.body
    assert call("GET", f"/compositions/{created.json['id']}").json["status"] == "PENDING"
    cloud.invocations.deliver_all()
    return call("GET", f"/compositions/{created.json['id']}").json


def beats(score, track: int) -> list[tuple[float, int, float]]:
    return [
        (score.ticks_to_beats(n.start), n.pitch, score.ticks_to_beats(n.duration)) for n in score.tracks[track].notes
    ]


def test_uploaded_melody_becomes_a_playable_four_track_composition(real_endpoint):
    notes = [{"pitch": p, "start": i, "duration": 1} for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62, 60])]
    melody = call("POST", "/melodies", body={"name": "Up and down", "tempo": 96, "notes": notes}).json
    done = compose(real_endpoint, melody["id"], seed=11)
    assert done["status"] == "COMPLETED", done.get("failureReason")
    assert len(done["tracks"]) == 4 and done["tracks"][0]["noteCount"] == 9
    assert sum(t["noteCount"] for t in done["tracks"][1:]) > 0
    assert done["bars"] >= melody["bars"]

    midi = call("GET", f"/compositions/{done['id']}/midi")
    assert midi.status == 200
    score = read_midi(midi.body).score
    sent = read_midi(call("GET", f"/melodies/{melody['id']}/midi").body).score
    assert beats(score, 0) == beats(sent, 0)
    assert score.tempo_bpm == pytest.approx(96, abs=0.01)
    assert len([t for t in score.tracks[1:] if t.notes]) >= 2

    png = call("GET", f"/compositions/{done['id']}/pianoroll.png")
    assert png.status == 200 and png.body.startswith(b"\x89PNG")


def test_same_seed_same_composition_different_seed_different(real_endpoint):
    first = compose(real_endpoint, SAMPLES[1].id, seed=5)
    again = compose(real_endpoint, SAMPLES[1].id, seed=5)
    # The decoder picks among the network's few likeliest pitches, so two seeds can agree on a short
    # melody (seeds 5 and 6 do on this one): a seed must change it somewhere among a few, not always.
    others = [compose(real_endpoint, SAMPLES[1].id, seed=seed) for seed in (6, 7)]
    assert first["status"] == again["status"] == "COMPLETED" and all(o["status"] == "COMPLETED" for o in others)
    files = [call("GET", f"/compositions/{c['id']}/midi").body for c in (first, again, *others)]
    assert files[0] == files[1]
    assert any(f != files[0] for f in files[2:])
