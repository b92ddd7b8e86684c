"""A training job's chart and per-epoch samples through the real handler on moto: the progress
function copies each sample out of the checkpoint prefix and records it, the API lists and serves
them to the owner only, and the chart is drawn from the recorded history."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from PIL import Image

from shared.logic import training_progress
from shared.music.midi_codec import read_midi, write_midi
from shared.music.score import Note, Score, Track
from shared.resources import Keys
from shared.statuses import TrainingStatus
from shared.store import training_jobs as store
from tests.support.api import ALICE, BOB, call

JOB = {"modelName": "My chorales", "dataset": {"tags": ["collection:bach-chorales"]}, "hyperparameters": {"epochs": 3}}
RUNNING = {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"}
ENTRY = {
    "epoch": 1,
    "generatorLoss": -1.5,
    "criticLoss": 0.25,
    "losses": {"generator": -1.5, "critic": 0.25},
    "metrics": {"similarity": 0.5, "chordBeats": 40.0},
    "seconds": 3.0,
}


def _midi(pitch: int) -> bytes:
    return write_midi(Score([Track([Note(0, pitch, 480, 90)], name="Melody"), Track([Note(0, 48, 480, 80)])]))


@pytest.fixture
def job(cloud, catalogue) -> dict:
    reply = call("POST", "/training-jobs", body=JOB)
    assert reply.status == 202, reply.body
    store.move(ALICE, reply.json["id"], TrainingStatus.STARTING, {"sagemakerJobName": f"composer-{reply.json['id']}"})
    return reply.json


def _checkpoints(cloud, job_id: str) -> str:
    return f"s3://{cloud.bucket}/{Keys.training_checkpoints(job_id)}"


def _sync(cloud, job_id: str, name: str, body: bytes) -> None:
    """What SageMaker's checkpoint sync does with a file of the training script's checkpoint dir."""
    boto3.client("s3").put_object(Bucket=cloud.bucket, Key=f"{Keys.training_checkpoints(job_id)}/{name}", Body=body)


def _progress(epoch: int, samples: list[dict]) -> bytes:
    history = [{**ENTRY, "epoch": e, "steps": 10 * e} for e in range(1, epoch + 1)]
    return json.dumps({"epoch": epoch, "epochs": 3, "history": history, "samples": samples}).encode()


def _sample(epoch: int) -> dict:
    return {"epoch": epoch, "file": f"samples/epoch-{epoch:04d}.mid", "createdAt": f"2026-12-01T10:0{epoch}:00+00:00"}


def test_each_epochs_sample_is_kept_listed_and_served_as_midi(cloud, job):
    job_id = job["id"]
    _sync(cloud, job_id, "samples/epoch-0001.mid", _midi(60))
    # epoch 2's sample is listed but not uploaded yet: a later poll picks it up
    _sync(cloud, job_id, "progress.json", _progress(2, [_sample(1), _sample(2)]))
    training_progress.record(ALICE, job_id, RUNNING, _checkpoints(cloud, job_id))

    listed = call("GET", f"/training-jobs/{job_id}/samples")
    assert listed.status == 200
    assert listed.json == {
        "items": [{"epoch": 1, "createdAt": "2026-12-01T10:01:00Z", "midi": f"/training-jobs/{job_id}/samples/1"}]
    }
    assert call("GET", f"/training-jobs/{job_id}/samples/2").status == 404

    _sync(cloud, job_id, "samples/epoch-0002.mid", _midi(64))
    training_progress.record(ALICE, job_id, RUNNING, _checkpoints(cloud, job_id))
    items = call("GET", f"/training-jobs/{job_id}/samples").json["items"]
    assert [i["epoch"] for i in items] == [1, 2]
    for item, pitch in zip(items, (60, 64), strict=True):
        midi = call("GET", item["midi"])
        assert midi.status == 200 and midi.headers["content-type"] == "audio/midi"
        assert read_midi(midi.body).score.tracks[0].notes[0].pitch == pitch  # each epoch its own file
    # the kept copy outlives the checkpoint prefix (scratch)
    kept = boto3.client("s3").get_object(Bucket=cloud.bucket, Key=Keys.training_sample(ALICE, job_id, 1))
    assert kept["Body"].read() == _midi(60)


def test_the_history_carries_the_losses_map_and_drops_only_unknown_keys(cloud, job):
    job_id = job["id"]
    _sync(cloud, job_id, "progress.json", _progress(2, []))
    training_progress.record(ALICE, job_id, RUNNING, _checkpoints(cloud, job_id))
    history = call("GET", f"/training-jobs/{job_id}").json["history"]
    assert [h["epoch"] for h in history] == [1, 2]  # the Transformer-style "steps" key did not drop them
    assert history[0]["losses"] == {"generator": -1.5, "critic": 0.25} and "steps" not in history[0]


def test_a_sample_outside_the_samples_folder_is_never_copied(cloud, job):
    job_id = job["id"]
    _sync(cloud, job_id, "model.tar.gz", b"secret")
    sneaky = {"epoch": 1, "file": "../../melodies/x.mid"}
    _sync(cloud, job_id, "progress.json", _progress(1, [sneaky, {"epoch": 2, "file": "model.tar.gz"}]))
    training_progress.record(ALICE, job_id, RUNNING, _checkpoints(cloud, job_id))
    assert call("GET", f"/training-jobs/{job_id}/samples").json == {"items": []}


@pytest.mark.parametrize("scale", [1, 2])
def test_the_chart_is_drawn_from_the_recorded_history(cloud, job, scale):
    job_id = job["id"]
    _sync(cloud, job_id, "progress.json", _progress(2, []))
    training_progress.record(ALICE, job_id, RUNNING, _checkpoints(cloud, job_id))
    reply = call("GET", f"/training-jobs/{job_id}/chart.png", query={"scale": str(scale)})
    assert reply.status == 200 and reply.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(reply.body))
    assert image.size[0] == 720 * scale and image.size[1] > 400 * scale  # similarity, 2 losses, 1 figure


def test_a_job_without_epochs_has_a_chart_and_no_samples(cloud, job):
    reply = call("GET", f"/training-jobs/{job['id']}/chart.png")
    assert reply.status == 200 and Image.open(io.BytesIO(reply.body)).size == (720, 160)
    assert call("GET", f"/training-jobs/{job['id']}/samples").json == {"items": []}


def test_a_scale_other_than_1_or_2_is_a_422_with_the_error_shape(cloud, job):
    reply = call("GET", f"/training-jobs/{job['id']}/chart.png", query={"scale": "3"})
    assert reply.status == 422 and set(reply.json["error"]) == {"code", "message"}


def test_another_users_job_is_404_on_every_view(cloud, job):
    job_id = job["id"]
    _sync(cloud, job_id, "samples/epoch-0001.mid", _midi(60))
    _sync(cloud, job_id, "progress.json", _progress(1, [_sample(1)]))
    training_progress.record(ALICE, job_id, RUNNING, _checkpoints(cloud, job_id))
    for path in ("chart.png", "samples", "samples/1"):
        reply = call("GET", f"/training-jobs/{job_id}/{path}", user=BOB)
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", path
        assert call("GET", f"/training-jobs/{job_id}/{path}").status == 200, path
