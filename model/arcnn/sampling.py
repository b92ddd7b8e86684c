"""The AR-CNN's two sampling procedures, on arrays (no scores, no MIDI).

``harmonize``: Coconet's annealed blocked Gibbs sampling over the alto, tenor and bass voice-steps
with the soprano clamped. Step 0 fills every free cell from the soprano alone; each later step
masks a random share of the free cells (``masks.mask_probability``: from ~all down to 5% over
three quarters of the steps) and resamples them from the network's softmax at a temperature that
falls linearly from ``temperature`` to ``final_temperature``. One step is one network pass over
the whole piece (the network is fully convolutional), so there are no window seams.

``enhance``: DeepComposer's procedure on one track. One iteration = one network pass and one note
added or removed: every note of the input still on the track may be removed, with weight the
network's mean belief that its cells do not belong (1 - p); every silent cell may start a new note,
with weight p (the note lasts while the network's p >= 0.5 holds, at most a half note). Added notes
stay (so an iteration is never spent undoing one). One action is drawn from
those weights raised to 1/temperature. The knobs bound it: at most ``max_removed`` of the input's
notes removed, at most ``max_added`` notes added, ``iterations`` passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from model.arcnn.encoding import VOICES
from model.arcnn.masks import mask_probability
from model.arcnn.network import EnhanceNet, InfillNet
from model.data import PITCH_COUNT

MAX_ADDED_LENGTH = 8  # data steps: a half note


@torch.no_grad()
def harmonize(
    net: InfillNet,
    soprano: np.ndarray,
    seed: int,
    iterations: int,
    temperature: float,
    final_temperature: float,
) -> np.ndarray:
    """``(steps, 4)`` classes: ``soprano`` (classes, ``(steps,)``) kept, the other voices sampled."""
    device = next(net.parameters()).device
    steps = soprano.shape[0]
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    state = torch.zeros((1, steps, VOICES), dtype=torch.long)
    state[0, :, 0] = torch.from_numpy(soprano)
    free = torch.zeros((1, steps, VOICES), dtype=torch.bool)
    free[0, :, 1:] = True
    for n in range(max(1, iterations)):
        if n == 0:
            mask = free.clone()
        else:
            mask = free & torch.from_numpy(rng.random((1, steps, VOICES)) < mask_probability(n, iterations))
            if not mask.any():
                continue
        heat = temperature + (final_temperature - temperature) * (n / max(1, iterations - 1))
        logits = net(net.inputs(state.to(device), mask.to(device))).cpu()  # (1, V, C, T)
        probs = torch.softmax(logits.permute(0, 3, 1, 2) / heat, dim=-1)  # (1, T, V, C)
        drawn = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator).view(state.shape)
        state = torch.where(mask, drawn, state)
    return state[0].numpy()


@dataclass
class TrackNote:
    """A note of the enhanced track on the data grid (band pitch index); ``origin`` is the index of
    the input note it is (None for a note the model added)."""

    start: int
    pitch: int
    length: int
    origin: int | None = None


@dataclass
class EnhanceResult:
    notes: list[TrackNote]
    removed: list[int] = field(default_factory=list)  # input note indices
    added: int = 0
    entropies: list[float] = field(default_factory=list)  # of each iteration's action distribution


def _roll(notes: list[TrackNote], steps: int) -> np.ndarray:
    roll = np.zeros((steps, PITCH_COUNT), dtype=np.float32)
    for note in notes:
        if 0 <= note.pitch < PITCH_COUNT:
            roll[note.start : note.start + note.length, note.pitch] = 1.0
    return roll


@torch.no_grad()
def enhance(
    net: EnhanceNet,
    notes: list[TrackNote],
    steps: int,
    seed: int,
    iterations: int,
    temperature: float,
    max_removed: int,
    max_added: int,
) -> EnhanceResult:
    """Edit ``notes`` (pitches outside ``0 .. PITCH_COUNT - 1`` are kept and never touched)."""
    device = next(net.parameters()).device
    rng = np.random.default_rng(seed)
    result = EnhanceResult(notes=list(notes))
    for _ in range(iterations):
        roll = _roll(result.notes, steps)
        logits = net(torch.from_numpy(roll.T[None].copy()).to(device))[0].cpu().numpy().T  # (steps, P)
        p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
        removable = [
            i
            for i, n in enumerate(result.notes)
            if n.origin is not None and 0 <= n.pitch < PITCH_COUNT and len(result.removed) < max_removed
        ]
        remove_scores = np.array(
            [np.log1p(-p[n.start : n.start + n.length, n.pitch]).mean() for n in (result.notes[i] for i in removable)]
        ).reshape(-1)
        silent = np.argwhere(roll == 0) if result.added < max_added else np.zeros((0, 2), dtype=np.int64)
        add_scores = np.log(p[silent[:, 0], silent[:, 1]]) if len(silent) else np.zeros(0)
        scores = np.concatenate([remove_scores, add_scores]) / temperature
        if not len(scores):
            break
        weights = np.exp(scores - scores.max())
        weights /= weights.sum()
        result.entropies.append(float(-(weights * np.log(np.maximum(weights, 1e-300))).sum()))
        choice = int(rng.choice(len(weights), p=weights))
        if choice < len(removable):
            result.removed.append(result.notes.pop(removable[choice]).origin)
            continue
        step, pitch = (int(v) for v in silent[choice - len(removable)])
        length = 1
        while (
            length < MAX_ADDED_LENGTH
            and step + length < steps
            and roll[step + length, pitch] == 0
            and p[step + length, pitch] >= 0.5
        ):
            length += 1
        result.notes.append(TrackNote(step, pitch, length))
        result.added += 1
    return result
