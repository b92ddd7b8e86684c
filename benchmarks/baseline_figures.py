"""Real held-out chorales beside the honest rule baseline on their sopranos.

Prints every figure for both with piece-bootstrap standard errors, the similarity index of the
baseline against the real pieces, the classifier two-sample test (baseline vs real, and the null
test real vs real), and the note names per beat of two segments, real above baseline. The last
line is one JSON object.

    python -m benchmarks.baseline_figures [--meter 4/4] [--segments 2]
"""

from __future__ import annotations

import argparse
import json
import time

from model import data as D
from model import figures as F
from model import rule_baseline as R
from model import two_sample as T


def held_out_chorales(meter: str | None) -> list[tuple[str, dict, F.Key]]:
    """(path, voices by part name, key) of the held-out chorales that have four named voices."""
    from music21 import corpus

    pieces = []
    for path in D.match(["collection:bach-chorales"]):
        if not D.is_held_out(path):
            continue
        score = corpus.parse(path)
        if hasattr(score, "scores"):
            score = score.scores[0]
        signatures = score.recurse().getElementsByClass("TimeSignature")
        if meter and (signatures.first() is None or signatures.first().ratioString != meter):
            continue
        try:
            voices, key = F.voices_from_score(score)
        except ValueError:
            continue
        pieces.append((path, voices, key))
    return pieces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline_figures", description=__doc__.split("\n")[0])
    parser.add_argument("--meter", default="4/4", help="only pieces in this time signature ('' for all)")
    parser.add_argument("--segments", type=int, default=2, help="how many segments to print as notes")
    args = parser.parse_args(argv)
    pieces = held_out_chorales(args.meter or None)
    baseline = [R.harmonise(voices["S"], key) for _, voices, key in pieces]
    real = F.summarise([F.piece_counts(v, k) for _, v, k in pieces], bootstrap=500)
    rule = F.summarise([F.piece_counts(b, k) for b, (_, _, k) in zip(baseline, pieces, strict=True)], bootstrap=500)
    print(f"{len(pieces)} held-out chorales ({args.meter or 'all meters'}), whole pieces")
    print(f"{'figure':<30} {'real':>14} {'rule baseline':>16}")
    for name in F.RATIOS:
        cells = []
        for summary in (real, rule):
            value, error = summary["figures"][name], summary["standard_errors"][name]
            cells.append("-" if value is None else f"{value:7.2f} ± {error:4.2f}")
        print(f"{name:<30} {cells[0]:>14} {cells[1]:>16}")
    distances = F.distances(rule, real)
    index = F.similarity_index(rule, real)
    print("JS distances baseline vs real:", {k: None if v is None else round(v, 3) for k, v in distances.items()})
    print(f"similarity index: baseline {index:.3f}")
    real_rolls = [F.voices_to_roll(v) for _, v, _ in pieces]
    rule_rolls = [F.voices_to_roll(b, steps=r.shape[0]) for b, r in zip(baseline, real_rolls, strict=True)]
    started = time.perf_counter()
    two_sample = T.two_sample_accuracy(real_rolls, rule_rolls)
    two_sample_seconds = time.perf_counter() - started
    null = T.null_accuracy(real_rolls)
    print(
        f"two-sample accuracy: baseline vs real {two_sample.accuracy:.3f} "
        f"({two_sample_seconds:.0f} s), null {null.accuracy:.3f}"
    )
    step = max(1, len(pieces) // max(1, args.segments))
    for (path, voices, key), harmonised in list(zip(pieces, baseline, strict=True))[::step][: args.segments]:
        first = voices["S"][0][0] // F.STEPS_PER_BEAT
        print(f"\n{path}, key {F.NOTE_NAMES[key[0]]} {key[1]}, beats {first + 1}-{first + 12} (a pickup bar is padded)")
        print(F.beat_table({"real": voices, "baseline": harmonised}, first_beat=first, beats=12))
    print(
        json.dumps(
            {
                "pieces": len(pieces),
                "real": real["figures"],
                "real_se": real["standard_errors"],
                "baseline": rule["figures"],
                "baseline_se": rule["standard_errors"],
                "baseline_js": distances,
                "baseline_similarity": index,
                "two_sample_baseline": two_sample.accuracy,
                "two_sample_null": null.accuracy,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
