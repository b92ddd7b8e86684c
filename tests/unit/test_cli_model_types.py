"""The CLI's model-type commands over real HTTP (the local API server in front of the real handler,
on moto): ``compose --param``, ``train --type/--hp``, ``models`` with type and knobs, ``model-types``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from local.cli import app, knobs_text, parse_assignments
from shared.model_types import spec_for
from tests.support.api import ALICE, BUILTIN_MODEL, serving_with_workers
from tests.support.model_types import HARMONIZER
from tests.unit.test_api_compositions import harmoniser


@pytest.fixture
def api(typed_models) -> Iterator[tuple[str, object]]:
    cloud = typed_models
    cloud.endpoint.answer = harmoniser
    with serving_with_workers(cloud) as url:
        yield url, cloud


def composer(url: str, *args: str):
    return CliRunner().invoke(app, ["--api-url", url, "--user", ALICE, *args], catch_exceptions=False)


def test_parse_assignments_reads_numbers_and_words():
    assert parse_assignments(["mode=harmonize", "temperature=0.8", "maxNotesAdded=60"], "--param") == {
        "mode": "harmonize",
        "temperature": 0.8,
        "maxNotesAdded": 60,
    }
    with pytest.raises(Exception, match="not name=value"):
        parse_assignments(["temperature"], "--param")


def test_knobs_text_shows_defaults_and_conditional_ranges():
    text = knobs_text(spec_for("transformer").parameter_schema())
    assert "threshold=20 (topK: 1-128; nucleus: 0.1-1; random: n/a)" in text
    assert "extensionSeconds=20.0 (1-30)" in text
    assert knobs_text(spec_for("gan").parameter_schema()) == "-"


def test_compose_with_params_sends_them_and_shows_the_resolved_ones(api, tmp_path):
    url, cloud = api
    out = tmp_path / "song.mid"
    result = composer(
        url, "compose", "sample-ode-to-joy", "--model", HARMONIZER, "--param", "temperature=0.5", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "mode=harmonize" in result.output and "temperature=0.5" in result.output
    assert json.loads(cloud.endpoint.calls[0]["Body"])["parameters"] == {
        "mode": "harmonize",
        "samplingIterations": 100,
        "temperature": 0.5,
    }
    assert out.read_bytes()[:4] == b"MThd"


def test_compose_with_a_bad_param_says_what_to_change(api, tmp_path):
    url, cloud = api
    result = composer(url, "compose", "sample-ode-to-joy", "--model", HARMONIZER, "-p", "maxNotesAdded=60")
    assert result.exit_code == 1
    assert "INVALID_PARAMETERS" in result.output and "maxNotesAdded does not apply" in result.output
    assert cloud.endpoint.calls == []


def test_models_and_model_types_show_types_and_knobs(api, monkeypatch):
    from local import cli

    monkeypatch.setattr(cli.console, "width", 240)  # a wide terminal: nothing folded
    url, _ = api
    listed = composer(url, "models")
    assert listed.exit_code == 0, listed.output
    assert BUILTIN_MODEL in listed.output and "ar-cnn" in listed.output and "mode=harmonize" in listed.output
    types = composer(url, "model-types")
    assert types.exit_code == 0, types.output
    for word in ("gan", "ar-cnn", "transformer", "samplingTechnique", "dModel", "updateRatio"):
        assert word in types.output


def test_train_with_a_type_and_its_hyperparameters(api, catalogue):
    url, _ = api
    started = composer(
        url, "train", "--type", "transformer", "-n", "folk", "--tags", "collection:bach-chorales", "--hp", "layers=2"
    )
    assert started.exit_code == 0, started.output
    assert "transformer training job" in started.output
    jobs = CliRunner().invoke(app, ["--api-url", url, "--user", ALICE, "jobs"])
    assert "folk" in jobs.output
    bad = composer(
        url, "train", "--type", "transformer", "-n", "x", "--tags", "collection:bach-chorales", "--hp", "layers=40"
    )
    assert bad.exit_code == 1 and "hyperparameters.layers" in bad.output


def test_train_prints_the_estimate_and_sends_the_types_own_epochs(api, catalogue, monkeypatch):
    from local import cli

    monkeypatch.setattr(cli.console, "width", 240)  # a wide terminal: nothing folded
    url, _ = api
    started = composer(url, "train", "-n", "mine", "--tags", "key:e-major")
    assert started.exit_code == 0, started.output
    assert "Estimated time: about" in started.output and "13 training pieces, 2 held out" in started.output
    assert f"{spec_for('gan').validate_hyperparameters({}).to_wire()['epochs']} epochs" in started.output
    listed = CliRunner().invoke(app, ["--api-url", url, "--user", ALICE, "jobs"])
    assert " min " in listed.output or " s " in listed.output
    datasets = CliRunner().invoke(app, ["--api-url", url, "--user", ALICE, "datasets"])
    assert "training windows" in datasets.output and "bach-chorales" in datasets.output
