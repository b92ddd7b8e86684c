"""Evaluation on the held-out split: the real music's metrics, a model's, and two baselines'.

Each held-out piece's melody (its top voice) is accompanied whole, window by window, exactly as a
user's melody is at inference; the metrics are computed per piece (key from that piece's melody)
and averaged over pieces, per track.

``make eval`` runs ``python -m model.evaluate``; its last line is one JSON object::

    {"model": "...", "pieces": 38, "real": {...}, "model": {..., "similarity": 0.93},
     "baselines": {"no_accompaniment": {...}, "harmoniser": {...}}}
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import metrics as M  # noqa: E402
from model.config import ModelConfig  # noqa: E402
from model.gan.compose import Composer  # noqa: E402

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "pretrained" / "bach-chorales"


def real_metrics(rolls: Sequence[np.ndarray]) -> dict[str, list[float]]:
    return M.set_metrics(rolls)


def composed_rolls(composer: Composer, rolls: Sequence[np.ndarray], seed: int) -> list[np.ndarray]:
    melodies = [r[:, :, 0] for r in rolls]
    accompaniments = composer.compose_rolls(melodies, seed)
    return [np.concatenate([m[:, :, None], a], axis=2) for m, a in zip(melodies, accompaniments, strict=False)]


def no_accompaniment(melody: np.ndarray) -> np.ndarray:
    """The floor: the melody alone."""
    return np.zeros((melody.shape[0], melody.shape[1], 3), dtype=bool)


def harmoniser(melody: np.ndarray) -> np.ndarray:
    """A rule-based floor: on every beat, a diatonic triad of the melody's key under the melody
    note sounding on that beat (alto a third below, tenor a sixth below, bass the chord root two
    octaves below the melody's octave). Held for the beat; silent where the melody rests."""
    key = M.estimate_key(M.pitch_class_histogram(melody))
    out = np.zeros((melody.shape[0], melody.shape[1], 3), dtype=bool)
    if key is None:
        return out
    scale = sorted(
        M.scale_pitch_classes((key[0], "major"))
        if key[1] == "major"
        else {(key[0] + d) % 12 for d in (0, 2, 3, 5, 7, 8, 10)}
    )

    def step_down(pitch: int, degrees: int) -> int:
        p = pitch
        while degrees > 0:
            p -= 1
            if p % 12 in scale:
                degrees -= 1
        return p

    for beat in range(0, melody.shape[0], 4):
        sounding = np.nonzero(melody[beat])[0]
        if len(sounding) == 0:
            continue
        top = int(sounding[-1])
        if top % 12 not in scale:
            top = step_down(top, 1) + 0
        alto, tenor = step_down(top, 2), step_down(top, 5)
        bass = step_down(top, 7) - 12
        for track, pitch in enumerate((alto, tenor, bass)):
            if 0 <= pitch < melody.shape[1]:
                out[beat : beat + 4, pitch, track] = True
    return out


def baseline_rolls(rolls: Sequence[np.ndarray], accompany) -> list[np.ndarray]:
    return [np.concatenate([r[:, :, :1], accompany(r[:, :, 0])], axis=2) for r in rolls]


def report(per_track: dict[str, list[float]], real: dict[str, list[float]]) -> dict:
    values = M.summary(per_track)
    values["similarity"] = M.similarity(per_track, real)
    return {
        **M.finite(values),
        "perTrack": {k: [None if np.isnan(v) else round(v, 4) for v in vs] for k, vs in per_track.items()},
    }


def evaluate(model_dir: Path, tags: Sequence[str] | None = None, seed: int = 0) -> dict:
    from model.data import build, parse_tags

    config = ModelConfig.load(model_dir)
    tags = list(tags) if tags else parse_tags(config.settings.get("dataset", {}).get("tags"))
    held_out = build(tags).split(True)
    composer = Composer.load(model_dir, config)
    real = real_metrics(held_out)
    started = time.perf_counter()
    generated = composed_rolls(composer, held_out, seed)
    seconds = time.perf_counter() - started
    return {
        "modelDir": str(model_dir),
        "tags": tags,
        "pieces": len(held_out),
        "real": report(real, real),
        "model": {**report(M.set_metrics(generated), real), "composeSeconds": round(seconds, 3)},
        "baselines": {
            "noAccompaniment": report(M.set_metrics(baseline_rolls(held_out, no_accompaniment)), real),
            "harmoniser": report(M.set_metrics(baseline_rolls(held_out, harmoniser)), real),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.evaluate", description="Evaluate a model on the held-out split."
    )
    parser.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--tags", default=None, help="data-set filter; defaults to the one the model was trained on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = evaluate(Path(args.model_dir), args.tags.split(",") if args.tags else None, args.seed)
    for name, row in [
        ("real", result["real"]),
        ("model", result["model"]),
        *[(k, v) for k, v in result["baselines"].items()],
    ]:
        shown = " ".join(f"{k}={v}" for k, v in row.items() if k != "perTrack")
        print(f"{name:<18} {shown}", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
