"""A tiny Transformer trained for a few seconds through ``run``, then asked to extend real melodies.

The checks are on behaviour a broken model path would get wrong: the input comes back exactly, the
continuation ends on the first bar line at least ``extensionSeconds`` after the input, each
parameter changes the output the way its name says, and a seed repeats its output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from model.sagemaker import PROGRESS_FILE, Environment, TrainingInputError
from model.transformer import corpus as C
from model.transformer.compose import load
from model.transformer.training import run
from shared.errors import InvalidInput
from shared.model_types.spec import InvalidParameters
from shared.music.midi_codec import read_midi
from shared.music.samples import sample_index

BOOK = "oneills1850/0001-0050.abc"  # 50 real tunes: a few seconds to parse, cached after
TINY = {"epochs": 2, "dModel": 32, "layers": 2, "heads": 4, "context": 128, "batchSize": 8, "learningRate": 3e-3}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict, list[str]]:
    root = tmp_path_factory.mktemp("transformer")
    tunes = C.load_or_parse_file(BOOK)
    tunes = [t for t in tunes if "skip" not in t]
    channel = root / "channel"
    C.write_channel(channel, ["oneills-1850"], tunes[:-6], tunes[-6:])
    env = Environment.under(root)
    env.channel = channel
    lines: list[str] = []
    model_json = run(TINY, env, lines.append)
    return root, model_json, lines


def test_training_reports_each_epoch_and_leaves_a_model(trained) -> None:
    root, model_json, lines = trained
    epochs = [line for line in lines if line.startswith("epoch=")]
    assert [line.split()[0] for line in epochs] == ["epoch=1/2", "epoch=2/2"]
    progress = json.loads((root / "checkpoints" / PROGRESS_FILE).read_text())
    history = progress["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["losses"]["train"] < history[0]["losses"]["train"]  # it learns something in two epochs
    assert all(math.isfinite(h["losses"]["heldOut"]) and "inKey" in h["metrics"] for h in history)
    # each epoch's sample: the same held-out prompt, then the network's continuation of it
    assert [s["epoch"] for s in progress["samples"]] == [1, 2]
    scores = [read_midi((root / "checkpoints" / s["file"]).read_bytes()).score for s in progress["samples"]]
    assert [t.name for t in scores[0].tracks] == ["Prompt (held out)", "Continuation"]
    assert scores[0].tracks[0].notes == scores[1].tracks[0].notes and all(s.tracks[1].notes for s in scores)
    assert min(n.start for n in scores[0].tracks[1].notes) >= max(n.start for n in scores[0].tracks[0].notes)
    assert model_json["type"] == "transformer" and model_json["dataset"]["heldOutTunes"] == 6
    assert (root / "model" / "transformer.pt").exists()


def test_a_rerun_resumes_from_the_checkpoint(trained) -> None:
    root, _, _ = trained
    env = Environment.under(root)
    env.model_dir, env.channel = root / "model2", root / "channel"
    lines: list[str] = []
    run(TINY, env, lines.append)
    assert lines[0].startswith("resuming from checkpoint after epoch 2") and not any("epoch=" in x for x in lines)


def test_bad_hyperparameters_and_collections_are_refused_with_the_reason(trained) -> None:
    root, _, _ = trained
    env = Environment.under(root / "refused")
    with pytest.raises(TrainingInputError, match="multiple of heads"):
        run({"dModel": 30, "heads": 4}, env)
    with pytest.raises(TrainingInputError, match="Unknown melody collection"):
        run({"dataset_tags": "collection:polkas"}, env)


@pytest.fixture(scope="module")
def extender(trained):
    root, _, _ = trained
    return load(root / "model")


def _extend(extender, melody, seed=0, **parameters):
    result = extender.compose(melody, seed, parameters)
    return result, read_midi(result["midi"]).score


@pytest.mark.parametrize("sample", ["sample-ode-to-joy", "sample-new-world-largo"])
def test_the_output_is_the_input_exactly_then_a_continuation_to_the_bar_line(extender, sample) -> None:
    melody = sample_index()[sample].score()
    result, score = _extend(extender, melody, extensionSeconds=10)
    notes = score.tracks[0].notes
    given = melody.tracks[0].notes
    assert len(score.tracks) == 1 and result["tracks"][0]["noteCount"] == len(notes)
    assert [(n.start, n.pitch, n.duration) for n in notes[: len(given)]] == [
        (n.start, n.pitch, n.duration) for n in given
    ]
    added = notes[len(given) :]
    assert added and all(n.start >= given[-1].end for n in added)
    ticks_per_second = melody.ticks_per_beat * 1_000_000 / melody.tempo_us
    bar = melody.ticks_per_bar
    target = math.ceil((given[-1].end + 10 * ticks_per_second) / bar) * bar
    assert max(n.end for n in added) <= target and score.bars == target // bar
    assert score.tempo_us == melody.tempo_us and score.time_signature == melody.time_signature


def test_extension_seconds_sets_the_length_to_the_bar(extender) -> None:
    melody = sample_index()["sample-ode-to-joy"].score()
    ticks_per_second = melody.ticks_per_beat * 1_000_000 / melody.tempo_us
    end = max(n.end for n in melody.tracks[0].notes)
    for seconds in (2, 12, 30):
        result, _ = _extend(extender, melody, extensionSeconds=seconds)
        expected = math.ceil((end + seconds * ticks_per_second) / melody.ticks_per_bar)
        assert result["bars"] == expected or result["metrics"]["addedNotes"] == 0


def test_a_seed_repeats_its_output_and_another_seed_does_not(extender) -> None:
    melody = sample_index()["sample-twinkle-twinkle"].score()
    first, _ = _extend(extender, melody, seed=3)
    again, _ = _extend(extender, melody, seed=3)
    other, _ = _extend(extender, melody, seed=4)
    assert first["midi"] == again["midi"] and first["midi"] != other["midi"]


def test_temperature_and_threshold_change_the_entropy_of_the_output(extender) -> None:
    melody = sample_index()["sample-ode-to-joy"].score()

    def entropy(**parameters) -> float:
        return sum(
            _extend(extender, melody, seed=s, extensionSeconds=20, **parameters)[0]["metrics"]["entropy"]
            for s in range(3)
        )

    assert (
        entropy(samplingTechnique="random", temperature=0.1)
        < entropy(samplingTechnique="random", temperature=3.0) - 0.5
    )
    assert entropy(samplingTechnique="topK", threshold=1) == 0
    assert entropy(samplingTechnique="topK", threshold=3) < entropy(samplingTechnique="topK", threshold=60)
    assert entropy(samplingTechnique="nucleus", threshold=0.3) < entropy(samplingTechnique="nucleus", threshold=1.0)


def test_input_seconds_sets_what_conditions_the_continuation(extender) -> None:
    melody = sample_index()["sample-ode-to-joy"].score()
    whole, _ = _extend(extender, melody, seed=1)
    last_two, _ = _extend(extender, melody, seed=1, inputSeconds=2)
    assert last_two["metrics"]["conditionedNotes"] < whole["metrics"]["conditionedNotes"]
    assert whole["metrics"]["conditionedNotes"] == len(melody.tracks[0].notes)
    assert last_two["midi"] != whole["midi"]  # same seed, less context: another continuation


def test_bad_parameters_and_meters_are_refused_with_what_to_change(extender) -> None:
    melody = sample_index()["sample-ode-to-joy"].score()
    with pytest.raises(InvalidParameters, match="temperature"):
        extender.compose(melody, 0, {"temperature": 0})
    with pytest.raises(InvalidParameters, match="threshold"):
        extender.compose(melody, 0, {"samplingTechnique": "nucleus", "threshold": 5})
    melody.time_signature = (7, 32)
    with pytest.raises(InvalidInput, match="7/32"):
        extender.compose(melody, 0, {})
