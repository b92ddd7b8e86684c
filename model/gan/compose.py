"""Melody in, four-track composition out: the generator applied window by window.

This is the one composing path: the inference handlers, the evaluation and the per-epoch
validation during training all call ``Composer``. It knows nothing about HTTP or SageMaker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model import metrics as M
from model.config import ModelConfig
from model.data import normalised_profile
from model.gan.network import Generator, decode, key_plane
from model.output import composition_result
from shared.music.pianoroll import PITCHES, binarise, notes_to_roll, roll_to_notes
from shared.music.score import Score, Track

WEIGHTS_FILE = "generator.pt"
ACCOMPANIMENT_VELOCITY = 80


@dataclass
class GanSettings:
    """The GAN's own ``model.json`` fields: the network's width and the window it was trained on."""

    width: int
    low_pitch: int
    pitch_count: int
    window_steps: int
    melody_center: float
    condition_channels: int = 2  # 1 = melody only (models without the key plane)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GanSettings:
        return cls(
            width=int(data["width"]),
            low_pitch=int(data["lowPitch"]),
            pitch_count=int(data["pitchCount"]),
            window_steps=int(data["windowSteps"]),
            melody_center=float(data["melodyCenter"]),
            condition_channels=int(data.get("conditionChannels", 1)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "lowPitch": self.low_pitch,
            "pitchCount": self.pitch_count,
            "windowSteps": self.window_steps,
            "melodyCenter": round(self.melody_center, 3),
            "conditionChannels": self.condition_channels,
        }


@dataclass
class Composition:
    score: Score
    roll: np.ndarray  # (steps, 128, 4) binary, what the metrics were computed on
    metrics: dict[str, float]


def octave_shift(melody: np.ndarray, settings: GanSettings) -> int:
    """Whole octaves that bring the melody's centre nearest the training melodies' centre, so the
    key is kept and the shift undoes exactly."""
    pitches = np.nonzero(melody.any(axis=0))[0]
    if len(pitches) == 0:
        return 0
    weights = melody.sum(axis=0)[pitches]
    centre = float(np.average(pitches, weights=weights))
    return 12 * round((settings.melody_center - centre) / 12)


class Composer:
    """A loaded generator plus its configuration; ``compose_roll`` and ``compose`` are the API."""

    def __init__(self, generator: Generator, config: ModelConfig, device: torch.device | None = None) -> None:
        self.generator = generator.eval()
        self.config = config
        self.settings = GanSettings.from_json(config.settings)
        self.reference = M.reference_from_json(config.reference)
        self.device = device or next(generator.parameters()).device

    @classmethod
    def load(
        cls, model_dir: str | Path, config: ModelConfig | None = None, device: torch.device | None = None
    ) -> Composer:
        model_dir = Path(model_dir)
        config = config or ModelConfig.load(model_dir)
        settings = GanSettings.from_json(config.settings)
        device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
        generator = Generator(settings.width, settings.condition_channels)
        state = torch.load(model_dir / WEIGHTS_FILE, map_location=device, weights_only=True)
        generator.load_state_dict(state)
        return cls(generator.to(device), config, device)

    @torch.no_grad()
    def compose_rolls(self, melodies: list[np.ndarray], seed: int) -> list[np.ndarray]:
        """Accompaniment ``(steps, 128, 3)`` for each binary melody roll ``(steps, 128)``; all
        windows of all melodies go through the generator in one batch."""
        c = self.settings
        windows, spans, shifts, profiles = [], [], [], []
        for melody in melodies:
            profiles.append(
                np.repeat(normalised_profile(melody)[None], max(1, math.ceil(melody.shape[0] / c.window_steps)), axis=0)
            )
            shift = octave_shift(melody, c)
            steps = melody.shape[0]
            count = max(1, math.ceil(steps / c.window_steps))
            padded = np.zeros((count * c.window_steps, PITCHES), dtype=bool)
            padded[:steps] = melody
            moved = np.zeros_like(padded)
            lo, hi = max(0, shift), min(PITCHES, PITCHES + shift)
            moved[:, lo:hi] = padded[:, lo - shift : hi - shift]
            cropped = moved[:, c.low_pitch : c.low_pitch + c.pitch_count]
            windows.append(cropped.reshape(count, c.window_steps, c.pitch_count))
            spans.append(count)
            shifts.append(shift)
        batch = torch.from_numpy(np.concatenate(windows)).float().mul(2).sub(1).unsqueeze(1).to(self.device)
        noise = torch.randn(self.generator.noise_shape(batch), generator=torch.Generator().manual_seed(seed))
        if c.condition_channels > 1:
            plane = key_plane(
                torch.from_numpy(np.concatenate(profiles)).to(self.device), c.low_pitch, c.pitch_count, c.window_steps
            )
            batch = torch.cat([batch, plane], dim=1)
        output = decode(self.generator(batch, noise.to(self.device))).cpu().numpy()  # (n, 3, steps, P)
        results, offset = [], 0
        for melody, count, shift in zip(melodies, spans, shifts, strict=False):
            part = (
                output[offset : offset + count].transpose(0, 2, 3, 1).reshape(count * c.window_steps, c.pitch_count, 3)
            )
            offset += count
            full = np.zeros((part.shape[0], PITCHES, 3), dtype=bool)
            for i in range(c.pitch_count):
                pitch = c.low_pitch + i - shift
                if 0 <= pitch < PITCHES:
                    full[:, pitch] = part[:, i]
            results.append(full[: melody.shape[0]])
        return results

    def compose(self, melody: Score, seed: int, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """The technique contract: the composition as the inference handlers return it. The GAN
        has no per-request parameters."""
        composition = self.compose_score(melody, seed)
        return composition_result(melody, composition.score, seed, composition.metrics)

    def compose_score(self, melody: Score, seed: int) -> Composition:
        """The melody's notes untouched as track 0, then three generated tracks."""
        source = melody.tracks[0]
        melody_roll = binarise(notes_to_roll(source.notes, melody.ticks_per_beat))
        accompaniment = self.compose_rolls([melody_roll], seed)[0]
        tracks = [Track(notes=list(source.notes), name=self.config.tracks[0]["name"], program=source.program)]
        for i in range(3):
            spec = self.config.tracks[i + 1]
            tracks.append(
                Track(
                    notes=roll_to_notes(accompaniment[:, :, i], melody.ticks_per_beat, ACCOMPANIMENT_VELOCITY),
                    name=spec["name"],
                    program=int(spec["program"]),
                )
            )
        score = Score(
            tracks=tracks,
            ticks_per_beat=melody.ticks_per_beat,
            tempo_us=melody.tempo_us,
            time_signature=melody.time_signature,
        )
        roll = np.concatenate([melody_roll[:, :, None], accompaniment], axis=2)
        per_track = M.track_metrics(roll)
        values = M.summary(per_track)
        if self.reference:
            values["similarity"] = M.similarity(per_track, self.reference)
        return Composition(score=score, roll=roll, metrics=M.finite(values))


def load(model_dir: str | Path, config: ModelConfig) -> Composer:
    """The technique contract's loader (``model/techniques.py``)."""
    return Composer.load(model_dir, config)
