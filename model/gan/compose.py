"""Melody in, four-track composition out: the generator over overlapping windows, then decoding.

This is the one composing path of the GAN: the inference handlers, the evaluation and the
per-epoch validation during training all call ``Composer``. It knows nothing about HTTP or
SageMaker. The steps, all part of the model (and of ``predict_fn``):

1. the melody is moved by whole octaves to the training melodies' centre and cropped to the band;
2. it is sampled on the model's grid (``grid`` 16ths per step: 2 = eighth notes);
3. windows of ``window_steps`` start every ``hop`` steps, so every step but the first and last
   ``hop`` is seen by two windows; the generator's probabilities are averaged where windows overlap
   (no seam between independently composed windows);
4. the three voices are decoded together as one Viterbi path over the network's candidate pitches
   (``model/gan/decoding.py``), each step held for ``grid`` 16ths; the seed drives the generator's
   noise and the decoder's small Gumbel perturbation of the candidates, so seeds differ where the
   network is unsure;
5. the accompaniment is moved back by the same octaves; the melody itself is never touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model import quality as Q
from model.config import ModelConfig
from model.data import normalised_profile
from model.gan.decoding import (
    BASS_LEAP_COST,
    CANDIDATES,
    CHANGE_COST,
    CROSSING_COST,
    DISSONANCE_COST,
    HARMONY_WEIGHT,
    LEAP_COST,
    PARALLEL_COST,
    decode_voices,
)
from model.gan.network import Generator, condition_planes, voice_probabilities
from model.output import composition_result
from shared.music.pianoroll import PITCHES, STEPS_PER_BEAT, binarise, notes_to_roll, roll_to_notes
from shared.music.score import Score, Track

WEIGHTS_FILE = "generator.pt"
ACCOMPANIMENT_VELOCITY = 80
PLAYABLE = (28, 96)  # E1 (a double bass's lowest string) .. C7: where an accompaniment note may sound


@dataclass
class GanSettings:
    """The GAN's own ``model.json`` fields: the network's width, its grid and window, the decoder."""

    width: int
    low_pitch: int
    pitch_count: int
    window_steps: int  # model steps per window
    melody_center: float
    condition_channels: int = 2  # 1 = melody only, 2 = + key plane, 4 = + melody pitch classes + beats
    grid: int = 1  # 16th steps per model step (1 = 16ths, 2 = eighths)
    hop: int = 0  # model steps between window starts; 0 = window_steps (no overlap)
    change_cost: float = CHANGE_COST
    leap_cost: float = LEAP_COST
    parallel_cost: float = PARALLEL_COST
    crossing_cost: float = CROSSING_COST
    hold: int = 1  # model steps one decoded sonority lasts (2 on the eighth grid = one per beat)
    harmony_weight: float = HARMONY_WEIGHT
    candidates: int = CANDIDATES
    dissonance_cost: float = DISSONANCE_COST
    bass_leap_cost: float = BASS_LEAP_COST

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GanSettings:
        return cls(
            width=int(data["width"]),
            low_pitch=int(data["lowPitch"]),
            pitch_count=int(data["pitchCount"]),
            window_steps=int(data["windowSteps"]),
            melody_center=float(data["melodyCenter"]),
            condition_channels=int(data.get("conditionChannels", 1)),
            grid=int(data.get("grid", 1)),
            hop=int(data.get("hop", 0)),
            change_cost=float(data.get("changeCost", CHANGE_COST)),
            leap_cost=float(data.get("leapCost", LEAP_COST)),
            parallel_cost=float(data.get("parallelCost", PARALLEL_COST)),
            crossing_cost=float(data.get("crossingCost", CROSSING_COST)),
            hold=int(data.get("hold", 1)),
            harmony_weight=float(data.get("harmonyWeight", HARMONY_WEIGHT)),
            candidates=int(data.get("candidates", CANDIDATES)),
            dissonance_cost=float(data.get("dissonanceCost", DISSONANCE_COST)),
            bass_leap_cost=float(data.get("bassLeapCost", BASS_LEAP_COST)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "lowPitch": self.low_pitch,
            "pitchCount": self.pitch_count,
            "windowSteps": self.window_steps,
            "melodyCenter": round(self.melody_center, 3),
            "conditionChannels": self.condition_channels,
            "grid": self.grid,
            "hop": self.hop,
            "changeCost": self.change_cost,
            "leapCost": self.leap_cost,
            "parallelCost": self.parallel_cost,
            "crossingCost": self.crossing_cost,
            "hold": self.hold,
            "harmonyWeight": self.harmony_weight,
            "candidates": self.candidates,
            "dissonanceCost": self.dissonance_cost,
            "bassLeapCost": self.bass_leap_cost,
        }

    @property
    def stride(self) -> int:
        return self.hop or self.window_steps

    @property
    def steps_per_beat(self) -> int:
        return max(1, STEPS_PER_BEAT // self.grid)


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


def held_mean(values: np.ndarray, hold: int) -> np.ndarray:
    """Per-step values ``(steps, ...)`` averaged over each run of ``hold`` steps that one decoded
    sonority lasts (the last run padded with zeros): ``(ceil(steps / hold), ...)``."""
    beats = -(-values.shape[0] // hold)
    padded = np.zeros((beats * hold, *values.shape[1:]))
    padded[: values.shape[0]] = values
    mean: np.ndarray = padded.reshape(beats, hold, *values.shape[1:]).mean(axis=1)
    return mean


def window_starts(steps: int, settings: GanSettings) -> list[int]:
    """Window starts (model steps) covering ``steps``: every ``stride``, the last one padded."""
    last = max(0, math.ceil((steps - settings.window_steps) / settings.stride))
    return [i * settings.stride for i in range(last + 1)]


class Composer:
    """A loaded generator plus its configuration; ``compose_rolls`` and ``compose`` are the API."""

    def __init__(self, generator: Generator, config: ModelConfig, device: torch.device | None = None) -> None:
        self.generator = generator.eval()
        self.config = config
        self.settings = GanSettings.from_json(config.settings)
        self.device = device or next(generator.parameters()).device

    @classmethod
    def load(
        cls, model_dir: str | Path, config: ModelConfig | None = None, device: torch.device | None = None
    ) -> Composer:
        model_dir = Path(model_dir)
        config = config or ModelConfig.load(model_dir)
        settings = GanSettings.from_json(config.settings)
        device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
        generator = Generator(settings.width, settings.condition_channels, settings.low_pitch, settings.pitch_count)
        state = torch.load(model_dir / WEIGHTS_FILE, map_location=device, weights_only=True)
        generator.load_state_dict(state)
        return cls(generator.to(device), config, device)

    @torch.no_grad()
    def probabilities(
        self, melodies: list[np.ndarray], seed: int
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        """For each binary melody roll ``(steps, 128)``: the generator's averaged probabilities
        ``(model steps, pitch_count, 3)`` on the band, its averaged harmony guess ``(model steps,
        12)`` (the probability of each pitch class sounding), the melody on the same grid and band,
        and the octave shift applied; all windows of all melodies go through the generator in one
        batch."""
        c = self.settings
        windows: list[np.ndarray] = []
        profiles: list[np.ndarray] = []
        layout: list[tuple[np.ndarray, list[int], int]] = []
        for melody in melodies:
            shift = octave_shift(melody, c)
            moved = np.zeros_like(melody)
            lo, hi = max(0, shift), min(PITCHES, PITCHES + shift)
            moved[:, lo:hi] = melody[:, lo - shift : hi - shift]
            grid = moved[:: c.grid, c.low_pitch : c.low_pitch + c.pitch_count]
            starts = window_starts(grid.shape[0], c)
            padded = np.zeros((starts[-1] + c.window_steps, c.pitch_count), dtype=bool)
            padded[: grid.shape[0]] = grid
            windows.extend(padded[s : s + c.window_steps] for s in starts)
            profiles.extend([normalised_profile(melody)] * len(starts))
            layout.append((grid, starts, shift))
        batch = torch.from_numpy(np.stack(windows)).to(self.device)
        condition = condition_planes(
            batch,
            torch.from_numpy(np.stack(profiles)).to(self.device),
            c.low_pitch,
            c.steps_per_beat,
            c.condition_channels,
        )
        noise = torch.randn(self.generator.noise_shape(condition), generator=torch.Generator().manual_seed(seed))
        output, harmony_logits = self.generator(condition, noise.to(self.device))
        probability = voice_probabilities(output).permute(0, 2, 3, 1).cpu().numpy()  # (n, steps, P, 3)
        harmony = torch.sigmoid(harmony_logits).cpu().numpy()  # (n, steps, 12)
        results, offset = [], 0
        for grid, starts, shift in layout:
            steps = grid.shape[0]
            total = np.zeros((starts[-1] + c.window_steps, c.pitch_count, 3))
            classes = np.zeros((starts[-1] + c.window_steps, 12))
            seen = np.zeros((starts[-1] + c.window_steps, 1, 1))
            for s in starts:
                total[s : s + c.window_steps] += probability[offset]
                classes[s : s + c.window_steps] += harmony[offset]
                seen[s : s + c.window_steps] += 1
                offset += 1
            results.append(((total / seen)[:steps], (classes / seen[:, :, 0])[:steps], grid, shift))
        return results

    def compose_rolls(self, melodies: list[np.ndarray], seed: int) -> list[np.ndarray]:
        """Accompaniment ``(steps, 128, 3)`` for each binary melody roll ``(steps, 128)``."""
        c = self.settings
        results = []
        rng = np.random.default_rng(seed)
        for melody, (probability, harmony, grid, shift) in zip(
            melodies, self.probabilities(melodies, seed), strict=True
        ):
            steps = probability.shape[0]
            beats = -(-steps // c.hold)
            pooled, chord = (held_mean(values, c.hold) for values in (probability, harmony))
            onsets = np.zeros((beats * c.hold, grid.shape[1]), dtype=bool)
            onsets[:steps] = grid
            # a style's silent track (the Trecento's three voices) is not decoded, so it bends no other voice
            sounding = [i for i, spec in enumerate(self.config.tracks[1:4]) if not spec.get("silent")]
            voices = np.zeros(pooled.shape, dtype=bool)
            voices[:, :, sounding] = decode_voices(
                pooled[:, :, sounding],
                onsets[:: c.hold],
                c.change_cost,
                c.leap_cost,
                c.parallel_cost,
                c.crossing_cost,
                rng,
                k=c.candidates,
                harmony=chord,
                harmony_weight=c.harmony_weight,
                low_pitch=c.low_pitch,
                dissonance_cost=c.dissonance_cost,
                bass_leap_cost=c.bass_leap_cost,
            )
            held = np.repeat(voices, c.grid * c.hold, axis=0)[: melody.shape[0]]
            full = np.zeros((melody.shape[0], PITCHES, 3), dtype=bool)
            for i in range(c.pitch_count):
                pitch = c.low_pitch + i - shift
                # moved back with a low melody, a bass can fall below any instrument: fold it up by octaves
                pitch += 12 * max(0, -(-(PLAYABLE[0] - pitch) // 12)) - 12 * max(0, -(-(pitch - PLAYABLE[1]) // 12))
                full[: held.shape[0], pitch] |= held[:, i]
            results.append(full)
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
        melody_track = self.config.tracks[0]  # the melody's notes untouched, on the model's melody instrument
        tracks = [Track(notes=list(source.notes), name=melody_track["name"], program=int(melody_track["program"]))]
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
        return Composition(score=score, roll=roll, metrics=Q.composition_metrics(roll, self.config.reference))


def load(model_dir: str | Path, config: ModelConfig) -> Composer:
    """The technique contract's loader (``model/techniques.py``)."""
    return Composer.load(model_dir, config)


def composed_rolls(composer: Composer, rolls: Sequence[np.ndarray], seed: int) -> list[np.ndarray]:
    """Each roll's melody (track 0) accompanied by the composer: the four-track rolls."""
    melodies = [r[:, :, 0] for r in rolls]
    accompaniments = composer.compose_rolls(melodies, seed)
    return [np.concatenate([m[:, :, None], a], axis=2) for m, a in zip(melodies, accompaniments, strict=True)]
