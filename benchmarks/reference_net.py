"""The reference DeepComposer network, reimplemented in PyTorch at the reference settings.

It exists only as the in-run yardstick for `make bench`: our figures are reported as ratios against
this network measured in the same run on the same machine, so machine drift cancels out. The layer
plan follows the DeepComposer reference (32 x 128 x 4 rolls, 64 filters, 4 conv down / 3 deconv up with skips,
noise 2 x 8 x 512 at the bottleneck; a 4-conv critic with a dense head): 8.27M + 2.77M parameters.
"""

from __future__ import annotations

import torch
from torch import nn

STEPS, PITCHES, TRACKS = 32, 128, 4
FILTERS = 64
LATENT = (512, 2, 8)
BATCH = 64
CRITIC_UPDATES = 5
GP_WEIGHT = 10.0


def _down(cin: int, cout: int, bn: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
    if bn:
        layers.append(nn.BatchNorm2d(cout, momentum=0.2))  # Keras momentum 0.8
    return nn.Sequential(*layers)


class _Up(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.ZeroPad2d((1, 2, 1, 2)),
            nn.Conv2d(cin, cout, 4),
            nn.BatchNorm2d(cout, momentum=0.2),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.body(x), skip], dim=1)


class ReferenceGenerator(nn.Module):
    def __init__(self, filters: int = FILTERS) -> None:
        super().__init__()
        f = filters
        self.d1, self.d2, self.d3, self.d4 = (
            _down(1, f, False),
            _down(f, 2 * f, True),
            _down(2 * f, 4 * f, True),
            _down(4 * f, 8 * f, True),
        )
        self.u4, self.u5, self.u6 = _Up(8 * f + LATENT[0], 4 * f), _Up(8 * f, 2 * f), _Up(4 * f, f)
        self.out = nn.Sequential(
            nn.Upsample(scale_factor=2), nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(2 * f, TRACKS, 4), nn.Tanh()
        )

    def forward(self, condition: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        d1 = self.d1(condition)
        d2 = self.d2(d1)
        d3 = self.d3(d2)
        d4 = torch.cat([self.d4(d3), z], dim=1)
        return self.out(self.u6(self.u5(self.u4(d4, d3), d2), d1))


class ReferenceCritic(nn.Module):
    def __init__(self, filters: int = FILTERS) -> None:
        super().__init__()
        f = filters
        self.body = nn.Sequential(
            _down(TRACKS, f, False),
            _down(f, 2 * f, False),
            _down(2 * f, 4 * f, False),
            _down(4 * f, 8 * f, False),
            nn.Flatten(),
        )
        self.head = nn.Linear(8 * f * (STEPS // 16) * (PITCHES // 16), 1)

    def forward(self, roll: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(roll))


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


class ReferenceTrainer:
    """One generator iteration = CRITIC_UPDATES critic steps with gradient penalty + one generator step."""

    def __init__(self, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.generator, self.critic = ReferenceGenerator(), ReferenceCritic()
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
        self.c_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
        self.real = (torch.rand(BATCH, TRACKS, STEPS, PITCHES) > 0.98).float() * 2 - 1
        self.condition = self.real[:, :1]

    def _noise(self) -> torch.Tensor:
        return torch.randn(BATCH, *LATENT)

    def iteration(self) -> None:
        for _ in range(CRITIC_UPDATES):
            fake = self.generator(self.condition, self._noise()).detach()
            alpha = torch.rand(BATCH, 1, 1, 1)
            mixed = (alpha * self.real + (1 - alpha) * fake).requires_grad_(True)
            grad = torch.autograd.grad(self.critic(mixed).sum(), mixed, create_graph=True)[0]
            penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss = self.critic(fake).mean() - self.critic(self.real).mean() + GP_WEIGHT * penalty
            self.c_opt.zero_grad()
            loss.backward()
            self.c_opt.step()
        g_loss = -self.critic(self.generator(self.condition, self._noise())).mean()
        self.g_opt.zero_grad()
        g_loss.backward()
        self.g_opt.step()


@torch.inference_mode()
def reference_compose_8_bars(generator: ReferenceGenerator) -> torch.Tensor:
    """8 bars = 4 windows of 2 bars, generated as one batch as the reference inference does."""
    generator.eval()
    condition = torch.zeros(4, 1, STEPS, PITCHES)
    return generator(condition, torch.randn(4, *LATENT))
