"""The CLI's ``samples`` and ``chart`` commands over real HTTP (the local API server in front of the
real handler, on moto): where each epoch's sample is, one downloaded as MIDI, the chart saved."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import boto3
import pytest
from PIL import Image
from typer.testing import CliRunner

from lambdas.api.handler import lambda_handler
from local.api_server import ApiServer
from local.cli import app
from shared.logic import training_progress
from shared.music.midi_codec import read_midi, write_midi
from shared.music.score import Note, Score, Track
from shared.resources import Keys
from shared.statuses import TrainingStatus
from shared.store import training_jobs as store
from tests.support.api import ALICE, BOB, call, gateway_router

ENTRY = {"epoch": 1, "losses": {"generator": -1.5, "critic": 0.25}, "metrics": {"similarity": 0.5}, "seconds": 3.0}


@pytest.fixture
def job_with_a_sample(cloud, catalogue) -> Iterator[tuple[str, str]]:
    job = call("POST", "/training-jobs", body={"modelName": "m", "dataset": {"tags": ["collection:bach-chorales"]}})
    job_id = job.json["id"]
    store.move(ALICE, job_id, TrainingStatus.STARTING, {"sagemakerJobName": f"composer-{job_id}"})
    prefix = Keys.training_checkpoints(job_id)
    s3 = boto3.client("s3")
    midi = write_midi(Score([Track([Note(0, 67, 480, 90)], name="Melody")]))
    s3.put_object(Bucket=cloud.bucket, Key=f"{prefix}/samples/epoch-0001.mid", Body=midi)
    progress = {
        "epoch": 1,
        "epochs": 2,
        "history": [ENTRY],
        "samples": [{"epoch": 1, "file": "samples/epoch-0001.mid"}],
    }
    s3.put_object(Bucket=cloud.bucket, Key=f"{prefix}/progress.json", Body=json.dumps(progress).encode())
    running = {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"}
    training_progress.record(ALICE, job_id, running, f"s3://{cloud.bucket}/{prefix}")
    with ApiServer(lambda_handler, port=0, router=gateway_router) as server:
        yield server.url, job_id


def composer(url: str, *args: str, user: str = ALICE):
    return CliRunner().invoke(app, ["--api-url", url, "--user", user, *args], catch_exceptions=False)


def test_samples_lists_where_each_epochs_sample_is_and_downloads_one(job_with_a_sample, tmp_path):
    url, job_id = job_with_a_sample
    listed = composer(url, "samples", job_id)
    assert listed.exit_code == 0, listed.output
    assert f"epoch 1: {url}/training-jobs/{job_id}/samples/1" in listed.output
    out = tmp_path / "one.mid"
    got = composer(url, "samples", job_id, "--epoch", "1", "--out", str(out))
    assert got.exit_code == 0, got.output
    assert read_midi(out.read_bytes()).score.tracks[0].notes[0].pitch == 67
    missing = composer(url, "samples", job_id, "--epoch", "2", "--out", str(tmp_path / "two.mid"))
    assert missing.exit_code == 1 and "404" in missing.output and not (tmp_path / "two.mid").exists()
    assert composer(url, "samples", job_id, user=BOB).exit_code == 1


def test_chart_saves_the_picture_at_the_scale_asked(job_with_a_sample, tmp_path):
    url, job_id = job_with_a_sample
    out = tmp_path / "chart.png"
    saved = composer(url, "chart", job_id, "--out", str(out), "--scale", "2")
    assert saved.exit_code == 0, saved.output
    assert Image.open(io.BytesIO(out.read_bytes())).size[0] == 1440
