"""What every technique's ``compose`` returns: the shape ``predict_fn`` hands to ``output_fn``."""

from __future__ import annotations

from typing import Any

from shared.music.midi_codec import write_midi
from shared.music.score import Score


def composition_result(melody: Score, score: Score, seed: int, metrics: dict[str, float]) -> dict[str, Any]:
    """``{"midi": bytes, "bars", "seed", "tracks": [{index, name, program, noteCount}], "metrics"}``."""
    return {
        "midi": write_midi(score),
        "bars": max(melody.bars, score.bars),
        "seed": seed,
        "tracks": [
            {"index": i, "name": t.name, "program": t.program, "noteCount": len(t.notes)}
            for i, t in enumerate(score.tracks)
        ],
        "metrics": metrics,
    }
