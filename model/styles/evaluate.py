"""``make eval-styles`` (second half): are the shipped styles really different?

1. The style classifier (``model/styles/classifier.py``, accompaniment tracks only) is trained on
   the windows of every style's *training* pieces and tested on its *held-out* pieces (the
   checked-in tune-grouped split): accuracy per piece and per window, and the confusion matrix.
2. One common set of held-out melodies, drawn from all the styles' corpora (the first 8-bar
   segments of held-out pieces, ``MELODIES_PER_STYLE`` from each), is accompanied by every shipped
   style model (seed 0); each accompaniment is classified. The figure per model is the share of the
   set classified as the model's own style (the goal is 70 %).

The classifier is written to ``model/styles/classifier.json`` and the result to
``model/styles/evaluation.json`` (the model cards read it); the report goes to stderr and the last
line of stdout is one JSON object.

Example::

    python -m model.styles.evaluate [--melodies-per-style 8]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model import quality as Q
from model.config import ModelConfig
from model.data import build
from model.data.styles import STYLES
from model.styles.classifier import StyleClassifier, confusion, features, windows

HERE = Path(__file__).resolve().parent
CLASSIFIER_FILE = HERE / "classifier.json"
RESULT_FILE = HERE / "evaluation.json"
PRETRAINED = HERE.parent / "pretrained"
WINDOWS_PER_PIECE = 16  # a long quartet movement must not outweigh a chorale by a hundred to one
WINDOWS_PER_STYLE = 900
MELODIES_PER_STYLE = 8


def style_pieces(style: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The style's training and held-out piece rolls (the checked-in split)."""
    dataset = build(list(STYLES[style].tags))
    return dataset.split(False), dataset.split(True)


def _spread(items: Sequence[Any], limit: int) -> list[Any]:
    """At most ``limit`` items spread evenly over the sequence (deterministic)."""
    if len(items) <= limit:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, limit).round().astype(int)]


def training_windows(rolls: Sequence[np.ndarray]) -> np.ndarray:
    cut = [w for roll in rolls for w in _spread(windows(roll), WINDOWS_PER_PIECE)]
    return np.stack([features(w) for w in _spread(cut, WINDOWS_PER_STYLE)])


def train_classifier(pieces: dict[str, tuple[list[np.ndarray], list[np.ndarray]]]) -> StyleClassifier:
    x, labels = [], []
    for style, (train, _) in pieces.items():
        feats = training_windows(train)
        x.append(feats)
        labels.extend([style] * len(feats))
    return StyleClassifier.fit(np.concatenate(x), labels, list(pieces))


def held_out_accuracy(
    classifier: StyleClassifier, pieces: dict[str, tuple[list[np.ndarray], list[np.ndarray]]]
) -> dict[str, Any]:
    """Per held-out piece (mean over its windows) and per window, with the confusion matrix."""
    truth, predicted, window_hits, window_total = [], [], 0, 0
    for style, (_, held) in pieces.items():
        for roll in held:
            cut = _spread(windows(roll), 4 * WINDOWS_PER_PIECE)
            if not cut:
                continue
            guesses = classifier.predict(np.stack([features(w) for w in cut]))
            window_hits += sum(g == style for g in guesses)
            window_total += len(guesses)
            truth.append(style)
            predicted.append(classifier.classify_piece(np.concatenate(cut)))
    hits = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return {
        "pieces": len(truth),
        "pieceAccuracy": round(hits / max(len(truth), 1), 4),
        "windowAccuracy": round(window_hits / max(window_total, 1), 4),
        "chance": round(1 / len(pieces), 4),
        "styles": list(pieces),
        "confusion": confusion(truth, predicted, list(pieces)),
    }


def common_melodies(
    pieces: dict[str, tuple[list[np.ndarray], list[np.ndarray]]], per_style: int
) -> list[tuple[str, np.ndarray]]:
    """``per_style`` 8-bar held-out segments of each style (its real four tracks), spread over its pieces."""
    out: list[tuple[str, np.ndarray]] = []
    for style, (_, held) in pieces.items():
        segments, owners = Q.segments(held)
        first = [segments[owners.index(o)] for o in sorted(set(owners))]  # one per piece first
        rest = [s for s in segments if not any(s is f for f in first)]
        out.extend((style, s) for s in _spread(first + rest, per_style))
    return out


def shipped_style_models() -> dict[str, Path]:
    """The shipped GAN of each style (the model dir named after the style)."""
    return {style: PRETRAINED / style for style in STYLES if (PRETRAINED / style / "model.json").exists()}


def classify_models(classifier: StyleClassifier, melodies: list[tuple[str, np.ndarray]]) -> dict[str, Any]:
    from model.gan.compose import Composer, composed_rolls

    out: dict[str, Any] = {}
    for style, model_dir in shipped_style_models().items():
        composer = Composer.load(model_dir, ModelConfig.load(model_dir))
        rolls = composed_rolls(composer, [segment for _, segment in melodies], 0)
        guesses = [classifier.classify_piece(roll) for roll in rolls]
        out[style] = {
            "melodies": len(rolls),
            "ownStyleShare": round(sum(g == style for g in guesses) / max(len(guesses), 1), 4),
            "classifiedAs": {s: guesses.count(s) for s in classifier.styles},
            "bySource": {
                source: sum(g == style for (src, _), g in zip(melodies, guesses, strict=True) if src == source)
                for source in classifier.styles
            },
        }
    return out


def evaluate(melodies_per_style: int = MELODIES_PER_STYLE, save: bool = True) -> dict[str, Any]:
    pieces = {style: style_pieces(style) for style in STYLES}
    classifier = train_classifier(pieces)
    if save:
        classifier.save(CLASSIFIER_FILE)
    melodies = common_melodies(pieces, melodies_per_style)
    real = [classifier.classify_piece(segment) for _, segment in melodies]
    return {
        "heldOut": held_out_accuracy(classifier, pieces),
        "commonMelodies": len(melodies),
        "realSegmentsOwnStyle": round(sum(r == s for (s, _), r in zip(melodies, real, strict=True)) / len(melodies), 4),
        "models": classify_models(classifier, melodies),
    }


def report(result: dict[str, Any]) -> str:
    held = result["heldOut"]
    styles = held["styles"]
    lines = [
        f"style classifier on {held['pieces']} real held-out pieces: piece accuracy {held['pieceAccuracy']:.3f}, "
        f"window accuracy {held['windowAccuracy']:.3f} (chance {held['chance']:.3f})",
        "confusion (rows: true style, columns: predicted)",
        f"{'':<24}" + "".join(f"{s[:12]:>13}" for s in styles),
    ]
    lines += [f"{s:<24}" + "".join(f"{n:>13}" for n in row) for s, row in zip(styles, held["confusion"], strict=True)]
    lines.append(
        f"{result['commonMelodies']} common held-out melodies; their real accompaniments classified as their own "
        f"style: {result['realSegmentsOwnStyle']:.3f}"
    )
    for style, row in result["models"].items():
        lines.append(f"model {style:<24} own style {row['ownStyleShare']:.3f}  classified as {row['classifiedAs']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.styles.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--melodies-per-style", type=int, default=MELODIES_PER_STYLE)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    result = evaluate(args.melodies_per_style)
    RESULT_FILE.write_text(json.dumps(result, indent=1) + "\n")
    print(report(result), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
