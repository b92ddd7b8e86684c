"""Train a style's shipped GAN into ``model/pretrained/<style>/`` and write what its record shows.

After training, the decoder's note-change cost (``changeCost`` in ``model.json``: how readily a voice
moves to a new note) and its ``hold`` (how long one decoded sonority lasts) are chosen for the
style from ``CHANGE_COSTS`` x ``HOLDS`` by the similarity index of the
model's accompaniments of *training* segments to those segments' real figures (the held-out pieces
are never looked at): a quartet's second violin moves more than a chorale's tenor.

The decoder's sonority terms that the Bach model uses (the harmony guess, the unprepared-dissonance
cost and the bass's own leap cost; ``model/gan/decoding.py``) are off for the styles
(``STYLE_DECODER``): these models' harmony channels are unsure (most pitch classes below even odds
where voices rest or move independently), so the term, the log-likelihood of the sonority's pitch
classes, favours fewer classes and made the voices double each other. Measured on each style's
held-out segments (seeds 0-1), chord beats with the terms off / on: Renaissance 42 / 29 %,
madrigal 39 / 14 %, quartet 20 / 16 %, Trecento 19 / 8 %.

Each style's training starts from the shipped ``bach-chorales`` weights (``start_from`` in
``RECIPE``) and trains 8 epochs on the style's own training pieces only: the corpora are small, and
the chorale network already writes four-voice texture. The style classifier (``make eval-styles``)
is the check that the result is the style and not Bach.

The recipe is the Bach chorale model's (``model/pretrained/bach-chorales/MODEL_CARD.md``), written
out here in full so a change of the training defaults does not change a shipped model; the epochs
and the windows per epoch are sized to about 15 minutes of one CPU thread. After training, the
model's ``model.json`` gets the style's name, one-line description, ``genre`` and its tracks'
names and General MIDI programs: the composition writer sets those programs on the tracks.

Example::

    COMPOSER_TORCH_THREADS=1 nice -n 5 python -m model.styles.ship madrigal
"""

from __future__ import annotations

import argparse
import shutil
from itertools import product
from pathlib import Path
from typing import Any

from model.config import ModelConfig
from model.data.corpus import REPO_ROOT
from model.data.styles import STYLES, Style
from model.gan.decoding import CANDIDATES, LEAP_COST
from model.sagemaker import Environment
from shared.schemas import Hyperparameters

PRETRAINED_DIR = REPO_ROOT / "model" / "pretrained"
CHANGE_COSTS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # below 0 a voice is rewarded for moving
HOLDS = (1, 2, 4)  # eighths one decoded sonority lasts: an eighth, a quarter, a half note
TUNING_SEGMENTS = 48
RECIPE: dict[str, Any] = {
    # the style corpora are small (46-156 pieces): the style's training starts from the shipped chorale
    # network, which already knows four-voice texture and has a trained harmony channel
    "start_from": "bach-chorales",
    "epochs": 8,
    "max_windows": 6144,
    "batch_size": 32,
    "width": 8,
    "update_ratio": 1,
    "learning_rate": 0.002,
    "gradient_penalty": 10.0,
    "seed": 1,
}


def style_record(style: Style) -> dict[str, Any]:
    """The fields of ``model.json`` that the model record shows for a style."""
    return {
        "name": style.name,
        "description": style.description,
        "genre": style.id,
        "tracks": [
            {"name": name, "program": program, **({"silent": True} if i == style.silent_track else {})}
            for i, (name, program) in enumerate(style.instruments)
        ],
    }


def stamp(model_dir: Path, style: Style) -> None:
    """Write the style's name, description, genre and instruments into a trained model's ``model.json``."""
    config = ModelConfig.load(model_dir)
    record = style_record(style)
    config.tracks = record.pop("tracks")
    config.settings.update(record)
    config.save(model_dir)


STYLE_DECODER = {"harmonyWeight": 0.0, "dissonanceCost": 0.0, "bassLeapCost": LEAP_COST, "candidates": CANDIDATES}


def tune_decoding(
    model_dir: Path, style: Style, log: Any = print, decoder: dict[str, Any] | None = None
) -> dict[str, float]:
    """Set the change cost and the hold with the best similarity on training segments; returns them.
    ``decoder`` are the decoder settings kept fixed while tuning (the styles' ``STYLE_DECODER``;
    the chorale model keeps its own)."""
    import numpy as np

    from model import quality as Q
    from model.data import build, four_four
    from model.gan.compose import Composer, composed_rolls

    dataset = build(list(style.tags))
    paths = [p for p, h in zip(dataset.paths, dataset.held_out, strict=True) if not h]
    segments = Q.segments(four_four(paths, dataset.split(False)))[0]
    segments = [segments[i] for i in np.linspace(0, len(segments) - 1, TUNING_SEGMENTS).round().astype(int)]
    reference = Q.real_reference(segments, [])
    config = ModelConfig.load(model_dir)
    config.settings.update(STYLE_DECODER if decoder is None else decoder)
    scores = {}
    for cost, hold in product(CHANGE_COSTS, HOLDS):
        config.settings.update(changeCost=cost, hold=hold)
        composer = Composer.load(model_dir, config)
        scores[(cost, hold)] = Q.similarity(Q.summarise(composed_rolls(composer, segments, 0)), reference) or 0.0
        log(f"changeCost={cost} hold={hold}: similarity on {len(segments)} training segments {scores[cost, hold]:.3f}")
    cost, hold = max(scores, key=lambda k: scores[k])
    config.settings.update(changeCost=cost, hold=hold)
    config.settings["decodingTuning"] = {f"changeCost={c} hold={h}": round(v, 4) for (c, h), v in scores.items()}
    config.save(model_dir)
    return {"changeCost": cost, "hold": hold}


def ship(style_id: str, work: Path, overrides: dict[str, Any] | None = None) -> Path:
    """Train the style's model (checkpoints under ``work``) and copy the result into the shelf."""
    from model.gan.training import train

    style = STYLES[style_id]
    hp = Hyperparameters.model_validate({**RECIPE, **(overrides or {})})
    env = Environment.under(work)
    train(hp, list(style.tags), env, lambda line: print(line, flush=True))
    stamp(env.model_dir, style)
    tune_decoding(env.model_dir, style)
    target = PRETRAINED_DIR / style_id
    target.mkdir(parents=True, exist_ok=True)
    for file in env.model_dir.iterdir():
        shutil.copy2(file, target / file.name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.styles.ship", description=__doc__.split("\n")[0])
    parser.add_argument("style", choices=sorted(STYLES), help="a style to train (bach-chorales: only with --tune-only)")
    parser.add_argument("--work", default=None, help="checkpoint folder (default .cache/ship/<style>)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--max-windows", type=int, default=None)
    parser.add_argument("--tune-only", action="store_true", help="re-tune the decoding of the shipped model")
    args = parser.parse_args(argv)
    if args.tune_only:
        chorales = args.style == "bach-chorales"  # keeps its own sonority terms
        print(tune_decoding(PRETRAINED_DIR / args.style, STYLES[args.style], decoder={} if chorales else None))
        return 0
    if args.style == "bach-chorales":
        parser.error("bach-chorales is trained by its own recipe (its model card); here only --tune-only")
    overrides = {k: v for k, v in (("epochs", args.epochs), ("max_windows", args.max_windows)) if v is not None}
    work = Path(args.work) if args.work else REPO_ROOT / ".cache" / "ship" / args.style
    print(f"shipped -> {ship(args.style, work, overrides)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
