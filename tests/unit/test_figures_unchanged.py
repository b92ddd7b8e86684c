"""The figures, the composition metrics and the MIDI of real and generated rolls, held to the values
the plain (unvectorised) implementation computed for them.

``tests/data/figures_unchanged.json`` was written by ``python -m tests.unit.test_figures_unchanged``
at commit cf9c60f, before ``model/figures.py``, ``model/quality.py`` and the MIDI writer were made
fast: 12 real held-out 8-bar Bach segments, the shipped model's accompaniment of 8 of them (seed 0),
the rule baseline of 4 and 4 seeded random rolls (several pitches per track and step, rests,
crossings, leaps), each stored as exact runs of sounding cells, with each roll's ``roll_counts``,
its ``composition_metrics`` against the shipped model's reference of that commit (stored too), its
voices, the SHA-256 of its four tracks written as MIDI, and the pooled summary with a bootstrap.
A faster implementation must give the same numbers, to the last bit, and the same bytes. Beside
the fixture, random rolls are compared with the previous implementation itself, kept for the
benchmark in ``benchmarks/previous_compose_path.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import previous_compose_path as previous
from model import figures as F
from model import quality as Q
from shared.music.midi_codec import write_midi
from shared.music.pianoroll import ONSET, roll_to_notes, roll_to_score

FIXTURE = Path(__file__).parents[1] / "data" / "figures_unchanged.json"
TRACK_NAMES = ["Soprano", "Alto", "Tenor", "Bass"]
PROGRAMS = [52, 52, 52, 52]


def runs_of(roll: np.ndarray) -> list[list[int]]:
    """Every run of sounding cells as ``[track, pitch, start, stop]``: the roll, exactly."""
    runs = []
    for track in range(roll.shape[2]):
        padded = np.pad(roll[:, :, track].astype(np.int8), ((1, 1), (0, 0)))
        change = np.diff(padded, axis=0)
        for pitch in range(roll.shape[1]):
            starts = np.flatnonzero(change[:, pitch] == 1)
            stops = np.flatnonzero(change[:, pitch] == -1)
            runs.extend([track, pitch, int(a), int(b)] for a, b in zip(starts, stops, strict=True))
    return runs


def roll_of(case: dict[str, Any]) -> np.ndarray:
    roll = np.zeros((case["steps"], 128, 4), dtype=bool)
    for track, pitch, start, stop in case["runs"]:
        roll[start:stop, pitch, track] = True
    return roll


def midi_digest(roll: np.ndarray) -> str:
    score = roll_to_score(roll, names=TRACK_NAMES, programs=PROGRAMS, velocity=80)
    return hashlib.sha256(write_midi(score)).hexdigest()


def plain(value: Any) -> Any:
    """JSON's view of a value (tuples as lists, numpy arrays and scalars as Python numbers)."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist()))


def observed(roll: np.ndarray, reference: dict[str, Any]) -> dict[str, Any]:
    return {
        "voices": plain(F.voices_from_roll(roll)),
        "counts": plain(Q.roll_counts(roll)),
        "metrics": Q.composition_metrics(roll, reference),
        "midi": midi_digest(roll),
    }


def random_roll(rng: np.random.Generator, steps: int = 64, rests: float = 0.15) -> np.ndarray:
    """Sparse random notes in and around the SATB ranges: chords inside a track, rests, leaps."""
    roll = np.zeros((steps, 128, 4), dtype=bool)
    for track, (low, high) in enumerate(((55, 84), (50, 76), (42, 70), (30, 62))):
        t = 0
        while t < steps:
            length = int(rng.choice([1, 1, 2, 2, 3, 4, 6, 8]))
            if rng.random() < 1 - rests:
                roll[t : t + length, int(rng.integers(low, high)), track] = True
                if rng.random() < 0.15:
                    roll[t : t + length, int(rng.integers(low, high)), track] = True
            t += length
    return roll


CASES = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {"cases": [], "reference": {}}


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_each_roll_gives_the_same_voices_counts_metrics_and_midi(case):
    got = observed(roll_of(case), CASES["reference"])
    assert got["voices"] == case["voices"]
    assert got["counts"] == case["counts"]
    assert got["metrics"] == case["metrics"]
    assert got["midi"] == case["midi"]


def test_the_pooled_summary_with_its_bootstrap_is_the_same():
    rolls = [roll_of(case) for case in CASES["cases"]]
    assert len(rolls) >= 20
    assert plain(Q.summarise(rolls, bootstrap=50, seed=3)) == CASES["summary"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 80), rests=st.sampled_from([0.0, 0.15, 0.6, 1.0]))
def test_random_rolls_give_what_the_previous_implementation_gives(seed, steps, rests):
    rng = np.random.default_rng(seed)
    roll = random_roll(rng, steps, rests)
    assert F.voices_from_roll(roll) == previous.voices_from_roll(roll)
    assert plain(Q.roll_counts(roll)) == plain(previous.roll_counts(roll))
    coded = roll.astype(np.uint8) * 2
    coded[rng.random(roll.shape) < 0.2] = ONSET  # repeated notes inside runs, and onsets of their own
    coded[~roll] = 0
    for track in range(4):
        for one in (roll[:, :, track], coded[:, :, track]):
            for ticks_per_beat in (480, 3, 96):
                assert roll_to_notes(one, ticks_per_beat, 70) == previous.roll_to_notes(one, ticks_per_beat, 70)
    score = roll_to_score(coded, names=TRACK_NAMES, programs=PROGRAMS)
    assert write_midi(score) == previous.write_midi(score)


def write_fixture() -> None:
    """Compute the fixture with the implementation checked out now (see the module docstring)."""
    import torch

    from model.config import ModelConfig
    from model.data import build, four_four, parse_tags
    from model.evaluate import DEFAULT_MODEL_DIR, rule_baseline
    from model.gan.compose import Composer, composed_rolls

    torch.set_num_threads(1)
    config = ModelConfig.load(DEFAULT_MODEL_DIR)
    reference = {k: v for k, v in config.reference.items() if k != "heldOut"}
    dataset = build(parse_tags(config.settings.get("dataset", {}).get("tags")))
    held = [(p, r) for p, r, h in zip(dataset.paths, dataset.rolls, dataset.held_out, strict=True) if h]
    segments, _ = Q.segments(four_four([p for p, _ in held], [r for _, r in held]))
    real = [np.asarray(s) > 0 for s in segments[:: max(1, len(segments) // 12)][:12]]
    generated = composed_rolls(Composer.load(DEFAULT_MODEL_DIR, config), real[:8], seed=0)
    baseline = [np.asarray(r) > 0 for r in rule_baseline(real[:4])]
    rng = np.random.default_rng(13)
    named = (
        [(f"real-{i}", r) for i, r in enumerate(real)]
        + [(f"model-{i}", r) for i, r in enumerate(generated)]
        + [(f"baseline-{i}", r) for i, r in enumerate(baseline)]
        + [(f"random-{i}", random_roll(rng)) for i in range(4)]
    )
    cases = [
        {"name": name, "steps": int(roll.shape[0]), "runs": runs_of(roll), **observed(roll, reference)}
        for name, roll in named
    ]
    summary = plain(Q.summarise([roll for _, roll in named], bootstrap=50, seed=3))
    FIXTURE.write_text(
        json.dumps({"reference": reference, "cases": cases, "summary": summary}, separators=(",", ":")) + "\n"
    )


if __name__ == "__main__":
    write_fixture()
    sys.exit(0)
