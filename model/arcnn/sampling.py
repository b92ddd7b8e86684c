"""The AR-CNN's two sampling procedures, on arrays (no scores, no MIDI).

``harmonize``: Coconet's annealed blocked Gibbs sampling over the alto, tenor and bass voice-steps
with the soprano clamped. Step 0 fills every free cell from the soprano alone; each later step
masks a random share of the free cells (``masks.mask_probability``: from ~all down to 5% over
three quarters of the steps) and resamples them from the network's softmax at a temperature that
falls linearly from ``temperature`` to ``final_temperature``; after step 0 the bass's classes are
weighted down by the size of the leap from its neighbours (``bass_leap_weights``). After step 0, a class that would make
parallel fifths or octaves with the voices as they stand (``parallel_classes``) is not drawn,
unless every class would, and a last sweep resamples, one at a time, the cells still standing in
a parallel (cells drawn in the same step cannot see each other): the network alone writes ~2 per
100 voice-pair moves where Bach writes ~0.1. One step is one network pass over the whole piece
(the network is fully convolutional), so there are no window seams.

``enhance``: DeepComposer's procedure on one track. One iteration = one network pass and at most
one note added or removed. Each candidate edit is scored by the network's summed log-odds over the
note's cells: for removing a note of the input still on the track, that its cells do not belong;
for adding a note (any pitch, any onset, a 16th up to a half note, in silence), that they do. The
candidates are the edits likelier right than wrong (score > 0) plus keeping the track as it is
(score 0); one is drawn from the softmax of the scores divided by the temperature. Without the
keep option every pass would have to change a note, and once the damage is repaired the rest of
the 100 passes could only do harm (measured: note-cell F1 on damaged held-out chorales rose over
the first ~10 greedy edits, then fell below the damaged input's). Added notes stay (an iteration
is never spent undoing one). The knobs bound it: at most ``max_removed`` of the input's notes
removed, at most ``max_added`` notes added, ``iterations`` passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import torch

from model.arcnn.encoding import CLASSES, VOICES
from model.arcnn.masks import mask_probability
from model.arcnn.network import EnhanceNet, InfillNet
from model.data import PITCH_COUNT

BASS = 3  # the bass's index among the four voices
BASS_LEAP_COST = 0.3  # per semitone of a bass leap beyond a whole tone (see ``bass_leap_weights``)
KEEP_SCORE = 0.0  # log-odds of leaving the track as it is: an edit must be likelier right than wrong to beat it
ADDED_LENGTHS = (1, 2, 3, 4, 6, 8)  # data steps: a 16th up to a half note


def _addable(roll: np.ndarray, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every note that fits in silence, as ``(start, pitch, length)`` rows, and its score: the
    summed log-odds of its cells (the network's evidence that the whole note belongs)."""
    steps = roll.shape[0]
    silent = np.vstack([roll == 0, np.zeros((1, roll.shape[1]), bool)])
    evidence = np.vstack([np.zeros((1, roll.shape[1])), np.cumsum(logits, axis=0)])
    quiet = np.vstack([np.zeros((1, roll.shape[1])), np.cumsum(~silent[:-1], axis=0)])
    rows, scores = [], []
    for length in ADDED_LENGTHS:
        if length > steps:
            break
        fits = quiet[length:] - quiet[:-length] == 0  # (steps - length + 1, P): no sounding cell inside
        starts = np.argwhere(fits)
        rows.append(np.column_stack([starts, np.full(len(starts), length)]))
        scores.append((evidence[length:] - evidence[:-length])[fits])
    return np.concatenate(rows).astype(np.int64), np.concatenate(scores)


def parallel_classes(state: np.ndarray) -> np.ndarray:
    """``(steps, 4, classes)``: True where writing that class at that voice-step would make
    parallel fifths or octaves (or unisons) with another voice as the others stand, against the
    step before or after: both voices move the same way into the same perfect interval (mod 12)
    they left. Rests make no parallels."""
    steps = state.shape[0]
    candidate = np.arange(CLASSES)[None, :]  # (1, C)
    out = np.zeros((steps, VOICES, CLASSES), dtype=bool)
    sounding = state > 0
    for v in range(VOICES):
        for w in range(VOICES):
            if w == v:
                continue
            own_w = state[:, w][:, None]
            for d in (-1, 1):  # the neighbour before (-1) or after (+1)
                t = np.arange(max(0, -d), steps - max(0, d))
                near_v, near_w, here_w = state[t + d, v][:, None], state[t + d, w][:, None], own_w[t]
                ok = (sounding[t + d, v] & sounding[t + d, w] & sounding[t, w])[:, None]
                # the interval's size, not its direction: a 5th below the other voice is a 5th too
                # (a signed ``% 12`` calls it a 4th, and the lower voice of a pair went unchecked)
                before = np.abs(near_v - near_w) % 12
                perfect_near = np.isin(before, (0, 7))
                same_interval = np.abs(candidate - here_w) % 12 == before
                move_v = np.sign(candidate - near_v)
                move_w = np.sign(here_w - near_w)
                out[t, v] |= ok & perfect_near & same_interval & (move_v == move_w) & (move_w != 0)
    out[:, :, 0] = False
    return out


def bass_leap_weights(state: np.ndarray, cost: float = BASS_LEAP_COST) -> np.ndarray:
    """``(steps, classes)`` weights for the bass: ``exp(-cost)`` per semitone of a leap beyond a
    whole tone from its neighbours (the voice-steps before and after, where they sound). Bach's
    bass walks (65% of its moves are steps); the network's alone leaps more."""
    steps = state.shape[0]
    candidate = np.arange(CLASSES)[None, :]
    penalty = np.zeros((steps, CLASSES))
    bass = state[:, BASS]
    for d in (-1, 1):
        t = np.arange(max(0, -d), steps - max(0, d))
        near = bass[t + d][:, None]
        leap = np.maximum(np.abs(candidate - near) - 2, 0) * (near > 0)
        penalty[t] += leap
    weights = np.exp(-cost * penalty)
    weights[:, 0] = 1.0
    return weights.astype(np.float32)


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
        if n > 0:
            current = state[0].numpy()
            allowed = torch.from_numpy(~parallel_classes(current))[None]
            kept = probs * allowed
            probs = torch.where(kept.sum(-1, keepdim=True) > 0, kept, probs)
            probs[0, :, BASS] *= torch.from_numpy(bass_leap_weights(current))
        drawn = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator).view(state.shape)
        state = torch.where(mask, drawn, state)
    return _repair_parallels(net, state, free, final_temperature, generator)


def _repair_parallels(
    net: InfillNet, state: torch.Tensor, free: torch.Tensor, heat: float, generator: torch.Generator, sweeps: int = 2
) -> np.ndarray:
    """Cells sampled in the same step can still move in parallel with each other: resample each
    free cell that stands in a parallel, one at a time, from the network given all the others."""
    device = next(net.parameters()).device
    for _ in range(sweeps):
        current = state[0].numpy()
        forbidden = parallel_classes(current)
        steps, voices = np.nonzero(np.take_along_axis(forbidden, current[:, :, None], axis=2)[:, :, 0])
        bad = [(t, v) for t, v in zip(steps.tolist(), voices.tolist(), strict=True) if free[0, t, v]]
        if not bad:
            break
        for t, v in bad:
            mask = torch.zeros_like(free)
            mask[0, t, v] = True
            logits = net(net.inputs(state.to(device), mask.to(device))).cpu()[0, v, :, t]
            probs = torch.softmax(logits / heat, dim=-1) * torch.from_numpy(~parallel_classes(state[0].numpy())[t, v])
            if probs.sum() > 0:
                state[0, t, v] = int(torch.multinomial(probs, 1, generator=generator))
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
        logits = net(torch.from_numpy(roll.T[None].copy()).to(device))[0].cpu().numpy().T.astype(np.float64)
        removable = [
            i
            for i, n in enumerate(result.notes)
            if n.origin is not None and 0 <= n.pitch < PITCH_COUNT and len(result.removed) < max_removed
        ]
        remove_scores = np.array(
            [-logits[n.start : n.start + n.length, n.pitch].sum() for n in (result.notes[i] for i in removable)]
        ).reshape(-1)
        adds = _addable(roll, logits) if result.added < max_added else (np.zeros((0, 3), np.int64), np.zeros(0))
        if not len(remove_scores) and not len(adds[1]):
            break
        plausible_removals = np.nonzero(remove_scores > KEEP_SCORE)[0]
        plausible_adds = np.nonzero(adds[1] > KEEP_SCORE)[0]
        removable = [removable[i] for i in plausible_removals]
        adds = (adds[0][plausible_adds], adds[1][plausible_adds])
        scores = np.concatenate([remove_scores[plausible_removals], adds[1], [KEEP_SCORE]]) / temperature
        weights = np.exp(scores - scores.max())
        weights /= weights.sum()
        result.entropies.append(float(-(weights * np.log(np.maximum(weights, 1e-300))).sum()))
        choice = int(rng.choice(len(weights), p=weights))
        if choice == len(scores) - 1:
            continue  # the network keeps the track as it is this time
        if choice < len(removable):
            # removable holds only notes with an origin (filtered above)
            result.removed.append(cast(int, result.notes.pop(removable[choice]).origin))
            continue
        step, pitch, length = (int(v) for v in adds[0][choice - len(removable)])
        result.notes.append(TrackNote(step, pitch, length))
        result.added += 1
    return result
