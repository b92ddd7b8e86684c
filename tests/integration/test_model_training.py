"""The SageMaker training entry end to end, as a subprocess with the SM_* environment."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import numpy as np
import pytest
import torch
from PIL import Image

from model import data as D
from model.inference import input_fn, model_fn, output_fn, predict_fn
from shared.logic import chart, training_progress
from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import sample_index
from shared.resources import Keys
from shared.schemas import EpochMetrics
from shared.statuses import TrainingStatus
from shared.store import training_jobs as job_store
from tests.support.api import ALICE, BOB, call

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^epoch=(\d+)/(\d+) generator_loss=(\S+) critic_loss=(\S+) similarity=([0-9.]+) "
    r"chord_beats=([0-9.]+|nan) parallels=([0-9.]+|nan) bass_steps=([0-9.]+|nan)$"
)
# the regexes a MetricDefinitions list would use
METRIC_REGEXES = {
    "generator_loss": r"generator_loss=(-?[0-9.]+)",
    "similarity": r"similarity=([0-9.]+)",
    "chord_beats": r"chord_beats=([0-9.]+)",
}
TINY = {
    "epochs": "2",
    "max_windows": "64",
    "batch_size": "16",
    "width": "4",
    "start_from": "scratch",
    "update_ratio": "2",
    "seed": "3",
    "learning_rate": "0.002",
    "sagemaker_program": "train.py",
}
SAMPLE_1, SAMPLE_2 = "samples/epoch-0001.mid", "samples/epoch-0002.mid"
PIECES = [
    "bach/bwv113.8.mxl",  # held out (model/data/held_out.txt)
    "bach/bwv66.6.mxl",
    "bach/bwv1.6.mxl",
    "bach/bwv10.7.mxl",
    "bach/bwv101.7.mxl",
    "bach/bwv102.7.mxl",
    "bach/bwv103.6.mxl",
    "bach/bwv104.6.mxl",
    "bach/bwv108.6.mxl",
]


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> Path:
    """A data-set channel of a few real chorales, with both training and held-out pieces."""
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get(D.CACHE_ENV):
            patch.setenv(D.CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        pieces = [D.load_or_parse(p) for p in PIECES]
    held_out = np.array([D.is_held_out(p) for p in PIECES])
    directory = tmp_path_factory.mktemp("channel")
    D.Dataset(PIECES, [D.piece_roll(p) for p in pieces], held_out, ["collection:bach-chorales"]).save(
        directory / "dataset.npz"
    )
    return directory


def run_training(
    tmp: Path, hps: dict, channel: Path | None, checkpoints: Path | None = None, as_script: bool = False
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SM_HPS": json.dumps(hps),
        "SM_MODEL_DIR": str(tmp / "model"),
        "SM_OUTPUT_DIR": str(tmp / "output"),
        "SM_OUTPUT_DATA_DIR": str(tmp / "output" / "data"),
        "SM_CHECKPOINT_DIR": str(checkpoints or tmp / "checkpoints"),
        "COMPOSER_TORCH_THREADS": "1",
    }
    env.pop("SM_CHANNEL_TRAINING", None)
    if channel is not None:
        env["SM_CHANNEL_TRAINING"] = str(channel)
    command = [sys.executable, "model/train.py"] if as_script else [sys.executable, "-m", "model.train"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def weights(model_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(model_dir / "generator.pt", weights_only=True)


def test_two_tiny_epochs_print_metrics_write_progress_and_artifacts(tmp_path, channel):
    result = run_training(tmp_path, TINY, channel, as_script=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("epoch=")]
    assert [LINE.match(line).group(1, 2) for line in lines] == [("1", "2"), ("2", "2")]
    for name, regex in METRIC_REGEXES.items():
        assert len(re.findall(regex, result.stdout)) == 2, name

    progress = json.loads((tmp_path / "checkpoints" / "progress.json").read_text())
    assert progress["epoch"] == 2 and progress["epochs"] == 2
    history = [EpochMetrics.model_validate(h) for h in progress["history"]]
    assert [h.epoch for h in history] == [1, 2]
    assert all(0 <= h.metrics["similarity"] <= 1 and h.seconds > 0 for h in history)
    assert float(LINE.match(lines[1]).group(5)) == pytest.approx(history[1].metrics["similarity"], abs=1e-4)
    # one sample per epoch, the same held-out melody each time, its accompaniment changing as it learns
    assert [(s["epoch"], s["file"]) for s in progress["samples"]] == [(1, SAMPLE_1), (2, SAMPLE_2)]
    samples = [read_midi((tmp_path / "checkpoints" / name).read_bytes()).score for name in (SAMPLE_1, SAMPLE_2)]
    assert all(len(s.tracks) == 4 for s in samples)
    assert samples[0].tracks[0].notes == samples[1].tracks[0].notes  # the same melody
    assert all(h.losses == {"generator": h.generator_loss, "critic": h.critic_loss} for h in history)

    model_json = json.loads((tmp_path / "model" / "model.json").read_text())
    assert model_json["type"] == "gan"
    assert model_json["width"] == 4 and model_json["hyperparameters"]["epochs"] == 2
    # the similarity reference is the real held-out music of this corpus, and says which pieces
    reference = model_json["reference"]
    assert reference["heldOut"] == ["bach/bwv113.8.mxl"]
    assert 50 < reference["figures"]["chord_beats_pct"] <= 100
    assert model_json["dataset"]["tags"] == ["collection:bach-chorales"]
    assert model_json["dataset"]["pieces"] == len(PIECES)
    assert (tmp_path / "output" / "data" / "metrics.json").exists()
    assert not (tmp_path / "output" / "failure").exists()

    model = model_fn(str(tmp_path / "model"))  # the artifacts serve compositions
    midi = write_midi(sample_index()["sample-ode-to-joy"].score())
    out = output_fn(predict_fn(input_fn(midi, "audio/midi"), model), "audio/midi")
    assert len(read_midi(out).score.tracks) == 4


def test_same_seed_same_model_and_a_stopped_job_resumes_to_the_same_model(tmp_path, channel):
    straight = run_training(tmp_path / "a", TINY, channel)
    assert straight.returncode == 0, straight.stderr
    first = run_training(tmp_path / "b", {**TINY, "epochs": "1"}, channel)
    assert first.returncode == 0, first.stderr
    resumed = run_training(tmp_path / "b", TINY, channel)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from checkpoint after epoch 1" in resumed.stdout
    assert [line.split()[0] for line in resumed.stdout.splitlines() if line.startswith("epoch=")] == ["epoch=2/2"]
    a, b = weights(tmp_path / "a" / "model"), weights(tmp_path / "b" / "model")
    assert all(torch.equal(a[k], b[k]) for k in a)
    history = json.loads((tmp_path / "b" / "checkpoints" / "progress.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    run_training(tmp_path / "c", {**TINY, "seed": "4"}, channel)
    c = weights(tmp_path / "c" / "model")
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize(
    "hps, reason",
    [
        ({"epochs": "0"}, "epochs"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"colour": "blue"}, "colour"),
        ({"dataset_tags": '["composer:nobody"]'}, "Unknown data-set tag"),
    ],
)
def test_bad_input_fails_with_a_reason_and_a_non_zero_exit(tmp_path, hps, reason):
    result = run_training(tmp_path, hps, None)
    assert result.returncode != 0
    failure = (tmp_path / "output" / "failure").read_text()
    assert reason in failure
    assert not (tmp_path / "model" / "generator.pt").exists()


def test_a_real_jobs_progress_gives_its_chart_and_samples_over_the_api(tmp_path, channel, cloud, catalogue):
    """The checkpoint dir of a real tiny run, synced to the bucket as SageMaker does, recorded by the
    progress function, then read back through the API: history with losses, chart, samples."""
    result = run_training(tmp_path, TINY, channel)
    assert result.returncode == 0, result.stderr
    job = call("POST", "/training-jobs", body={"modelName": "tiny", "dataset": {"tags": ["collection:bach-chorales"]}})
    assert job.status == 202, job.body
    job_id = job.json["id"]
    job_store.move(ALICE, job_id, TrainingStatus.STARTING, {"sagemakerJobName": f"composer-{job_id}"})
    prefix = Keys.training_checkpoints(job_id)
    s3 = boto3.client("s3")
    for path in (tmp_path / "checkpoints").rglob("*"):
        if path.is_file():
            relative = path.relative_to(tmp_path / "checkpoints").as_posix()
            s3.put_object(Bucket=cloud.bucket, Key=f"{prefix}/{relative}", Body=path.read_bytes())
    running = {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"}
    training_progress.record(ALICE, job_id, running, f"s3://{cloud.bucket}/{prefix}")

    polled = call("GET", f"/training-jobs/{job_id}").json
    history = [EpochMetrics.model_validate(h) for h in polled["history"]]
    assert [h.epoch for h in history] == [1, 2] and all(set(h.losses) == {"generator", "critic"} for h in history)

    reply = call("GET", f"/training-jobs/{job_id}/chart.png", query={"scale": "2"})
    assert reply.status == 200
    image = Image.open(io.BytesIO(reply.body)).convert("RGB")
    expected = chart.draw(history, polled["epochs"], "tiny (gan)", polled["status"], 2)
    assert image.size == expected.size
    assert [p.name for p in expected.panels][:3] == ["similarity", "generator", "critic"]
    for panel in expected.panels:
        assert panel.colour in {c for _, c in image.crop(panel.box).getcolors(1 << 20)}, panel.name

    items = call("GET", f"/training-jobs/{job_id}/samples").json["items"]
    assert [i["epoch"] for i in items] == [1, 2]
    for item in items:
        midi = call("GET", item["midi"])
        assert midi.status == 200 and len(read_midi(midi.body).score.tracks) == 4
    assert call("GET", items[0]["midi"], user=BOB).status == 404
