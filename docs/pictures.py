"""Draws the two pictures the README shows, from real output: the shipped GAN's accompaniment of a
built-in melody (the piano roll) and the shipped GAN's own recorded training history (the chart).

    PYTHONPATH=. .venv/bin/python docs/pictures.py
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GAN = ROOT / "model" / "pretrained" / "bach-chorales"


def main() -> None:
    from model.inference import input_fn, model_fn, output_fn, predict_fn
    from shared.logic import chart, pianoroll
    from shared.logic.training_progress import history_entry
    from shared.music.midi_codec import write_midi
    from shared.music.samples import sample_index
    from shared.schemas import EpochMetrics

    melody = write_midi(sample_index()["sample-ode-to-joy"].score())
    body = json.dumps({"midi": base64.b64encode(melody).decode(), "seed": 1})
    request = input_fn(body, "application/json")
    composed = output_fn(predict_fn(request, model_fn(str(GAN))), "audio/midi")
    (ROOT / "docs" / "pianoroll.png").write_bytes(pianoroll.render_png(composed))

    config = json.loads((GAN / "model.json").read_text())
    history = [EpochMetrics.model_validate(e) for e in (history_entry(h) for h in config["history"]) if e]
    picture = chart.render_png(history, len(history), "bach-chorales (gan), the shipped model's training", "COMPLETED")
    (ROOT / "docs" / "training-chart.png").write_bytes(picture)


if __name__ == "__main__":
    main()
