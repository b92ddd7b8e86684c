"""Melody in, music out, for both AR-CNN modes; this is what ``model_fn`` loads for an ``ar-cnn`` model.

- ``harmonize``: the melody is kept exactly as played (track 0); alto, tenor and bass are written
  by Gibbs sampling (``sampling.harmonize``) on the eighth-note grid; four tracks out.
- ``enhance``: one track in, one track out (DeepComposer's AR-CNN): the input's notes that survive
  are kept exactly (same ticks, same velocity); added notes sit on the 16th grid.

A melody outside the band is moved by whole octaves and moved back, so keys and pitches are exact.

Example::

    arcnn = load("model/pretrained/ar-cnn-bach", ModelConfig.load("model/pretrained/ar-cnn-bach"))
    out = arcnn.compose(melody, seed=7, parameters={"mode": "harmonize"})
    out["midi"], out["tracks"], out["metrics"]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model import keys as M
from model import quality as Q
from model.arcnn.encoding import (
    SOPRANO_CENTRE,
    VOICE_STRIDE,
    fold_into_band,
    octave_shift,
    to_classes,
    to_pitches,
    voice_pitches,
)
from model.arcnn.network import EnhanceNet, InfillNet
from model.arcnn.sampling import EnhanceResult, TrackNote, enhance, harmonize
from model.arcnn.settings import Shapes, is_harmonize, resolve_parameters
from model.config import ModelConfig
from model.data import LOW_PITCH, PITCH_COUNT, Dataset
from model.output import composition_result
from shared.model_types.arcnn import Parameters
from shared.music.pianoroll import STEPS_PER_BEAT, binarise, notes_to_roll, roll_to_notes, step_to_ticks
from shared.music.score import Note, Score, Track

WEIGHTS_FILE = "arcnn.pt"
MODEL_TYPE = "ar-cnn"
VOICE_VELOCITY = 80
FINAL_TEMPERATURE_SHARE = 0.5  # harmonize anneals the temperature to this share of its start
TRACK_CENTRE = 62.0  # mean pitch of the chorales' merged four voices, rounded


def save_model(
    model_dir: Path,
    infill: InfillNet,
    enhancer: EnhanceNet,
    hyperparameters: dict[str, Any],
    history: list[dict[str, Any]],
    dataset: Dataset,
) -> None:
    """Weights (float16: half the size; the sampled notes do not change) and ``model.json``."""
    model_dir.mkdir(parents=True, exist_ok=True)
    state = {
        "infill": {k: v.half() for k, v in infill.state_dict().items()},
        "enhance": {k: v.half() for k, v in enhancer.state_dict().items()},
    }
    torch.save(state, model_dir / WEIGHTS_FILE)
    shapes = Shapes(infill.channels, infill.dilations, enhancer.channels, enhancer.dilations)
    ModelConfig(
        type=MODEL_TYPE,
        settings={
            **shapes.to_json(),
            "lowPitch": LOW_PITCH,
            "pitchCount": PITCH_COUNT,
            "hyperparameters": hyperparameters,
            "datasetTags": list(dataset.tags),
            "trainingPieces": int((~dataset.held_out).sum()),
            "heldOutPieces": int(dataset.held_out.sum()),
            "history": history,
        },
    ).save(model_dir)


def load(model_dir: str | Path, config: ModelConfig | None = None) -> ArcnnModel:
    model_dir = Path(model_dir)
    config = config or ModelConfig.load(model_dir)
    shapes = Shapes.from_json(config.settings)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    state = torch.load(model_dir / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    infill = InfillNet(shapes.channels, shapes.dilations)
    infill.load_state_dict({k: v.float() for k, v in state["infill"].items()})
    enhancer = EnhanceNet(shapes.enhance_channels, shapes.enhance_dilations)
    enhancer.load_state_dict({k: v.float() for k, v in state["enhance"].items()})
    return ArcnnModel(infill.to(device).eval(), enhancer.to(device).eval(), config)


class ArcnnModel:
    """Both networks of one trained AR-CNN plus its configuration."""

    def __init__(self, infill: InfillNet, enhancer: EnhanceNet, config: ModelConfig) -> None:
        self.infill = infill
        self.enhancer = enhancer
        self.config = config

    def compose(self, melody: Score, seed: int, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """``{"midi", "bars", "seed", "tracks", "metrics"}`` for the melody (track 0 of ``melody``)."""
        knobs = resolve_parameters(parameters or {}, self.config.settings.get("defaultParameters"))
        score, metrics = (
            self.harmonize(melody, seed, knobs) if is_harmonize(knobs) else self.enhance(melody, seed, knobs)
        )
        finite = {k: v for k, v in metrics.items() if math.isfinite(v)}
        return composition_result(melody, score, seed, finite)

    # --- harmonize ---------------------------------------------------------------------------

    def harmonize_roll(self, melody_roll: np.ndarray, seed: int, knobs: Parameters) -> np.ndarray:
        """``(steps, 128, 4)`` binary: the melody roll ``(steps, 128)`` as given plus three voices."""
        steps = melody_roll.shape[0]
        soprano = voice_pitches(melody_roll[:, :, None])[:, 0]
        shift = octave_shift(soprano, SOPRANO_CENTRE)
        # resolve_parameters fills every knob that applies to the mode
        assert knobs.sampling_iterations is not None and knobs.temperature is not None
        classes = harmonize(
            self.infill,
            to_classes(fold_into_band(soprano, shift), shift),
            seed,
            knobs.sampling_iterations,
            knobs.temperature,
            knobs.temperature * FINAL_TEMPERATURE_SHARE,
        )
        pitches = to_pitches(classes, shift)  # (voice steps, 4)
        roll = np.zeros((steps, 128, 4), dtype=bool)
        roll[:, :, 0] = melody_roll
        for v in range(1, 4):
            for k, pitch in enumerate(pitches[:, v]):
                if pitch >= 0:
                    roll[k * VOICE_STRIDE : (k + 1) * VOICE_STRIDE, pitch, v] = True
        return roll

    def harmonize(self, melody: Score, seed: int, knobs: Parameters) -> tuple[Score, dict[str, float]]:
        source = melody.tracks[0]
        melody_roll = binarise(notes_to_roll(source.notes, melody.ticks_per_beat))
        padded = -(-melody_roll.shape[0] // VOICE_STRIDE) * VOICE_STRIDE
        melody_roll = np.pad(melody_roll, ((0, padded - melody_roll.shape[0]), (0, 0)))
        roll = self.harmonize_roll(melody_roll, seed, knobs)
        names = self.config.tracks
        tracks = [Track(notes=list(source.notes), name=names[0]["name"], program=source.program)]
        for v in range(1, 4):
            notes = roll_to_notes(roll[:, :, v], melody.ticks_per_beat, VOICE_VELOCITY)
            tracks.append(Track(notes=notes, name=names[v]["name"], program=int(names[v]["program"])))
        score = Score(tracks, melody.ticks_per_beat, melody.tempo_us, melody.time_signature)
        return score, Q.composition_metrics(roll, self.config.reference)

    # --- enhance -----------------------------------------------------------------------------

    def enhance(self, melody: Score, seed: int, knobs: Parameters) -> tuple[Score, dict[str, float]]:
        source = melody.tracks[0]
        tpb = melody.ticks_per_beat
        unit = tpb / STEPS_PER_BEAT
        pitches = np.array([n.pitch for n in source.notes], dtype=np.int64)
        shift = octave_shift(pitches, TRACK_CENTRE) if len(pitches) else 0
        low = LOW_PITCH - shift
        notes = [
            TrackNote(round(n.start / unit), n.pitch - low, max(1, round(n.end / unit) - round(n.start / unit)), i)
            for i, n in enumerate(source.notes)
        ]
        steps = max([n.start + n.length for n in notes], default=0)
        steps = max(steps, round(melody.bars * melody.ticks_per_bar / unit))
        # resolve_parameters fills every knob that applies to the mode
        assert knobs.max_percentage_of_initial_notes_removed is not None and knobs.max_notes_added is not None
        assert knobs.sampling_iterations is not None and knobs.temperature is not None
        removable = int(len(source.notes) * knobs.max_percentage_of_initial_notes_removed // 100)
        result = enhance(
            self.enhancer,
            notes,
            steps,
            seed,
            knobs.sampling_iterations,
            knobs.temperature,
            removable,
            knobs.max_notes_added,
        )
        velocity = int(np.median([n.velocity for n in source.notes])) if source.notes else VOICE_VELOCITY
        out = [source.notes[n.origin] for n in result.notes if n.origin is not None]
        out += [
            Note(step_to_ticks(n.start, tpb), n.pitch + low, step_to_ticks(n.length, tpb), velocity)
            for n in result.notes
            if n.origin is None
        ]
        track = Track(notes=sorted(out), name=source.name or "Enhanced melody", program=source.program)
        score = Score([track], tpb, melody.tempo_us, melody.time_signature)
        return score, enhance_metrics(source.notes, track.notes, result)


def in_key_share(notes: list[Note]) -> float:
    """Share of notes (duration-weighted) whose pitch class is in the key estimated from the notes."""
    histogram = np.zeros(12)
    for n in notes:
        histogram[n.pitch % 12] += n.duration
    key = M.estimate_key(histogram)
    if key is None:
        return float("nan")
    scale = M.scale_pitch_classes(key)
    return float(sum(h for pc, h in enumerate(histogram) if pc in scale) / histogram.sum())


def enhance_metrics(before: list[Note], after: list[Note], result: EnhanceResult) -> dict[str, float]:
    return {
        "notesIn": float(len(before)),
        "notesOut": float(len(after)),
        "notesRemoved": float(len(result.removed)),
        "notesAdded": float(result.added),
        "samplingEntropy": float(np.mean(result.entropies)) if result.entropies else 0.0,
        "inKeyIn": in_key_share(before),
        "inKeyOut": in_key_share(after),
    }
