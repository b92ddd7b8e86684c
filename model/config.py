"""``model.json``: what a trained model is and how to load it. ``ModelConfig`` is the only reader
and writer of that file, for every technique.

The file is one flat JSON object, so files written before the ``type`` field still read (as
``gan``). The fields every technique shares are typed here; everything else (network sizes,
hyperparameters, data set, history, timings) is the technique's own and kept in ``settings``.

Example::

    config = ModelConfig.load("model/pretrained/bach-chorales")
    config.type, config.settings["width"]
    config.save(tmp_dir)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.atomic import write_json

CONFIG_FILE = "model.json"
FORMAT = 2
DEFAULT_TYPE = "gan"
DEFAULT_TRACKS = (
    {"name": "Melody", "program": 0},
    {"name": "Alto (Viola)", "program": 41},
    {"name": "Tenor (Cello)", "program": 42},
    {"name": "Bass (Acoustic Bass)", "program": 32},
)
_SHARED_KEYS = ("format", "type", "tracks", "reference")


def default_tracks() -> list[dict[str, Any]]:
    return [dict(t) for t in DEFAULT_TRACKS]


@dataclass
class ModelConfig:
    """A trained model's description: its technique, its tracks, the real music its similarity
    index compares with, and the technique's own settings."""

    type: str = DEFAULT_TYPE
    tracks: list[dict[str, Any]] = field(default_factory=default_tracks)
    reference: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        return cls(
            type=str(data.get("type") or DEFAULT_TYPE),
            tracks=list(data.get("tracks") or default_tracks()),
            reference=dict(data.get("reference") or {}),
            settings={k: v for k, v in data.items() if k not in _SHARED_KEYS},
        )

    def to_json(self) -> dict[str, Any]:
        shared = {"format": FORMAT, "type": self.type, "tracks": self.tracks, "reference": self.reference}
        return {**shared, **{k: v for k, v in self.settings.items() if k not in _SHARED_KEYS}}

    @classmethod
    def load(cls, model_dir: str | Path) -> ModelConfig:
        return cls.from_json(json.loads((Path(model_dir) / CONFIG_FILE).read_text()))

    def save(self, model_dir: str | Path) -> None:
        write_json(Path(model_dir) / CONFIG_FILE, self.to_json())
