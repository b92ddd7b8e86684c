"""The corpus reader before and after, piece by piece, in one run: music21's route (``corpus.parse``
then ``stripTies`` on every part, the reader this project had) beside ``model.data.corpus.parse_piece``
(the file read straight from the corpus folder, ties merged in one pass). Both sides are timed in the
same warm process, alternated, and their notes compared.

Why the old route was slow (cProfile of ``beethoven/opus18no1/movement1.krn``, 50 s): 27 s in
``stripTies``, which re-sorts the part for every tied note (quadratic in the part's length), and 0.3-0.5 s in the first
``corpus.parse`` of a process scanning the whole corpus listing to resolve the path.

    python -m benchmarks.bench_corpus_reader [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from model.data.corpus import _named_voices, parse_piece, pick_voices, tune_of
from model.data.styles import STYLES, style_of
from shared.music.pianoroll import STEPS_PER_BEAT

PIECES = (
    "bach/bwv66.6.mxl",
    "palestrina/Agnus_01.krn",
    "palestrina/Credo_00.krn",
    "monteverdi/madrigal.3.1.mxl",
    "trecento/PMFC_04-Cara mi donna.xml",
    "haydn/opus1no1/movement1.mxl",
    "beethoven/opus18no1/movement1.krn",
    "beethoven/opus18no1/movement3.mxl",
)


def old_route(path: str) -> list[list[tuple[int, int, int]]]:
    """The reader before: ``corpus.parse``, ``stripTies(inPlace=True)`` per part, then the notes."""
    from music21 import corpus

    score = corpus.parse(path, forceSource=True)
    if hasattr(score, "scores"):
        score = score.scores[0]
    parts = list(score.parts)
    measure = parts[0].getElementsByClass("Measure").first()
    padding = float(getattr(measure, "paddingLeft", 0.0) or 0.0) if measure is not None else 0.0
    named = _named_voices([str(part.partName or part.id or "") for part in parts])
    voices = []
    for part in parts:
        notes = []
        part.stripTies(inPlace=True)
        for element in part.flatten().notes:
            pitches = [p.midi for p in element.pitches]
            start = round((float(element.offset) + padding) * STEPS_PER_BEAT)
            end = round((float(element.offset) + padding + float(element.quarterLength)) * STEPS_PER_BEAT)
            if pitches and end > start:
                notes.append((start, max(pitches), end - start))
        voices.append(sorted(notes))
    if named is not None:
        return [voices[i] for i in named]
    return pick_voices([v for v in voices if v], STYLES[style_of(path)].silent_track)


def measure(paths: tuple[str, ...] = PIECES) -> list[dict[str, Any]]:
    parse_piece(PIECES[0])  # imports and music21's first-call set-up, on neither side's clock
    old_route(PIECES[0])
    rows = []
    for path in paths:
        started = time.perf_counter()
        before = old_route(path)
        old_seconds = time.perf_counter() - started
        started = time.perf_counter()
        after = parse_piece(path)
        new_seconds = time.perf_counter() - started
        same = [tuple(map(tuple, v)) for v in after["voices"]] == [tuple(v) for v in before]
        rows.append(
            {
                "piece": path,
                "beforeSeconds": round(old_seconds, 2),
                "afterSeconds": round(new_seconds, 2),
                "speedup": round(old_seconds / new_seconds, 1),
                "sameNotes": same,
                "sameTune": tune_of(after["voices"][0]) == tune_of(before[0]),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_corpus_reader")
    parser.parse_args(argv)
    rows = measure()
    print(f"{'piece':<40} {'before s':>9} {'after s':>8} {'speedup':>8}  same notes")
    for row in rows:
        print(
            f"{row['piece']:<40} {row['beforeSeconds']:>9.2f} {row['afterSeconds']:>8.2f} "
            f"{row['speedup']:>7.1f}x  {row['sameNotes']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
