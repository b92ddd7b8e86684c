"""The conditional U-Net generator and the WGAN-GP critic (DESIGN.md section 5), sized by ``width``.

Shapes: a window is ``(batch, tracks, 32 steps, pitches)`` with values in [-1, 1] (silent = -1).
The generator reads a condition ``(batch, 2, 32, P)`` plus noise and writes the three accompaniment
tracks ``(batch, 3, 32, P)``; the critic scores all four tracks. ``P`` must be divisible by 16.

The condition is the melody window (channel 0) and the *key plane* (channel 1): the pitch-class
profile of the whole melody, painted on every pitch row of its class. A 2-bar window alone often
cannot tell the key; the whole melody can, and the key is what keeps the accompaniment in tune.
"""

from __future__ import annotations

import torch
from torch import nn

NOISE_CHANNELS = 8
ACCOMPANIMENT_TRACKS = 3
CONDITION_CHANNELS = 2


def key_plane(profiles: torch.Tensor, low_pitch: int, pitch_count: int, steps: int) -> torch.Tensor:
    """(batch, 12) pitch-class profiles in [0, 1] -> (batch, 1, steps, pitch_count) in [-1, 1]."""
    classes = (torch.arange(pitch_count, device=profiles.device) + low_pitch) % 12
    rows = profiles[:, classes] * 2 - 1  # (batch, pitch_count)
    return rows[:, None, None, :].expand(-1, 1, steps, -1)


def _down(cin: int, cout: int, norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride=2, padding=1)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class Generator(nn.Module):
    """4 strided convs down, noise concatenated at the bottleneck, 3 deconvs up with skips, then a
    last deconv to the three tracks with tanh."""

    def __init__(self, width: int = 16, condition_channels: int = CONDITION_CHANNELS) -> None:
        super().__init__()
        w = width
        self.d1, self.d2 = _down(condition_channels, w, False), _down(w, 2 * w, True)
        self.d3, self.d4 = _down(2 * w, 4 * w, True), _down(4 * w, 8 * w, True)
        self.u1 = _up(8 * w + NOISE_CHANNELS, 4 * w)
        self.u2 = _up(8 * w, 2 * w)
        self.u3 = _up(4 * w, w)
        self.out = nn.ConvTranspose2d(2 * w, ACCOMPANIMENT_TRACKS, 4, stride=2, padding=1)

    def noise_shape(self, melody: torch.Tensor) -> tuple[int, int, int, int]:
        return (melody.shape[0], NOISE_CHANNELS, melody.shape[2] // 16, melody.shape[3] // 16)

    def forward(self, condition: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        h1 = self.d1(condition)
        h2 = self.d2(h1)
        h3 = self.d3(h2)
        h4 = self.d4(h3)
        x = self.u1(torch.cat([h4, noise], dim=1))
        x = self.u2(torch.cat([x, h3], dim=1))
        x = self.u3(torch.cat([x, h2], dim=1))
        return torch.tanh(self.out(torch.cat([x, h1], dim=1)))


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
        return self.head(self.convs(rolls).flatten(1))


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP: (||grad critic(x_hat)|| - 1)^2 on random interpolates of real and fake."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    grads = torch.autograd.grad(scores.sum(), mixed, create_graph=True)[0]
    return ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def reconstruction_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The pix2pix-style auxiliary loss that makes the GAN learn fast on a CPU budget: binary
    cross-entropy of the output read as probabilities ``(x + 1) / 2`` against the real
    accompaniment, summed over pitches (one voice's choice) and averaged over the rest."""
    probability = ((output + 1) / 2).clamp(1e-6, 1 - 1e-6)
    truth = (target + 1) / 2
    cells = -(truth * probability.log() + (1 - truth) * (1 - probability).log())
    return cells.sum(dim=3).mean()


def decode(output: torch.Tensor) -> torch.Tensor:
    """Generator output -> binary accompaniment ``(batch, 3, steps, pitches)``. The voices are
    monophonic, so each track plays at most its most likely pitch on a step, and plays at all
    only where the probabilities ``(x + 1) / 2`` of its pitches add up to more than one half."""
    probability = (output + 1) / 2
    best = probability.argmax(dim=3, keepdim=True)
    sounding = probability.sum(dim=3, keepdim=True) > 0.5
    binary = torch.zeros_like(output, dtype=torch.bool)
    binary.scatter_(3, best, sounding)
    return binary
