"""``make eval``: a model judged like music, beside real held-out Bach and honest baselines.

The held-out split is by tune (``model/data/held_out.txt``). Every held-out piece in 4/4 is cut
into whole 8-bar segments; each segment's real soprano is the melody, composed as a user's melody
is at inference, with seeds 0, 1 and 2. The music figures (``model/figures.py``, defined in
``model/FIGURES.md``) are pooled over the segments, with standard errors from a bootstrap over
pieces (a piece's segments and seeds resampled together). Side by side:

- ``real``: the real alto, tenor and bass of the same segments;
- ``model``: the model under evaluation;
- ``ruleBaseline``: the honest rule harmoniser;
- ``untrained``: the same network and the same decoding with the weights at initialisation, which
  shows what the decoding alone does.

The similarity index compares each with the model's own reference (its ``model.json``). The
table goes to stderr, then note names per beat for two segments beside the real parts, and the
last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import figures as F  # noqa: E402
from model import quality as Q  # noqa: E402
from model.config import ModelConfig  # noqa: E402
from model.data import four_four  # noqa: E402
from model.gan.compose import Composer, GanSettings, composed_rolls  # noqa: E402
from model.gan.network import Generator  # noqa: E402
from model.keys import estimate_key, pitch_class_histogram  # noqa: E402
from model.rule_baseline import harmonise_roll  # noqa: E402

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "pretrained" / "bach-chorales"
SEEDS = (0, 1, 2)
BOOTSTRAP = 200
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
BAR = {  # the bar: figure -> (comparison, value)
    "chord_beats_pct": (">=", 70.0),
    "par58_note_per100": ("<=", 0.3),
    "hollow_beats_pct": ("<=", 8.0),
    "unprepared_diss_beats_pct": ("<=", 1.5),
    "sixteenth_share_ATB_pct": ("<=", 10.0),
    "onsets_ATB_off_8th_grid_pct": ("<=", 8.0),
    "step_share_B_pct": (">=", 50.0),
}
SHOWN = (*BAR, "triad_beats_pct", "crossing_pct", "spacing_viol_pct", "out_of_range_pct")


def untrained(config: ModelConfig, seed: int = 0) -> Composer:
    """The model's network at initialisation, with the model's own settings and decoding."""
    settings = GanSettings.from_json(config.settings)
    torch.manual_seed(seed)
    generator = Generator(settings.width, settings.condition_channels, settings.low_pitch, settings.pitch_count)
    return Composer(generator, config, torch.device("cpu"))


def rule_baseline(segments: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The honest rule harmoniser on each segment's melody, in the key estimated from that melody."""
    out = []
    for segment in segments:
        key = estimate_key(pitch_class_histogram(segment[:, :, 0]))
        out.append(harmonise_roll(segment[:, :, 0], key or (0, "major")))
    return out


def judged(rolls: Sequence[np.ndarray], owners: Sequence[int], reference: dict[str, Any]) -> dict[str, Any]:
    """Pooled figures with piece-bootstrap errors, distances and the similarity index."""
    summary = F.summarise(Q.by_piece(rolls, owners), bootstrap=BOOTSTRAP)
    return {
        "figures": summary["figures"],
        "standardErrors": summary["standard_errors"],
        "distances": F.distances(summary, reference),
        "similarity": Q.similarity(summary, reference),
        "meetsBar": meets_bar(summary["figures"]),
    }


def meets_bar(figures: dict[str, Any]) -> dict[str, bool]:
    return {
        name: figures.get(name) is not None and (figures[name] >= value if op == ">=" else figures[name] <= value)
        for name, (op, value) in BAR.items()
    }


def note_names(roll: np.ndarray, beats: int = 16) -> list[str]:
    """One line per beat: the pitch each voice sounds at the beat's onset (``-`` = silent)."""
    lines = []
    for beat in range(min(beats, roll.shape[0] // 4)):
        cells = []
        for v in range(roll.shape[2]):
            sounding = np.nonzero(roll[beat * 4, :, v])[0]
            cells.append(f"{NAMES[sounding[-1] % 12]}{sounding[-1] // 12 - 1}" if len(sounding) else "-")
        lines.append(" ".join(f"{c:>4}" for c in cells))
    return lines


def side_by_side(real: np.ndarray, model: np.ndarray, beats: int = 16) -> str:
    rows = [f"{'beat':>4} | {'real S    A    T    B':<21} | model S    A    T    B"]
    for i, (a, b) in enumerate(zip(note_names(real, beats), note_names(model, beats), strict=True)):
        rows.append(f"{i + 1:>4} | {a:<21} | {b}")
    return "\n".join(rows)


def evaluate(model_dir: Path, two_sample: bool = True) -> dict[str, Any]:
    from model.data import build, parse_tags

    config = ModelConfig.load(model_dir)
    tags = parse_tags(config.settings.get("dataset", {}).get("tags"))
    dataset = build(tags)
    held = [(p, r) for p, r, h in zip(dataset.paths, dataset.rolls, dataset.held_out, strict=True) if h]
    pieces = four_four([p for p, _ in held], [r for _, r in held])
    segments, owners = Q.segments(pieces)
    reference = config.reference if config.reference.get("figures") else Q.real_reference(pieces, [])
    composer = Composer.load(model_dir, config)
    started = time.perf_counter()
    generated = {seed: composed_rolls(composer, segments, seed) for seed in SEEDS}
    seconds = time.perf_counter() - started
    ablation = untrained(config)
    ablated = [r for seed in SEEDS for r in composed_rolls(ablation, segments, seed)]
    seeded_owners = [o for _ in SEEDS for o in owners]
    rows = {
        "real": judged(segments, owners, reference),
        "model": judged([r for seed in SEEDS for r in generated[seed]], seeded_owners, reference),
        "ruleBaseline": judged(rule_baseline(segments), owners, reference),
        "untrained": judged(ablated, seeded_owners, reference),
    }
    rows["model"]["composeSecondsPerSeed"] = round(seconds / len(SEEDS), 3)
    skipped = two_sample_skipped(len(pieces)) if two_sample else None
    if two_sample and skipped is None:
        from model.two_sample import null_accuracy, two_sample_accuracy

        def test(rolls: Sequence[np.ndarray]) -> dict[str, Any]:
            result = two_sample_accuracy(segments, rolls, owners, owners)
            return {"accuracy": round(result.accuracy, 4), "folds": [round(a, 4) for a in result.fold_accuracies]}

        null = null_accuracy(pieces)
        rows["real"]["twoSample"] = {"accuracy": round(null.accuracy, 4), "null": True}
        rows["model"]["twoSample"] = test(generated[0])
        rows["ruleBaseline"]["twoSample"] = test(rule_baseline(segments))
        rows["untrained"]["twoSample"] = test(ablated[: len(segments)])
    return {
        "modelDir": str(model_dir),
        "tags": tags,
        "heldOutPieces": len(held),
        "pieces": len(pieces),
        "segments": len(segments),
        "seeds": list(SEEDS),
        "bar": {k: list(v) for k, v in BAR.items()},
        "examples": [side_by_side(segments[i], generated[0][i]) for i in (0, len(segments) // 2)],
        **({"twoSampleSkipped": skipped} if skipped else {}),
        **rows,
    }


def two_sample_skipped(pieces: int) -> str | None:
    """Why the classifier two-sample test cannot run on this many held-out pieces (None if it can):
    its folds are grouped by piece, and the null test splits the real pieces in two halves."""
    from model.two_sample import FOLDS

    if pieces >= 2 * FOLDS:
        return None
    return (
        f"only {pieces} held-out 4/4 pieces: the test's {FOLDS} folds grouped by piece need at least "
        f"{2 * FOLDS} ({FOLDS} in each half of the real-vs-real null test)"
    )


def table(result: dict[str, Any]) -> str:
    columns = ("real", "model", "ruleBaseline", "untrained")
    lines = [f"{'figure':<30} {'bar':>9} " + " ".join(f"{c:>16}" for c in columns)]
    for name in SHOWN:
        bar = " ".join(map(str, BAR[name])) if name in BAR else ""
        cells = []
        for column in columns:
            value = result[column]["figures"].get(name)
            error = result[column]["standardErrors"].get(name)
            cells.append(
                "-" if value is None else f"{value:.2f} ± {error:.2f}" if error is not None else f"{value:.2f}"
            )
        lines.append(f"{name:<30} {bar:>9} " + " ".join(f"{c:>16}" for c in cells))
    for name in F.DISTANCES:
        cells = [result[c]["distances"].get(name) for c in columns]
        lines.append(f"{name:<30} {'':>9} " + " ".join(f"{'-' if v is None else f'{v:.3f}':>16}" for v in cells))
    if "twoSample" in result["model"]:
        cells = [result[c]["twoSample"]["accuracy"] for c in columns]
        lines.append(f"{'two-sample accuracy':<30} {'<= 0.85':>9} " + " ".join(f"{v:>16.3f}" for v in cells))
    sims = [result[c]["similarity"] for c in columns]
    lines.append(
        f"{'similarity index':<30} {'':>9} " + " ".join(f"{'-' if v is None else f'{v:.3f}':>16}" for v in sims)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--no-two-sample", action="store_true", help="leave out the (slow) classifier test")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    result = evaluate(Path(args.model_dir), two_sample=not args.no_two_sample)
    print(
        f"{result['segments']} segments of 8 bars from {result['pieces']} held-out 4/4 pieces, seeds {SEEDS}",
        file=sys.stderr,
    )
    print(table(result), file=sys.stderr)
    for example in result["examples"]:
        print(example, file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
