"""Held-out figures of an AR-CNN: what training reports every epoch (``Probe``) and what the model
card reports (``frame_nll``, ``enhance_f1``).

- ``heldOutLoss``: the training loss (masked cross-entropy, nats per voice-step) on fixed
  held-out windows and masks;
- ``enhanceF1``/``corruptF1``: note-cell F1 against the real held-out track (4 voices merged) of
  the enhanced track and of its damaged input (30% of notes removed, 10% wrong notes added);
  enhancing must raise it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from model.arcnn.encoding import VOICES, band, corrupt, fitting_shifts, merged_track, to_classes, voice_pitches
from model.arcnn.masks import training_masks
from model.arcnn.network import EnhanceNet, InfillNet, infill_loss
from model.arcnn.sampling import TrackNote, enhance
from model.metrics import note_runs

PROBE_WINDOWS = 64
PROBE_TRACKS = 4
TRACK_STEPS = 128  # 8 bars of 4/4
REMOVED, ADDED = 0.3, 0.1


def cell_f1(output: np.ndarray, reference: np.ndarray) -> float:
    hits = float((output & reference).sum())
    if hits == 0:
        return 0.0
    precision, recall = hits / output.sum(), hits / reference.sum()
    return 2 * precision * recall / (precision + recall)


def track_notes(track: np.ndarray) -> list[TrackNote]:
    """A band roll's runs as the input notes of ``sampling.enhance``."""
    return [TrackNote(s, p, n, i) for i, (s, p, n) in enumerate(note_runs(track))]


def notes_roll(notes: list[TrackNote], steps: int, pitches: int) -> np.ndarray:
    roll = np.zeros((steps, pitches), dtype=bool)
    for n in notes:
        roll[n.start : n.start + n.length, n.pitch] = True
    return roll


def held_out_tracks(rolls: list[np.ndarray], count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(real, damaged) 8-bar merged band tracks from different held-out pieces."""
    rng = np.random.default_rng(seed)
    out = []
    for roll in rolls:
        track = merged_track(roll)
        heard = np.nonzero(track.any(axis=0))[0]
        if track.shape[0] < TRACK_STEPS or not len(heard) or not fitting_shifts(int(heard[0]), int(heard[-1]), (0,)):
            continue
        real = band(track[:TRACK_STEPS])
        out.append((real, corrupt(real, rng, REMOVED, ADDED)))
        if len(out) == count:
            break
    return out


def enhance_f1(
    net: EnhanceNet, pairs: list[tuple[np.ndarray, np.ndarray]], iterations: int = 100, seed: int = 0
) -> dict[str, float]:
    """Mean F1 of the damaged inputs and of their enhancement (DeepComposer's default knobs)."""
    before, after = [], []
    for k, (real, damaged) in enumerate(pairs):
        notes = track_notes(damaged)
        result = enhance(net, notes, real.shape[0], seed + k, iterations, 1.0, len(notes), 500)
        before.append(cell_f1(damaged, real))
        after.append(cell_f1(notes_roll(result.notes, *real.shape), real))
    return {"corruptF1": float(np.mean(before)), "enhanceF1": float(np.mean(after))}


@dataclass
class Probe:
    """Fixed held-out windows and masks, so every epoch's figures are comparable."""

    classes: torch.Tensor
    masks: torch.Tensor
    pairs: list[tuple[np.ndarray, np.ndarray]]

    @classmethod
    def from_rolls(cls, rolls: list[np.ndarray], seed: int = 0, windows: int = PROBE_WINDOWS) -> Probe:
        rng = np.random.default_rng(seed)
        chosen = []
        for roll in rolls:
            pitches = voice_pitches(roll)
            sounding = pitches[pitches >= 0]
            if (
                len(pitches) < 32
                or not len(sounding)
                or not fitting_shifts(int(sounding.min()), int(sounding.max()), (0,))
            ):
                continue
            for start in range(0, len(pitches) - 32 + 1, 32):
                chosen.append(to_classes(pitches[start : start + 32]))
        chosen = chosen[:: max(1, len(chosen) // windows)][:windows] or [np.zeros((32, VOICES), np.int64)]
        masks = training_masks(rng, len(chosen), 32)
        return cls(
            torch.from_numpy(np.stack(chosen)), torch.from_numpy(masks), held_out_tracks(rolls, PROBE_TRACKS, seed)
        )

    @torch.no_grad()
    def figures(self, infill: InfillNet, enhancer: EnhanceNet) -> dict[str, float]:
        figures = {"heldOutLoss": float(infill_loss(infill, self.classes, self.masks))}
        if self.pairs:
            figures.update(enhance_f1(enhancer, self.pairs, iterations=50))
        return figures
