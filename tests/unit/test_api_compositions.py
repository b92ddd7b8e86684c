"""/compositions through the real handlers on moto: POST records PENDING and queues the worker;
the worker (delivered like Lambda's async invoke) calls the endpoint, stores the MIDI, and records
COMPLETED, or FAILED with a readable reason; a dead worker's lease expires into FAILED.

The endpoint here is a small harmoniser written in the test (the real model answers in
tests/integration/test_api_compose_model.py); it follows the inference handlers' JSON to the letter.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from botocore.exceptions import ReadTimeoutError
from PIL import Image

from shared.logic import clock
from shared.logic.compositions import PENDING_LEASE, RUNNING_LEASE
from shared.logic.models import register_builtin_model
from shared.logic.pianoroll import track_colour
from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import SAMPLES
from shared.music.score import Note, Score, Track
from shared.resources import COMPOSITIONS, ID_KEY, OWNER_KEY, Keys
from shared.statuses import ModelStatus
from shared.store import compositions as store
from shared.store.dynamo import table
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, WORKER_FUNCTION, call

SAMPLE = SAMPLES[0].id


def harmoniser(body: bytes, content_type: str, accept: str) -> bytes:
    """The inference JSON: {midi, seed} in; JSON {midi, bars, tracks, metrics} out, track 0 = melody."""
    assert content_type == "application/json" and accept == "application/json"
    request = json.loads(body)
    melody = read_midi(base64.b64decode(request["midi"])).score
    lead = melody.tracks[0]
    parts = [Track(notes=list(lead.notes), name="Melody")]
    for name, shift, program in (("Alto", -5, 48), ("Tenor", -12, 42), ("Bass", -24, 32)):
        parts.append(
            Track(
                notes=[Note(n.start, n.pitch + shift, n.duration, 80) for n in lead.notes], name=name, program=program
            )
        )
    return answer(parts, melody, request["seed"], {"inKey": 0.9, "similarity": 0.7, "label": "not a number"})


def answer(parts: list[Track], melody: Score, seed: int | None = None, metrics: dict | None = None) -> bytes:
    """Contract 2's answer for ``parts``, in the melody's tempo and meter."""
    score = Score(
        tracks=parts,
        ticks_per_beat=melody.ticks_per_beat,
        tempo_us=melody.tempo_us,
        time_signature=melody.time_signature,
    )
    return json.dumps(
        {
            "midi": base64.b64encode(write_midi(score)).decode(),
            "bars": score.bars,
            "seed": seed,
            "tracks": [
                {"index": i, "name": t.name, "program": t.program, "noteCount": len(t.notes)}
                for i, t in enumerate(parts)
            ],
            "metrics": metrics or {},
        }
    ).encode()


def start(user: str = ALICE, **body) -> dict:
    reply = call("POST", "/compositions", user=user, body={"melodyId": SAMPLE, "modelId": BUILTIN_MODEL, **body})
    assert reply.status == 202, reply.body
    return reply.json


def test_pending_then_completed_with_playable_midi(cloud):
    cloud.endpoint.answer = harmoniser
    created = start(seed=7)
    assert created["status"] == "PENDING" and created["seed"] == 7
    assert cloud.invocations.queued == [(WORKER_FUNCTION, {"owner": ALICE, "compositionId": created["id"]})]
    assert call("GET", f"/compositions/{created['id']}").json["status"] == "PENDING"
    assert call("GET", f"/compositions/{created['id']}/midi").error_code == "NOT_COMPLETED"

    assert cloud.invocations.deliver_all() == [{"status": "COMPLETED", "compositionId": created["id"]}]
    sent = json.loads(cloud.endpoint.calls[0]["Body"])
    assert cloud.endpoint.calls[0]["EndpointName"] == f"composer-{BUILTIN_MODEL}" and sent["seed"] == 7
    done = call("GET", f"/compositions/{created['id']}").json
    assert done["status"] == "COMPLETED" and done["bars"] == 8
    assert [t["name"] for t in done["tracks"]] == ["Melody", "Alto", "Tenor", "Bass"]
    assert done["tracks"][0]["noteCount"] == len([p for p, _ in SAMPLES[0].phrase if p])
    assert done["metrics"] == {"inKey": 0.9, "similarity": 0.7}
    assert "failureReason" not in done or done["failureReason"] is None

    midi = call("GET", f"/compositions/{created['id']}/midi")
    assert midi.status == 200 and midi.headers["content-type"] == "audio/midi"
    score = read_midi(midi.body).score
    assert len(score.tracks) == 4
    assert [n.pitch for n in score.tracks[0].notes] == [p for p, _ in SAMPLES[0].phrase if p]
    stored = cloud_object(cloud, Keys.composition_midi(ALICE, created["id"]))
    assert stored == midi.body

    png = call("GET", f"/compositions/{created['id']}/pianoroll.png")
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    assert png.body[:8] == b"\x89PNG\r\n\x1a\n"
    colours = {c for _, c in Image.open(io.BytesIO(png.body)).convert("RGB").getcolors(1 << 20)}
    assert {track_colour(i) for i in range(4)} <= colours  # every track is drawn in its own colour


def cloud_object(cloud, key: str) -> bytes:
    import boto3

    return boto3.client("s3").get_object(Bucket=cloud.bucket, Key=key)["Body"].read()


def test_seed_is_chosen_and_recorded_when_absent(cloud):
    cloud.endpoint.answer = harmoniser
    created = start()
    assert isinstance(created["seed"], int)
    cloud.invocations.deliver_all()
    assert json.loads(cloud.endpoint.calls[0]["Body"])["seed"] == created["seed"]


def test_own_uploaded_melody_composes(cloud):
    cloud.endpoint.answer = harmoniser
    notes = [{"pitch": p, "start": i, "duration": 1} for i, p in enumerate([62, 65, 69, 72])]
    melody = call("POST", "/melodies", body={"name": "Mine", "notes": notes}).json
    created = start(melodyId=melody["id"])
    cloud.invocations.deliver_all()
    done = call("GET", f"/compositions/{created['id']}").json
    assert done["status"] == "COMPLETED" and done["tracks"][0]["noteCount"] == 4


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda e: setattr(e, "error", (424, "ModelError", "Received server error (500) from primary")),
            "The model endpoint failed: ModelError: Received server error (500) from primary",
        ),
        (
            lambda e: setattr(e, "error", (400, "ValidationException", "Endpoint composer-bach-chorales not found.")),
            "The model endpoint failed: ValidationException: Endpoint composer-bach-chorales not found.",
        ),
        (
            lambda e: setattr(e, "raise_", ReadTimeoutError(endpoint_url="https://runtime.sagemaker")),
            "The model endpoint timed out; try again in a minute.",
        ),
        (
            lambda e: setattr(e, "answer", lambda *_: b"<html>oops</html>"),
            "The model returned an unusable composition: the answer is not JSON",
        ),
        (
            lambda e: setattr(
                e, "answer", lambda *_: json.dumps({"midi": base64.b64encode(b"nope").decode()}).encode()
            ),
            "The model returned an unusable composition: the MIDI is unreadable",
        ),
    ],
)
def test_endpoint_failures_end_failed_with_reason(cloud, setup, reason):
    setup(cloud.endpoint)
    created = start()
    assert cloud.invocations.deliver_all()[0]["status"] == "FAILED"
    failed = call("GET", f"/compositions/{created['id']}").json
    assert failed["status"] == "FAILED"
    assert failed["failureReason"].startswith(reason)
    assert call("GET", f"/compositions/{created['id']}/midi").status == 409


def test_answer_whose_track0_is_not_the_melody_fails(cloud):
    def wrong(body, content_type, accept):
        answer = json.loads(harmoniser(body, content_type, accept))
        score = read_midi(base64.b64decode(answer["midi"])).score
        score.tracks[0].notes = [Note(n.start, n.pitch + 1, n.duration, n.velocity) for n in score.tracks[0].notes]
        return json.dumps({**answer, "midi": base64.b64encode(write_midi(score)).decode()}).encode()

    cloud.endpoint.answer = wrong
    created = start()
    cloud.invocations.deliver_all()
    assert "track 0 is not the melody" in call("GET", f"/compositions/{created['id']}").json["failureReason"]


def test_duplicate_delivery_does_not_compose_twice(cloud):
    cloud.endpoint.answer = harmoniser
    start()
    payload = cloud.invocations.queued[0]
    cloud.invocations.queued.append(payload)
    assert [r["status"] for r in cloud.invocations.deliver_all()] == ["COMPLETED", "SKIPPED"]
    assert len(cloud.endpoint.calls) == 1


def test_crashed_worker_expires_to_failed_and_cannot_overwrite(cloud, monkeypatch):
    cloud.endpoint.raise_ = SystemExit("Lambda killed the sandbox")
    created = start()
    with pytest.raises(SystemExit):
        cloud.invocations.deliver_all()
    assert call("GET", f"/compositions/{created['id']}").json["status"] == "RUNNING"

    later = clock.now() + RUNNING_LEASE + timedelta(seconds=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    listed = call("GET", "/compositions").json["items"]
    assert [(c["id"], c["status"]) for c in listed] == [(created["id"], "FAILED")]
    failed = call("GET", f"/compositions/{created['id']}").json
    assert failed["failureReason"].startswith("worker timed out")


def test_never_delivered_pending_expires_too(cloud, monkeypatch):
    created = start()
    cloud.invocations.queued.clear()
    later = clock.now() + PENDING_LEASE + timedelta(seconds=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert call("GET", f"/compositions/{created['id']}").json["status"] == "FAILED"


def test_worker_refused_by_lambda_fails_at_once(cloud):
    cloud.invocations.refuse = "Function not found: composer-compose-worker"
    created = start()
    assert created["status"] == "FAILED"
    assert "could not start the composition worker" in created["failureReason"]


def test_unknown_or_foreign_melody_and_model(cloud):
    cloud.endpoint.answer = harmoniser
    mine = call("POST", "/melodies", body={"name": "Mine", "notes": [{"pitch": 60, "start": 0, "duration": 1}]}).json
    reply = call("POST", "/compositions", user=BOB, body={"melodyId": mine["id"], "modelId": BUILTIN_MODEL})
    assert (reply.status, reply.error_code) == (404, "NOT_FOUND") and mine["id"] in reply.json["error"]["message"]
    reply = call("POST", "/compositions", body={"melodyId": SAMPLE, "modelId": "no-such-model"})
    assert reply.status == 404
    assert cloud.invocations.queued == []


def test_model_not_ready_is_409(cloud):
    register_builtin_model("warming-up", "Warming up", endpoint_name="composer-warming-up", status=ModelStatus.CREATING)
    reply = call("POST", "/compositions", body={"melodyId": SAMPLE, "modelId": "warming-up"})
    assert (reply.status, reply.error_code) == (409, "MODEL_NOT_READY")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"melodyId": SAMPLE}, None, 422),
        ({"melodyId": SAMPLE, "modelId": BUILTIN_MODEL, "seed": -1}, None, 422),
        ({"melodyId": SAMPLE, "modelId": BUILTIN_MODEL, "colour": "red"}, None, 422),
        ("[1, 2", "application/json", 400),
        ("melodyId=x", "application/x-www-form-urlencoded", 415),
        (b"MThd\x00\x00", "audio/midi", 415),
    ],
)
def test_bad_composition_requests(cloud, body, content_type, status):
    reply = call("POST", "/compositions", body=body, content_type=content_type)
    assert reply.status == status, reply.body
    assert set(reply.json["error"]) == {"code", "message"}
    assert call("GET", "/compositions").json["items"] == []


def test_other_user_sees_404_on_composition_and_its_files(cloud):
    cloud.endpoint.answer = harmoniser
    created = start()
    cloud.invocations.deliver_all()
    for path in (
        f"/compositions/{created['id']}",
        f"/compositions/{created['id']}/midi",
        f"/compositions/{created['id']}/pianoroll.png",
    ):
        assert call("GET", path, user=BOB).status == 404, path
    assert call("GET", "/compositions", user=BOB).json["items"] == []


def test_idempotency_key_starts_one_composition(cloud):
    body = {"melodyId": SAMPLE, "modelId": BUILTIN_MODEL, "seed": 3}
    first = call("POST", "/compositions", body=body, headers={"Idempotency-Key": "compose-1"})
    second = call("POST", "/compositions", body=body, headers={"idempotency-key": "compose-1"})
    assert first.status == second.status == 202
    assert first.json["id"] == second.json["id"]
    assert len(cloud.invocations.queued) == 1
    assert len(call("GET", "/compositions").json["items"]) == 1


def test_composition_list_pages(cloud):
    ids = [start()["id"] for _ in range(3)]
    page1 = call("GET", "/compositions", query={"limit": "2"}).json
    page2 = call("GET", "/compositions", query={"limit": "2", "nextToken": page1["nextToken"]}).json
    assert [c["id"] for c in page1["items"] + page2["items"]] == ids
    assert page2.get("nextToken") is None


def test_late_worker_cannot_overwrite_a_timed_out_verdict(cloud, monkeypatch):
    created = start()

    def slow_then_fine(body, content_type, accept):
        later = clock.now() + RUNNING_LEASE + timedelta(seconds=5)
        monkeypatch.setattr(clock, "now", lambda: later)
        assert call("GET", f"/compositions/{created['id']}").json["status"] == "FAILED"
        return harmoniser(body, content_type, accept)

    cloud.endpoint.answer = slow_then_fine
    cloud.invocations.deliver_all()
    final = call("GET", f"/compositions/{created['id']}").json
    assert final["status"] == "FAILED" and final["failureReason"].startswith("worker timed out")
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=cloud.bucket, Prefix="compositions/")
    assert listed.get("KeyCount", 0) == 0


def test_worker_calls_the_endpoint_recorded_when_the_composition_was_accepted(cloud):
    """The worker reads no model record: the endpoint checked READY at POST travels on the composition."""
    cloud.endpoint.answer = harmoniser
    created = start()
    register_builtin_model(
        BUILTIN_MODEL, "Redeployed", endpoint_name="composer-redeployed", status=ModelStatus.CREATING
    )
    assert cloud.invocations.deliver_all() == [{"status": "COMPLETED", "compositionId": created["id"]}]
    assert [c["EndpointName"] for c in cloud.endpoint.calls] == [f"composer-{BUILTIN_MODEL}"]


def test_composition_without_a_recorded_endpoint_fails_with_a_reason(cloud):
    cloud.endpoint.answer = harmoniser
    created = start()
    table(COMPOSITIONS).update_item(
        Key={OWNER_KEY: ALICE, ID_KEY: created["id"]},
        UpdateExpression="REMOVE #e",
        ExpressionAttributeNames={"#e": store.ENDPOINT_ATTRIBUTE},
    )
    assert cloud.invocations.deliver_all() == [{"status": "FAILED", "compositionId": created["id"]}]
    failed = call("GET", f"/compositions/{created['id']}").json
    assert failed["status"] == "FAILED" and "names no model endpoint" in failed["failureReason"]
    assert cloud.endpoint.calls == []
