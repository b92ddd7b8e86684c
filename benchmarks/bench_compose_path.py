"""The compose path outside the decoder, before and after it was made fast, alternated in one run.

``python -m benchmarks.bench_compose_path [--runs 30]`` times, on the 8-bar ``sample-ode-to-joy``
and the shipped ``bach-chorales`` model (torch 1 thread, as ``model_fn`` sets it):

- the full ``Composer.compose`` (generator, decoding, MIDI, figures) with the current code and with
  the previous figures, roll decoding and MIDI writing (``benchmarks/previous_compose_path.py``),
  the two alternated run by run so that the drift of a shared machine falls on both;
- the parts on their own, each median of ``runs``: the generator (``Composer.probabilities``), the
  rest of ``compose_rolls`` (the decoder and putting the roll together), the accompaniment's roll
  to notes, the composition's figures (``composition_metrics``), the MIDI (``composition_result``),
  old and new side by side where they changed.

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks import previous_compose_path as previous


def _ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _alternated(new: Callable[[int], Any], old: Callable[[int], Any], runs: int) -> tuple[float, float]:
    """Medians of ``new`` and ``old``, run in turns (which goes first alternates too)."""
    times: dict[str, list[float]] = {"new": [], "old": []}
    for i in range(runs):
        order = (("new", new), ("old", old)) if i % 2 == 0 else (("old", old), ("new", new))
        for label, fn in order:
            times[label].append(_ms(lambda fn=fn, i=i: fn(i)))
    return statistics.median(times["new"]), statistics.median(times["old"])


def bench_compose_path(runs: int = 30) -> dict[str, Any]:
    """Median milliseconds of the compose path and its parts, current vs previous code."""
    from model.evaluate import DEFAULT_MODEL_DIR
    from model.inference import model_fn
    from model.output import composition_result
    from model.quality import composition_metrics
    from shared.music.pianoroll import binarise, notes_to_roll, roll_to_notes
    from shared.music.samples import sample_index

    composer = model_fn(str(DEFAULT_MODEL_DIR))
    melody = sample_index()["sample-ode-to-joy"].score()
    reference = composer.config.reference
    melody_roll = binarise(notes_to_roll(melody.tracks[0].notes, melody.ticks_per_beat))
    for seed in range(3):  # warm-up: allocator, kernels, caches
        composer.compose(melody, seed)
        with previous.previous_compose():
            composer.compose(melody, seed)
    composition = composer.compose_score(melody, 0)
    accompaniment = composition.roll[:, :, 1:]
    tpb = melody.ticks_per_beat

    def compose_old(seed: int) -> Any:
        with previous.previous_compose():
            return composer.compose(melody, seed)

    compose_new, compose_prev = _alternated(lambda s: composer.compose(melody, s), compose_old, runs)
    generator = statistics.median(_ms(lambda s=s: composer.probabilities([melody_roll], s)) for s in range(runs))
    rolls = statistics.median(_ms(lambda s=s: composer.compose_rolls([melody_roll], s)) for s in range(runs))
    notes_new, notes_old = _alternated(
        lambda _: [roll_to_notes(accompaniment[:, :, i], tpb, 80) for i in range(3)],
        lambda _: [previous.roll_to_notes(accompaniment[:, :, i], tpb, 80) for i in range(3)],
        runs,
    )
    figures_new, figures_old = _alternated(
        lambda _: composition_metrics(composition.roll, reference),
        lambda _: previous.composition_metrics(composition.roll, reference),
        runs,
    )
    midi_new, midi_old = _alternated(
        lambda _: composition_result(melody, composition.score, 0, composition.metrics),
        lambda _: previous.composition_result(melody, composition.score, 0, composition.metrics),
        runs,
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, CPython {platform.python_version()}",
        "loadAverage": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "composeMs": round(compose_new, 2),
        "composePreviousMs": round(compose_prev, 2),
        "composeSpeedup": round(compose_prev / compose_new, 2),
        "generatorMs": round(generator, 2),
        "decodingAndRollMs": round(rolls - generator, 2),
        "rollToNotesMs": round(notes_new, 2),
        "rollToNotesPreviousMs": round(notes_old, 2),
        "figuresMs": round(figures_new, 2),
        "figuresPreviousMs": round(figures_old, 2),
        "midiMs": round(midi_new, 2),
        "midiPreviousMs": round(midi_old, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_compose_path", description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    result = bench_compose_path(parser.parse_args(argv).runs)
    for name, value in result.items():
        print(f"{name:<24}{value!s:>32}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
