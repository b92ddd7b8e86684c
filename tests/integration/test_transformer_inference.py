"""The shipped ``transformer-folk`` through the SageMaker inference handlers, on real MIDI."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import pytest

from model.inference import input_fn, model_fn, output_fn, predict_fn
from model.transformer.compose import Extender
from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import sample_index
from shared.music.score import Note, Score, Track, tempo_us_from_bpm

SHIPPED = Path(__file__).resolve().parents[2] / "model" / "pretrained" / "transformer-folk"


@pytest.fixture(scope="module")
def model() -> Extender:
    return model_fn(str(SHIPPED))


def _compose(model: Extender, midi: bytes, seed: int = 0, **parameters) -> tuple[dict, Score]:
    body = json.dumps({"midi": base64.b64encode(midi).decode(), "seed": seed, "parameters": parameters})
    result = json.loads(output_fn(predict_fn(input_fn(body, "application/json"), model), "application/json"))
    return result, read_midi(base64.b64decode(result["midi"])).score


def test_model_fn_loads_the_transformer_by_its_type(model) -> None:
    assert isinstance(model, Extender) and model.network.parameter_count() > 500_000


@pytest.mark.parametrize("sample", ["sample-deck-the-halls", "sample-we-wish-you"])
def test_a_built_in_sample_comes_back_exactly_then_extended_in_its_tempo_and_meter(model, sample) -> None:
    melody = sample_index()[sample].score()
    result, score = _compose(model, write_midi(melody), extensionSeconds=12)
    given = read_midi(write_midi(melody)).score.tracks[0].notes
    notes = score.tracks[0].notes
    assert notes[: len(given)] == given
    added = notes[len(given) :]
    assert len(added) >= 4 and all(n.start >= given[-1].end for n in added)
    ticks_per_second = melody.ticks_per_beat * 1e6 / melody.tempo_us
    target_bars = math.ceil((given[-1].end + 12 * ticks_per_second) / melody.ticks_per_bar)
    assert max(n.end for n in added) <= target_bars * melody.ticks_per_bar
    assert result["bars"] in (target_bars - 1, target_bars)  # the last bar may end in a rest
    assert score.tempo_us == melody.tempo_us and score.time_signature == melody.time_signature
    assert result["metrics"]["addedNotes"] == len(added) and result["tracks"][0]["noteCount"] == len(notes)


def test_an_uploaded_six_eight_midi_at_another_tempo_is_extended_in_six_eight(model) -> None:
    """A jig-like phrase in 6/8 at 100 bpm, written as a MIDI file from outside (240 ticks a beat)."""
    eighth = 120
    phrase = [67, 69, 71, 72, 71, 69, 67, 64, 62, 64, 67, 67, 69, 71, 72, 74, 72, 71, 69, 67, 69, 67, 64, 62]
    notes = [Note(i * eighth, p, eighth, 90) for i, p in enumerate(phrase)]
    melody = Score(
        tracks=[Track(notes=notes)], ticks_per_beat=240, tempo_us=tempo_us_from_bpm(100), time_signature=(6, 8)
    )
    result, score = _compose(model, write_midi(melody), seed=2, extensionSeconds=8)
    added = score.tracks[0].notes[len(notes) :]
    assert score.time_signature == (6, 8) and score.ticks_per_beat == 240
    bar = score.ticks_per_bar
    assert score.end_tick % bar == 0 or max(n.end for n in added) <= math.ceil(score.end_tick / bar) * bar
    onsets_on_eighths = sum(n.start % eighth == 0 for n in added) / len(added)
    assert onsets_on_eighths > 0.7  # a 6/8 tune moves in 8ths; a model that lost the meter would not


def test_the_continuation_stays_in_the_key_of_the_input(model) -> None:
    """Ode to Joy is in C major: most added notes are too, for every seed."""
    melody = sample_index()["sample-ode-to-joy"].score()
    for seed in range(3):
        result, _ = _compose(model, write_midi(melody), seed=seed, extensionSeconds=20)
        assert result["metrics"]["inKey"] >= 0.8, result["metrics"]
