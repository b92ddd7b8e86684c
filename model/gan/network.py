"""The conditional U-Net generator and the WGAN-GP critic (DESIGN.md section 5), sized by ``width``.

Shapes: a window is ``(batch, tracks, 32 steps, pitches)`` with values in [-1, 1] (silent = -1).
The generator reads a condition ``(batch, 2, 32, P)`` plus noise and writes the three accompaniment
tracks ``(batch, 3, 32, P)``; the critic scores all four tracks. ``P`` must be divisible by 16.

The condition (``condition_planes``) is four planes over the window:

0. the melody window;
1. the *key plane*: the pitch-class profile of the whole melody, painted on every pitch row of its
   class (a window alone often cannot tell the key; the whole melody can);
2. the *melody pitch-class plane*: on each step, every row of the sounding melody note's pitch
   class (its octaves). A 4x4 kernel cannot see an octave or a tenth away; this plane puts the
   melody's pitch class beside every candidate pitch of every voice, which is what harmony is;
3. the *beat plane*: +1 on steps that start a beat, -1 between, so the network knows where the
   chord changes fall (convolutions are otherwise blind to the metre).

Older models (``condition_channels`` 1 or 2) read only the first one or two planes.
"""

from __future__ import annotations

import torch
from torch import nn

NOISE_CHANNELS = 8
ACCOMPANIMENT_TRACKS = 3
CONDITION_CHANNELS = 4


def key_plane(profiles: torch.Tensor, low_pitch: int, pitch_count: int, steps: int) -> torch.Tensor:
    """(batch, 12) pitch-class profiles in [0, 1] -> (batch, 1, steps, pitch_count) in [-1, 1]."""
    classes = (torch.arange(pitch_count, device=profiles.device) + low_pitch) % 12
    rows = profiles[:, classes] * 2 - 1  # (batch, pitch_count)
    return rows[:, None, None, :].expand(-1, 1, steps, -1)


def condition_planes(
    melody: torch.Tensor, profiles: torch.Tensor, low_pitch: int, steps_per_beat: int, channels: int
) -> torch.Tensor:
    """(batch, steps, pitch_count) binary melody windows and (batch, 12) profiles -> the first
    ``channels`` condition planes ``(batch, channels, steps, pitch_count)`` in [-1, 1]."""
    melody = melody.float()
    batch, steps, count = melody.shape
    planes = [melody * 2 - 1]
    if channels > 1:
        planes.append(key_plane(profiles, low_pitch, count, steps)[:, 0])
    if channels > 2:
        classes = (torch.arange(count, device=melody.device) + low_pitch) % 12
        fold = (classes[:, None] == torch.arange(12, device=melody.device)[None, :]).float()  # (count, 12)
        sounding = (melody @ fold).clamp(max=1)  # (batch, steps, 12)
        planes.append((sounding @ fold.T) * 2 - 1)
    if channels > 3:
        onsets = (torch.arange(steps, device=melody.device) % steps_per_beat == 0).float() * 2 - 1
        planes.append(onsets[None, :, None].expand(batch, steps, count))
    return torch.stack(planes, dim=1)


def _down(cin: int, cout: int, norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride=2, padding=1)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


def pitch_class_fold(low_pitch: int, pitch_count: int) -> torch.Tensor:
    """(pitch_count, 12): which pitch class each row of the band is."""
    classes = (torch.arange(pitch_count) + low_pitch) % 12
    return (classes[:, None] == torch.arange(12)[None, :]).float()


class Generator(nn.Module):
    """4 strided convs down, noise concatenated at the bottleneck, 3 deconvs up with skips, then a
    last deconv to the three voices plus a *harmony* channel.

    The harmony channel, averaged over the octaves of each pitch class, is the network's guess of
    the pitch classes sounding on each step (trained against the real sonority's); it is added to
    every voice's logits on every row of those classes, so the three voices choose from one shared
    idea of the chord instead of three independent ones. ``forward`` returns the voices' logits
    (each voice's choice on a step is a softmax over the pitches, ``voice_probabilities``, which is
    what the critic sees as ``2p - 1``) and the harmony logits ``(batch, steps, 12)``."""

    def __init__(
        self, width: int = 16, condition_channels: int = CONDITION_CHANNELS, low_pitch: int = 34, pitch_count: int = 48
    ) -> None:
        super().__init__()
        w = width
        self.d1, self.d2 = _down(condition_channels, w, False), _down(w, 2 * w, True)
        self.d3, self.d4 = _down(2 * w, 4 * w, True), _down(4 * w, 8 * w, True)
        self.u1 = _up(8 * w + NOISE_CHANNELS, 4 * w)
        self.u2 = _up(8 * w, 2 * w)
        self.u3 = _up(4 * w, w)
        self.out = nn.ConvTranspose2d(2 * w, ACCOMPANIMENT_TRACKS + 1, 4, stride=2, padding=1)
        fold = pitch_class_fold(low_pitch, pitch_count)
        self.register_buffer("fold", fold, persistent=False)
        self.register_buffer("fold_mean", fold / fold.sum(dim=0, keepdim=True), persistent=False)

    def noise_shape(self, melody: torch.Tensor) -> tuple[int, int, int, int]:
        return (melody.shape[0], NOISE_CHANNELS, melody.shape[2] // 16, melody.shape[3] // 16)

    def forward(self, condition: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = self.d1(condition)
        h2 = self.d2(h1)
        h3 = self.d3(h2)
        h4 = self.d4(h3)
        x = self.u1(torch.cat([h4, noise], dim=1))
        x = self.u2(torch.cat([x, h3], dim=1))
        x = self.u3(torch.cat([x, h2], dim=1))
        out = self.out(torch.cat([x, h1], dim=1))
        harmony = out[:, ACCOMPANIMENT_TRACKS] @ self.fold_mean  # (batch, steps, 12)
        voices = out[:, :ACCOMPANIMENT_TRACKS] + (harmony @ self.fold.T)[:, None]
        return voices, harmony


class Critic(nn.Module):
    """4 strided convs (no batch norm: the gradient penalty is per sample) and a dense head."""

    def __init__(self, width: int = 16, steps: int = 32, pitches: int = 48, tracks: int = 4) -> None:
        super().__init__()
        w = width
        self.convs = nn.Sequential(
            _down(tracks, w, False),
            _down(w, 2 * w, False),
            _down(2 * w, 4 * w, False),
            _down(4 * w, 8 * w, False),
        )
        self.head = nn.Linear(8 * w * (steps // 16) * (pitches // 16), 1)

    def forward(self, rolls: torch.Tensor) -> torch.Tensor:
        scores: torch.Tensor = self.head(self.convs(rolls).flatten(1))
        return scores


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP: (||grad critic(x_hat)|| - 1)^2 on random interpolates of real and fake."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    grads = torch.autograd.grad(scores.sum(), mixed, create_graph=True)[0]
    penalty: torch.Tensor = ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    return penalty


def voice_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(batch, 3, steps, pitches) logits -> each voice's pitch distribution per step."""
    return torch.softmax(logits, dim=3)


def as_roll(logits: torch.Tensor) -> torch.Tensor:
    """The generator's output in the critic's [-1, 1] roll form: ``2p - 1``."""
    return voice_probabilities(logits) * 2 - 1


def harmony_loss(harmony: torch.Tensor, real: torch.Tensor, fold: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the harmony logits ``(batch, steps, 12)`` against the pitch classes
    the real four voices ``(batch, 4, steps, pitches)`` in [-1, 1] sound on each step."""
    sounding = (((real + 1) / 2).amax(dim=1) @ fold).clamp(max=1)  # (batch, steps, 12)
    return nn.functional.binary_cross_entropy_with_logits(harmony, sounding, reduction="none").sum(dim=2).mean()


def reconstruction_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The pix2pix-style auxiliary loss that makes the GAN learn fast on a CPU budget: the
    cross-entropy of each voice's pitch distribution against the pitch the real voice sings
    (``target`` in [-1, 1], one +1 per sounding voice and step), over the steps where it sings."""
    truth = (target + 1) / 2
    sings = truth.sum(dim=3) > 0
    cells = -(truth * torch.log_softmax(logits, dim=3)).sum(dim=3)
    return cells[sings].mean() if sings.any() else cells.sum() * 0
