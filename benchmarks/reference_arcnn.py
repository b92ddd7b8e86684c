"""DeepComposer's AR-CNN network, rebuilt in PyTorch at its published size, as the yardstick of
``benchmarks/bench_arcnn.py``.

A 5-level U-Net over one 128 x 128 piano roll (128 sixteenth steps = 8 bars of 4/4, 128 pitches):
two 3x3 conv + batch-norm + ReLU per level with 32, 64, 128, 256, 512 filters and max-pooling
between levels, a 1024-filter bottom, 2x2 transposed-conv up-sampling with skip connections back
up, and a 1x1 conv to one logit per cell (DeepComposer samples the cell to flip from their
softmax). 31.1M parameters. One enhance iteration of DeepComposer's is one pass of this network.
It is never trained here: the benchmark times passes, and a pass costs the same at any weights.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

STEPS = PITCHES = 128
WIDTHS = (32, 64, 128, 256, 512)
BOTTOM = 1024


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    )


class ReferenceArcnn(nn.Module):
    """``(batch, 1, 128, 128)`` roll -> ``(batch, 1, 128, 128)`` logits."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.ModuleList()
        channels = 1
        for width in WIDTHS:
            self.down.append(_block(channels, width))
            channels = width
        self.bottom = _block(channels, BOTTOM)
        channels = BOTTOM
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for width in reversed(WIDTHS):
            self.up.append(nn.ConvTranspose2d(channels, width, 2, stride=2))
            self.merge.append(_block(2 * width, width))
            channels = width
        self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, roll: torch.Tensor) -> torch.Tensor:
        skips = []
        x = roll
        for level in self.down:
            x = level(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips), strict=True):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.out(x)


@torch.no_grad()
def reference_enhance(
    net: ReferenceArcnn, roll: torch.Tensor, iterations: int, generator: torch.Generator
) -> torch.Tensor:
    """DeepComposer's loop: each iteration one pass, then one cell drawn from the softmax over all
    cells and flipped (a note added where silent, removed where sounding)."""
    roll = roll.clone()
    for _ in range(iterations):
        logits = net(roll[None, None])[0, 0]
        cell = int(torch.multinomial(torch.softmax(logits.flatten(), dim=0), 1, generator=generator))
        step, pitch = divmod(cell, PITCHES)
        roll[step, pitch] = 1.0 - roll[step, pitch]
    return roll


def parameter_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
